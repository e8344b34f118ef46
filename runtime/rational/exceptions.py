"""Warning classes of the rational-approximation toolkit (shared ones from :mod:`runtime.errors`)."""

from runtime.errors import ConvergenceWarning, NumericalWarning

__all__ = ["NumericalWarning", "ConvergenceWarning", "DataWarning"]


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
