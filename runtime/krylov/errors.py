"""Warning and exception classes of the Krylov solvers.

Each class carries the numbers a caller needs to act on it (iteration count,
residual reached, target) and the name of the setting to change, so callers can
filter on the class and read the attributes instead of parsing messages.
"""

import numpy as np

__all__ = ["NumericalWarning", "ConvergenceWarning", "NotPSDError"]


class NumericalWarning(RuntimeWarning):
    """Warning for a numerical problem the solver worked around.

    Raised for unreliable eigenvalue bounds, jitter added to a preconditioner
    block, a shifted system that is singular, or a rational approximation whose
    fit error is large.

    Parameters
    ----------
    message : str
        Full explanation, including what was done and what to change.
    knob : str, optional
        Name of the argument whose change removes the warning.
    """

    def __init__(self, message, *, knob=None):
        super().__init__(message)
        self.knob = knob


class ConvergenceWarning(NumericalWarning):
    """Warning that an iterative method stopped before reaching its tolerance.

    Parameters
    ----------
    message : str
        Full explanation.
    iterations : int
        Iterations (block operator products) performed.
    residual : float
        Largest relative residual norm reached over the unconverged columns
        (or shifts).
    target : float
        Relative residual tolerance that was requested.
    knob : str
        Argument to change, usually ``max_iter``, ``tol`` or a preconditioner.
    """

    def __init__(self, message, *, iterations, residual, target, knob):
        super().__init__(message, knob=knob)
        self.iterations = iterations
        self.residual = residual
        self.target = target


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
