"""Samples from multivariate normal distributions through CIQ square roots."""

import logging

import numpy as np

from .ciq import DEFAULT_MINRES_TOL, DEFAULT_QUADRATURE_POINTS, sqrt_matvec
from .operators import as_operator, check_count
from .spectrum import DEFAULT_BOUNDS_ITERATIONS

__all__ = ["sample_gaussian"]

logger = logging.getLogger(__name__)


def sample_gaussian(op, n_samples=1, mean=None, *, diagonal=0.0, rng=None,
                    n_quad=DEFAULT_QUADRATURE_POINTS, tol=DEFAULT_MINRES_TOL, max_iter=None,
                    eig_bounds=None, bounds_iter=DEFAULT_BOUNDS_ITERATIONS, return_info=False):
    """Draw samples from ``N(mean, K + D)`` as ``mean + (K + D)^{1/2} z``, ``z ~ N(0, I)``.

    All samples share one msMINRES run (one block product per iteration).

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Symmetric positive semidefinite covariance ``K`` (see :func:`as_operator`).
    n_samples : int, default 1
        Number of samples.
    mean : array_like of shape (n,), optional
        Mean vector. Default zero.
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to the covariance; ``K + D`` must be positive definite.
    rng : int or numpy.random.Generator, optional
        Source of ``z`` (and of the start vector of the eigenvalue bounds).
        ``None`` draws fresh entropy.
    n_quad, tol, max_iter, eig_bounds, bounds_iter
        As in :func:`inv_sqrt_matvec`.
    return_info : bool, default False
        Also return the :class:`CIQInfo` of the square root.

    Returns
    -------
    samples : ndarray, shape (n_samples, n)
        One sample per row, as :meth:`numpy.random.Generator.multivariate_normal`
        returns them.
    info : CIQInfo
        Only if ``return_info``.

    Raises
    ------
    NotPSDError
        If ``K + D`` is not positive definite.
    ValueError
        If ``mean`` has the wrong shape or non-finite entries.

    Notes
    -----
    ``Cov[(K + D)^{1/2} z] = (K + D)^{1/2} (K + D)^{1/2} = K + D``. The symmetric
    square root is used, so the sample covariance error is the CIQ error plus the
    Monte-Carlo error ``O(1/sqrt(n_samples))``.

    References
    ----------
    .. [1] G. Pleiss, M. Jankowiak, D. Eriksson, A. Damle and J. R. Gardner,
       "Fast matrix square roots with applications to Gaussian processes and
       Bayesian optimization", NeurIPS (2020). arXiv:2006.11267
    """
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    n_samples = check_count(n_samples, "n_samples")
    if mean is not None:
        mean = np.asarray(mean, dtype=np.float64)
        if mean.shape != (n,):
            raise ValueError(f"mean must have shape ({n},), got {mean.shape}")
        if not np.all(np.isfinite(mean)):
            raise ValueError("mean contains NaN or infinity")
    generator = np.random.default_rng(rng)

    # (n, n_samples) standard normal block -> (n_samples, n) samples.
    standard = generator.standard_normal((n, n_samples))
    result = sqrt_matvec(linear_operator, standard, diagonal=diagonal, n_quad=n_quad, tol=tol,
                         max_iter=max_iter, eig_bounds=eig_bounds, bounds_iter=bounds_iter,
                         rng=generator, return_info=return_info)
    correlated, info = result if return_info else (result, None)
    samples = correlated.T.copy()
    if mean is not None:
        samples += mean
    logger.debug("sample_gaussian: n=%d samples=%d", n, n_samples)
    return (samples, info) if return_info else samples
