"""Exact kernel sums by direct summation: the O(N M) reference for tests and benchmarks."""

from __future__ import annotations

import numpy as np

from runtime.kernels import parameter_array, resolve_module
from runtime.validation import as_points, as_weights, check_scaled_extent, lengthscales, positive_scalar


def direct_sum(kernel, targets, sources, weights, *, lengthscale=1.0, variance=1.0, params=None):
    """Return sum_j variance * K(|(t_i - s_j) / lengthscale|) * weights[j] for every target, exactly.

    Parameters
    ----------
    kernel : str, path, KernelSpec or module
        As for :class:`runtime.FKT`.
    targets : array_like, shape (n_targets, dim)
    sources : array_like, shape (n_sources, dim)
    weights : array_like, shape (n_sources,) or (n_sources, k)
    lengthscale, variance, params
        Same meaning as for :class:`runtime.FKT`.

    Returns
    -------
    ndarray, shape (n_targets,) or (n_targets, k)
        float64 for real kernels and weights, complex128 otherwise.

    Notes
    -----
    Parallel over targets with Numba; every pair costs one kernel evaluation. A singular
    kernel uses its ``value_at_zero`` where a target coincides with a source.
    """
    sources = as_points(sources, "sources")
    targets = as_points(targets, "targets", sources.shape[1])
    weights, vector = as_weights(weights, "weights", sources.shape[0])
    module = resolve_module(kernel, sources.shape[1])
    params = parameter_array(module, params)
    scale = lengthscales(lengthscale, sources.shape[1])
    variance = positive_scalar(variance, "variance")

    if np.iscomplexobj(weights) and not module.IS_COMPLEX:
        real = direct_sum(module, targets, sources, weights.real, lengthscale=scale, variance=variance, params=params)
        imaginary = direct_sum(module, targets, sources, weights.imag, lengthscale=scale, variance=variance, params=params)
        result = real + 1j * imaginary
        return result[:, 0] if vector else result

    dtype = np.complex128 if module.IS_COMPLEX else np.float64
    weights = np.ascontiguousarray(weights, dtype=dtype)
    low = np.minimum(sources.min(axis=0), targets.min(axis=0))
    high = np.maximum(sources.max(axis=0), targets.max(axis=0))
    check_scaled_extent(high - low, scale)
    shift = 0.5 * (low + high)
    scaled_sources = np.ascontiguousarray((sources - shift) / scale)
    scaled_targets = np.ascontiguousarray((targets - shift) / scale)
    out = np.zeros((targets.shape[0], weights.shape[1]), dtype=dtype)
    module.direct_sum(scaled_targets, scaled_sources, weights, params, out)
    out *= variance
    return out[:, 0] if vector else out
