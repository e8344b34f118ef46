"""Warning classes of the rational-approximation toolkit.

Every warning carries the numbers a caller needs to act on it (iteration count,
error reached, target) and names the argument to change.
"""

__all__ = ["NumericalWarning", "ConvergenceWarning", "DataWarning"]


class NumericalWarning(RuntimeWarning):
    """Base class of numerical warnings raised by `runtime.rational`.

    It derives from `RuntimeWarning` so that filters written for
    `scipy.interpolate.AAA` (which warns with `RuntimeWarning`) also apply.
    """


class ConvergenceWarning(NumericalWarning):
    """A fit stopped at its term limit before reaching its tolerance.

    Parameters
    ----------
    message : str
        Human-readable description.
    iterations : int
        Number of greedy steps taken.
    error : float
        Maximum absolute error on the samples when the fit stopped.
    target : float
        Absolute error the fit aimed for.
    knob : str
        Name of the argument to change (for example ``"max_terms"``).
    """

    def __init__(self, message, *, iterations, error, target, knob):
        super().__init__(message)
        self.iterations = iterations
        self.error = error
        self.target = target
        self.knob = knob


class DataWarning(UserWarning):
    """Samples were dropped or merged before fitting.

    Parameters
    ----------
    message : str
        Human-readable description.
    n_affected : int
        Number of samples dropped or merged.
    """

    def __init__(self, message, *, n_affected):
        super().__init__(message)
        self.n_affected = n_affected
