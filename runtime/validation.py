"""Validation and normalisation of user arrays and scalars, with messages that name the argument."""

from __future__ import annotations

import numbers

import numpy as np


def as_points(value, name: str, dim: int | None = None) -> np.ndarray:
    """Return points as a C-contiguous float64 array (n, d); a 1-D array means d = 1.

    Raises
    ------
    TypeError
        For non-numeric or complex input.
    ValueError
        For empty input, wrong dimensionality, a dimension mismatch, NaN or Inf.
    """
    try:
        array = np.asarray(value)
    except Exception as error:  # noqa: BLE001 - report any conversion failure the same way
        raise TypeError(f"{name} must be an array of coordinates: {error}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric array of coordinates, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must hold real coordinates, got dtype {array.dtype}")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape (n_points, dim), got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: pass at least one point")
    if array.shape[1] == 0:
        raise ValueError(f"{name} has zero coordinates per point (shape {array.shape})")
    if dim is not None and array.shape[1] != dim:
        raise ValueError(f"{name} has dimension {array.shape[1]}, expected {dim} to match the sources")
    array = np.ascontiguousarray(array, dtype=np.float64)
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise ValueError(f"{name} contains NaN or Inf (first at row {bad}); remove or fill those points")
    return array


def as_weights(value, name: str, n_rows: int, complex_allowed: bool = True) -> tuple[np.ndarray, bool]:
    """Return (weights as a 2-D C-contiguous array (n_rows, k), whether the input was 1-D).

    Real input becomes float64, complex input complex128.
    """
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if np.iscomplexobj(array) and not complex_allowed:
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    vector = array.ndim == 1
    if vector:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must have shape ({n_rows},) or ({n_rows}, k), got shape {array.shape}")
    if array.shape[0] != n_rows:
        raise ValueError(f"{name} has {array.shape[0]} rows, expected {n_rows} (one per source point)")
    dtype = np.complex128 if np.iscomplexobj(array) else np.float64
    array = np.ascontiguousarray(array, dtype=dtype)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or Inf; the product would be undefined")
    return array, vector


def positive_scalar(value, name: str) -> float:
    """Return a finite positive float, or raise naming the argument."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def tolerance(value, name: str = "tol") -> float:
    """Return a tolerance in the open interval (0, 1), or raise naming the argument."""
    value = positive_scalar(value, name)
    if not value < 1:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return value


MAX_SCALED_EXTENT = 1e150
"""Largest coordinate extent in length-scale units: squared distances in d <= 6 stay below
6 * (2e150)^2 = 2.4e301, short of the float64 overflow at 1.8e308."""


def lengthscales(value, dim: int) -> np.ndarray:
    """Return the length scale as an array of dim positive floats (a scalar applies to every axis)."""
    array = None
    if not isinstance(value, (bool, np.bool_, str, bytes)) and not np.iscomplexobj(value):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
    if array is None or array.dtype == object:
        raise TypeError(f"lengthscale must be a positive number or an array of {dim}, got {value!r}")
    if array.ndim == 0:
        array = np.full(dim, float(array))
    if array.shape != (dim,):
        raise ValueError(f"lengthscale must be a scalar or have shape ({dim},), got shape {array.shape}")
    if not (np.isfinite(array).all() and (array > 0).all()):
        raise ValueError(f"lengthscale must be positive and finite, got {array}")
    return array


def optional_int(value, name: str, minimum: int) -> int | None:
    """Return None or an int >= minimum, raising TypeError/ValueError that name the argument."""
    if value is None:
        return None
    import operator

    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def check_scaled_extent(extent, lengthscale: np.ndarray) -> None:
    """Raise if the point cloud spans too many length scales for float64 squared distances."""
    scaled = float(np.max(np.asarray(extent) / lengthscale))
    if not scaled <= MAX_SCALED_EXTENT:
        raise ValueError(
            f"the points span {scaled:.1e} length scales, beyond {MAX_SCALED_EXTENT:.0e}, so squared distances "
            "would overflow float64; rescale the coordinates or raise lengthscale"
        )
