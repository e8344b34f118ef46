"""Stochastic trace estimation: log determinants by Lanczos quadrature, and tr(K⁻¹ ∂K)."""

import dataclasses
import logging
import warnings

import numpy as np
import scipy.linalg

from .cg import CGResult, cg
from .errors import ConvergenceWarning, NotPSDError
from .lanczos import lanczos
from .operators import (
    as_operator,
    as_operator_list,
    check_count,
    check_diagonal,
    check_tolerance,
)

__all__ = ["logdet", "trace_inv_product", "probe_vectors", "LogdetResult", "TraceResult"]

logger = logging.getLogger(__name__)

PROBE_KINDS = ("rademacher", "gaussian")

# Default probes: the standard error of a Hutchinson estimate falls like
# 1/sqrt(n_probes), and 30 probes give a usable error bar from the sample spread.
DEFAULT_PROBES = 30

# Default Lanczos steps per probe for the log determinant. Gauss quadrature with
# m nodes is exact for polynomials of degree 2m - 1; 50 nodes resolve log on
# spectra with condition numbers up to about 1e6 to well below the Monte-Carlo
# error of 30 probes (checked in tests/test_krylov_slq.py).
DEFAULT_LOGDET_ITERATIONS = 50

# The quadrature error is estimated by comparing the estimate from all m steps
# with the one from the first m - lag steps, lag = max(QUADRATURE_CHECK_LAG,
# m * QUADRATURE_CHECK_FRACTION). A lag of a few steps misses slow drifts, seen
# without reorthogonalisation on spectra that spread over many decades.
QUADRATURE_CHECK_LAG = 5
QUADRATURE_CHECK_FRACTION = 0.25


@dataclasses.dataclass
class LogdetResult:
    """Outcome of :func:`logdet`.

    Attributes
    ----------
    logdet : float
        Estimate of ``log det(K + D)``.
    std_error : float
        Standard error of the estimate, ``std(samples, ddof=1) / sqrt(n_probes)``.
    samples : ndarray, shape (n_probes,)
        Per-probe quadrature values ``zᵀ log(K + D) z``.
    quadrature_change : float
        ``|estimate(m) - estimate(m - lag)|`` with ``lag = max(5, m / 4)``, a
        proxy for the quadrature error.
    lanczos_steps : ndarray of int, shape (n_probes,)
        Lanczos steps per probe (fewer after breakdown).
    n_products : int
        Block products with ``K``.
    n_matvecs : int
        Columns multiplied, summed over products.
    """

    logdet: float
    std_error: float
    samples: np.ndarray
    quadrature_change: float
    lanczos_steps: np.ndarray
    n_products: int
    n_matvecs: int


@dataclasses.dataclass
class TraceResult:
    """Outcome of :func:`trace_inv_product`.

    Attributes
    ----------
    estimate : float or ndarray of shape (n_derivatives,)
        Estimates of ``tr((K + D)⁻¹ ∂_i)``.
    std_error : float or ndarray of shape (n_derivatives,)
        Standard errors from the spread of the per-probe values.
    samples : ndarray, shape (n_probes, n_derivatives)
        Per-probe values ``zᵀ (K + D)⁻¹ ∂_i z``.
    solve : CGResult
        The block CG solve ``(K + D) U = Z``.
    """

    estimate: float | np.ndarray
    std_error: float | np.ndarray
    samples: np.ndarray
    solve: CGResult


def probe_vectors(n, n_probes, kind="rademacher", rng=None):
    """Return ``n_probes`` random probe vectors with ``E[z zᵀ] = I`` as an (n, n_probes) array.

    Parameters
    ----------
    n, n_probes : int
        Length and number of probes.
    kind : {"rademacher", "gaussian"}, default "rademacher"
        Entries ±1 with equal probability (smallest variance for a fixed matrix
        among i.i.d. probes) or standard normal.
    rng : int or numpy.random.Generator, optional
        Random source; ``None`` draws fresh entropy.
    """
    n = check_count(n, "n")
    n_probes = check_count(n_probes, "n_probes")
    if kind not in PROBE_KINDS:
        raise ValueError(f"probe kind must be one of {PROBE_KINDS}, got {kind!r}")
    generator = np.random.default_rng(rng)
    if kind == "rademacher":
        return generator.choice(np.array([-1.0, 1.0]), size=(n, n_probes))
    return generator.standard_normal((n, n_probes))


