"""Warning classes shared by the runtime: numerical problems worked around, and early stops.

Each class carries the numbers a caller needs to act on it: iterations, the residual or error
reached, the target, and the name of the argument to change. Callers filter on the class and
read attributes instead of parsing messages. Both derive from ``RuntimeWarning``, so
filters written for scipy (which warns with ``RuntimeWarning``) also apply.
"""

from __future__ import annotations

__all__ = ["NumericalWarning", "ConvergenceWarning"]


class NumericalWarning(RuntimeWarning):
    """A numerical problem that was worked around (jitter added, bounds guessed, samples merged).

    Parameters
    ----------
    message : str
        What happened, what was done, and what to change.
    knob : str, optional
        Name of the argument whose change removes the warning.
    """

    def __init__(self, message, *, knob=None):
        super().__init__(message)
        self.knob = knob


class ConvergenceWarning(NumericalWarning):
    """An iterative method or greedy fit stopped before reaching its tolerance.

    Parameters
    ----------
    message : str
    iterations : int
        Iterations (operator products, or greedy steps of a fit) performed.
    target : float
        The tolerance that was requested.
    knob : str
        Argument to change, e.g. ``max_iter``, ``tol``, ``max_terms`` or a preconditioner.
    residual : float, optional
        Largest relative residual norm reached (Krylov solvers).
    error : float, optional
        Largest absolute error on the samples when the fit stopped (rational fits).
    """

    def __init__(self, message, *, iterations, target, knob, residual=None, error=None):
        super().__init__(message, knob=knob)
        self.iterations = iterations
        self.target = target
        self.residual = residual
        self.error = error
