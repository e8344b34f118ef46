"""Exception class of the Krylov solvers; the warning classes live in :mod:`runtime.errors`."""

import numpy as np

from runtime.errors import ConvergenceWarning, NumericalWarning

__all__ = ["NumericalWarning", "ConvergenceWarning", "NotPSDError"]


class NotPSDError(np.linalg.LinAlgError):
    """Error raised when an operator that must be positive definite is not.

    Subclasses :class:`numpy.linalg.LinAlgError` (itself a ``ValueError``), so
    ``except np.linalg.LinAlgError`` catches it as it catches a failed Cholesky
    factorisation.

    Parameters
    ----------
    message : str
        Full explanation.
    iteration : int, optional
        Iteration at which the evidence appeared.
    value : float, optional
        The offending quantity, for example the curvature pᵀKp or a Ritz value.
    """

    def __init__(self, message, *, iteration=None, value=None):
        super().__init__(message)
        self.iteration = iteration
        self.value = value