def logdet(op, *, diagonal=0.0, n_probes=DEFAULT_PROBES, num_iter=DEFAULT_LOGDET_ITERATIONS,
           probe="rademacher", rng=None, reorthogonalize=False, warn=True):
    """Estimate ``log det(K + D)`` by stochastic Lanczos quadrature.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Symmetric positive semidefinite ``K`` (see :func:`as_operator`).
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to ``K``, for example a noise variance σ². A scalar
        costs nothing extra because Lanczos is shift invariant.
    n_probes : int, default 30
        Number of probe vectors; all share one block product per step.
    num_iter : int, default 50
        Lanczos steps per probe (capped at ``n``).
    probe : {"rademacher", "gaussian"}, default "rademacher"
        Probe distribution (see :func:`probe_vectors`).
    rng : int or numpy.random.Generator, optional
        Random source of the probes.
    reorthogonalize : bool, default False
        Fully reorthogonalise the Lanczos vectors (stores ``n * num_iter *
        n_probes`` values). Gauss quadrature stays accurate without it.
    warn : bool, default True
        Warn when the quadrature change exceeds the standard error.

    Returns
    -------
    LogdetResult
        Estimate, standard error, per-probe values and counts.

    Raises
    ------
    NotPSDError
        If a Ritz value is ``<= 0``, so ``K + D`` is not positive definite.

    Warns
    -----
    ConvergenceWarning
        If the estimate still changed by more than its standard error over the
        last quarter of the Lanczos steps (raise ``num_iter``).

    Notes
    -----
    For a probe ``z`` with ``E[zzᵀ] = I``, ``tr(log A) = E[zᵀ log(A) z]``. Lanczos on
    ``A`` from ``z`` gives ``T_m = S Θ Sᵀ``, and Gauss quadrature yields

    .. math::

        zᵀ \\log(A) z ≈ ‖z‖² \\sum_{k=1}^{m} S_{1k}^2 \\log θ_k .

    The estimate is the mean over probes, its standard error the sample standard
    deviation over ``sqrt(n_probes)``.

    References
    ----------
    .. [1] S. Ubaru, J. Chen and Y. Saad, "Fast estimation of tr(f(A)) via
       stochastic Lanczos quadrature", SIAM J. Matrix Anal. Appl. 38(4) (2017)
       1075-1099. doi:10.1137/16M1104974
    .. [2] G. H. Golub and G. Meurant, "Matrices, Moments and Quadrature with
       Applications", Princeton University Press (2010).
       doi:10.1515/9781400833887
    """
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    diagonal = check_diagonal(diagonal, n)
    n_probes = check_count(n_probes, "n_probes", minimum=2)
    num_iter = check_count(num_iter, "num_iter")
    probes = probe_vectors(n, n_probes, probe, rng)

    # A scalar diagonal only shifts the tridiagonal, so Lanczos runs on K.
    scalar_shift = float(diagonal) if np.ndim(diagonal) == 0 else 0.0
    product_diagonal = 0.0 if np.ndim(diagonal) == 0 else diagonal
    result = lanczos(linear_operator, probes, num_iter, diagonal=product_diagonal,
                     reorthogonalize=reorthogonalize)

    # Gauss quadrature per probe, with all steps and with LAG fewer.
    samples = np.empty(n_probes)
    truncated = np.empty(n_probes)
    squared_norms = result.start_norms**2
    for column in range(n_probes):
        alpha, beta = result.tridiagonal(column)
        alpha = alpha + scalar_shift
        samples[column] = squared_norms[column] * _gauss_log(alpha, beta, column)
        size = alpha.size
        lag = max(QUADRATURE_CHECK_LAG, int(QUADRATURE_CHECK_FRACTION * size))
        if result.breakdown[column] or size <= lag:
            truncated[column] = samples[column]
        else:
            keep = size - lag
            truncated[column] = squared_norms[column] * _gauss_log(alpha[:keep], beta[: keep - 1],
                                                                   column)

    estimate = float(np.mean(samples))
    std_error = float(np.std(samples, ddof=1) / np.sqrt(n_probes))
    quadrature_change = float(abs(estimate - np.mean(truncated)))
    logger.debug("logdet: n=%d probes=%d steps=%d estimate=%.6e std_error=%.2e change=%.2e",
                 n, n_probes, num_iter, estimate, std_error, quadrature_change)
    if warn and quadrature_change > std_error:
        warnings.warn(ConvergenceWarning(
            f"logdet: the Lanczos quadrature has not settled after {int(result.sizes.max())} "
            f"steps: the estimate moved by {quadrature_change:.3e} over the last quarter "
            f"of the steps, more than its standard error {std_error:.3e}; raise num_iter "
            f"(now {num_iter}) or pass reorthogonalize=True",
            iterations=int(result.sizes.max()), residual=quadrature_change, target=std_error,
            knob="num_iter",
        ), stacklevel=2)
    return LogdetResult(
        logdet=estimate, std_error=std_error, samples=samples,
        quadrature_change=quadrature_change, lanczos_steps=result.sizes.copy(),
        n_products=result.n_products, n_matvecs=result.n_matvecs,
    )


