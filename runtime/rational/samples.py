"""Validation and cleaning of sample arrays shared by the fitting routines."""

import logging
import warnings

import numpy as np

from .exceptions import DataWarning

__all__ = ["clean_samples"]

logger = logging.getLogger(__name__)


def clean_samples(x, y, *, min_samples=1, x_name="x", y_name="y"):
    """Validate samples, drop non-finite values and merge repeated points.

    Parameters
    ----------
    x : array_like, shape (n,)
        Sample points, real or complex, all finite.
    y : array_like, shape (n,)
        Sample values, real or complex. NaN or infinite values are dropped
        together with their points.
    min_samples : int, optional
        Minimum number of samples that must remain; default 1.
    x_name, y_name : str, optional
        Argument names used in error messages.

    Returns
    -------
    x, y : ndarray
        Cleaned 1-D arrays of the same length, in the original order of first
        occurrence. `x` is float64 or complex128, `y` likewise.

    Raises
    ------
    TypeError
        If `x` or `y` is not numeric.
    ValueError
        If the arrays are not 1-D, their lengths differ, `x` has non-finite
        entries, or fewer than `min_samples` samples remain.

    Warns
    -----
    DataWarning
        When non-finite values are dropped, or when repeated points are merged
        (their values are averaged, which is the least-squares value for
        repeated noisy measurements).
    """
    x = _as_numeric(x, x_name)
    y = _as_numeric(y, y_name)
    if x.ndim != 1:
        raise ValueError(f"{x_name} must be 1-D, got shape {x.shape}; pass a flat array.")
    if y.ndim != 1:
        raise ValueError(f"{y_name} must be 1-D, got shape {y.shape}; pass a flat array.")
    if x.size != y.size:
        raise ValueError(
            f"{x_name} and {y_name} must have the same length, got {x.size} and {y.size}; "
            "pass one value per sample point."
        )
    if not np.all(np.isfinite(x)):
        bad = x[~np.isfinite(x)][:3]
        raise ValueError(
            f"{x_name} must be finite, got non-finite entries such as {bad.tolist()}; "
            "remove those samples."
        )

    finite = np.isfinite(y)
    n_dropped = int(np.count_nonzero(~finite))
    if n_dropped:
        warnings.warn(
            DataWarning(
                f"dropped {n_dropped} of {y.size} samples whose {y_name} is NaN or infinite",
                n_affected=n_dropped,
            ),
            stacklevel=3,
        )
        x = x[finite]
        y = y[finite]

    unique, first, inverse, counts = np.unique(
        x, return_index=True, return_inverse=True, return_counts=True
    )
    if unique.size < x.size:
        n_merged = int(x.size - unique.size)
        sums = np.zeros(unique.size, dtype=y.dtype)
        np.add.at(sums, inverse, y)
        merged = sums / counts
        order = np.argsort(first)
        x = unique[order]
        y = merged[order]
        warnings.warn(
            DataWarning(
                f"merged {n_merged} repeated sample points of {x_name} by averaging "
                f"their {y_name} values",
                n_affected=n_merged,
            ),
            stacklevel=3,
        )

    if x.size < min_samples:
        raise ValueError(
            f"need at least {min_samples} samples with finite {y_name}, got {x.size}; "
            "pass more samples or fewer NaN/inf values."
        )
    return x, y


def _as_numeric(values, name):
    array = np.asarray(values)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(
            f"{name} must be a numeric array, got dtype {array.dtype}; "
            "pass floats or complex numbers."
        )
    if np.iscomplexobj(array):
        return array.astype(np.complex128)
    return array.astype(np.float64)