def _gauss_log(alpha, beta, column):
    values, vectors = scipy.linalg.eigh_tridiagonal(alpha, beta)
    if values[0] <= 0:
        raise NotPSDError(
            f"the operator is not positive definite: Lanczos on probe {column} found the "
            f"Ritz value {values[0]:.3e} <= 0; add a positive diagonal or check the operator",
            iteration=alpha.size, value=float(values[0]),
        )
    return float(np.sum(vectors[0, :] ** 2 * np.log(values)))


def trace_inv_product(op, derivatives, *, diagonal=0.0, n_probes=DEFAULT_PROBES,
                      probe="rademacher", rng=None, tol=1e-6, max_iter=None,
                      preconditioner=None):
    """Estimate ``tr((K + D)⁻¹ ∂_i)`` for one or several operators ``∂_i`` (Hutchinson).

    With ``∂_i = ∂(K + D)/∂θ_i`` this is the derivative of ``log det(K + D)``
    with respect to ``θ_i``. One block CG solve serves all derivatives.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Symmetric positive definite ``K`` (with ``D``).
    derivatives : operator or list of operators
        ``∂_i``, each anything :func:`as_operator` accepts.
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to ``K``.
    n_probes : int, default 30
        Number of probe vectors (at least 2, for the standard error).
    probe : {"rademacher", "gaussian"}, default "rademacher"
        Probe distribution.
    rng : int or numpy.random.Generator, optional
        Random source of the probes.
    tol : float, default 1e-6
        Relative residual tolerance of the CG solve, in (0, 1).
    max_iter : int, optional
        CG iteration cap (default ``10 n``).
    preconditioner : operator, optional
        Passed to :func:`cg`.

    Returns
    -------
    TraceResult
        Estimates and standard errors (floats for one operator, arrays for a list).

    Warns
    -----
    ConvergenceWarning
        From :func:`cg` if the solve does not converge.

    Notes
    -----
    ``tr(A⁻¹ ∂) = E[zᵀ A⁻¹ ∂ z] = E[(A⁻¹ z)ᵀ (∂ z)]`` for symmetric ``A`` and
    probes with ``E[zzᵀ] = I``; the estimate averages ``u_jᵀ ∂ z_j`` with
    ``A u_j = z_j``.

    References
    ----------
    .. [1] M. F. Hutchinson, "A stochastic estimator of the trace of the influence
       matrix for Laplacian smoothing splines", Commun. Stat. Simul. Comput. 19(2)
       (1990) 433-450. doi:10.1080/03610919008812866
    """
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    derivative_operators, single = as_operator_list(derivatives, n)
    n_probes = check_count(n_probes, "n_probes", minimum=2)
    tol = check_tolerance(tol)
    probes = probe_vectors(n, n_probes, probe, rng)

    solve = cg(linear_operator, probes, diagonal=diagonal, tol=tol, max_iter=max_iter,
               preconditioner=preconditioner)
    samples = np.empty((n_probes, len(derivative_operators)))
    for index, derivative in enumerate(derivative_operators):
        applied = np.asarray(derivative.matmat(probes))
        samples[:, index] = np.sum(solve.x * applied, axis=0)

    estimate = samples.mean(axis=0)
    std_error = samples.std(axis=0, ddof=1) / np.sqrt(n_probes)
    logger.debug("trace_inv_product: n=%d probes=%d derivatives=%d cg_iterations=%d", n,
                 n_probes, len(derivative_operators), solve.iterations)
    if single:
        return TraceResult(estimate=float(estimate[0]), std_error=float(std_error[0]),
                           samples=samples, solve=solve)
    return TraceResult(estimate=estimate, std_error=std_error, samples=samples, solve=solve)
