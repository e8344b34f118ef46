"""Matrix functions f(K) b from a rational approximation of f and shifted solves."""

import dataclasses
import logging
import warnings

import numpy as np

from .errors import NumericalWarning
from .lanczos import lanczos
from .minres import minres_shifted
from .operators import (
    as_operator,
    check_count,
    check_diagonal,
    check_rhs,
    check_tolerance,
)
from .spectrum import DEFAULT_BOUNDS_ITERATIONS, DEFAULT_BOUNDS_SEED

__all__ = ["matrix_function", "MatrixFunctionInfo"]

logger = logging.getLogger(__name__)

# Sample points on the spectral interval: half Chebyshev points (resolve the
# ends), half geometric points when the interval is positive (resolve
# functions like sqrt and x^(-1/2) that vary on a logarithmic scale near 0).
DEFAULT_SAMPLE_POINTS = 600

# Relative fit error above which the approximation of f is reported as poor:
# f(K)b cannot be more accurate than the fit on the spectrum.
DEFAULT_FIT_TOL = 1e-8

# The Ritz interval is widened by this fraction of its length on each side, so
# eigenvalues just outside the extreme Ritz values stay inside the fit interval.
INTERVAL_MARGIN = 1e-2

# A real pole closer to the fit interval than this fraction of its length makes
# a shifted system nearly singular (a spurious pole of the fit).
POLE_DISTANCE_RTOL = 1e-8


# Tightest per-shift residual tolerance: MINRES residuals stall a few hundred
# eps above zero on well-conditioned shifted systems.
SHIFT_TOL_FLOOR = 1e-13


@dataclasses.dataclass
class MatrixFunctionInfo:
    """Diagnostics of :func:`matrix_function`.

    Attributes
    ----------
    poles, residues : ndarray, shape (n_poles,)
        Partial fractions ``f(z) ≈ c + Σ_j res_j / (z - p_j)`` on the interval.
    constant : complex
        The constant ``c``.
    lower, upper : float
        Interval the fit was built on.
    fit_error : float
        Maximum of ``|r(x) - f(x)|`` over the sample points, relative to
        ``max |f(x)|``.
    converged : ndarray of bool, shape (n_poles, k)
        Whether each shifted solve reached ``tol``.
    iterations : int
        msMINRES iterations.
    n_products : int
        Block products with ``K`` (interval estimate and msMINRES).
    """

    poles: np.ndarray
    residues: np.ndarray
    constant: complex
    lower: float
    upper: float
    fit_error: float
    converged: np.ndarray
    iterations: int
    n_products: int


def matrix_function(op, f, b, *, diagonal=0.0, eig_bounds=None,
                    bounds_iter=DEFAULT_BOUNDS_ITERATIONS, n_sample_points=DEFAULT_SAMPLE_POINTS,
                    rtol=None, max_terms=100, fit_tol=DEFAULT_FIT_TOL, tol=1e-8, max_iter=None,
                    approximator=None, rng=None, return_info=False):
    """Compute ``f(K + D) b`` for a scalar function ``f`` on the spectrum of ``K + D``.

    ``f`` is fitted on the spectral interval by the AAA rational approximation,
    written in partial fractions, and the shifted systems of the poles are
    solved together by :func:`minres_shifted`.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Real symmetric ``K`` (see :func:`as_operator`); need not be definite.
    f : callable
        Vectorised scalar function, ``f(x)`` for a float array ``x``. It must be
        finite on the interval.
    b : array_like, shape (n,) or (n, k)
        Right-hand sides.
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to ``K``.
    eig_bounds : (float, float), optional
        Interval holding the spectrum of ``K + D``. Default: the extreme Ritz
        values of ``bounds_iter`` Lanczos steps, widened by their residuals and by
        1 % of the interval length. Pass it for functions that are undefined
        outside the true spectrum (``sqrt`` near 0).
    bounds_iter : int, default 20
        Lanczos steps of the interval estimate.
    n_sample_points : int, default 600
        Points at which ``f`` is sampled for the fit.
    rtol, max_terms
        Passed to the approximator (AAA tolerance, default about ``eps``
        relative, and the maximum number of support points).
    fit_tol : float, default 1e-8
        Warn when the relative fit error on the samples exceeds it.
    tol : float, default 1e-8
        Target of the solve error relative to ``max |f| ‖b‖``, in (0, 1). Each
        shifted solve gets the relative residual tolerance
        ``tol max|f| / Σ_j (|res_j| / dist(p_j, interval))``, at most ``tol`` and at
        least 1e-13, because large residues of nearby poles amplify solve errors.
    max_iter : int, optional
        msMINRES iteration cap (default ``10 n``).
    approximator : callable, optional
        Class or function with the interface of :class:`scipy.interpolate.AAA`:
        ``approximator(x, y, rtol=..., max_terms=...)`` returns an object with
        ``poles()``. Default ``runtime.rational.AAA``, imported on first use.
    rng : int or numpy.random.Generator, optional
        Start vector of the interval estimate (default seed 0).
    return_info : bool, default False
        Also return a :class:`MatrixFunctionInfo`.

    Returns
    -------
    y : ndarray, shape of ``b``
        ``f(K + D) b``; real when ``b`` is real and ``f`` is real on the samples.
    info : MatrixFunctionInfo
        Only if ``return_info``.

    Raises
    ------
    ValueError
        If ``f`` is not finite on the sample points, or on bad arguments.

    Warns
    -----
    NumericalWarning
        If the fit error exceeds ``fit_tol``, or a real pole lies on the fit
        interval (the shifted system is then nearly singular).
    ConvergenceWarning
        From :func:`minres_shifted` if a shifted solve does not converge.

    Notes
    -----
    With ``r(z) = c + Σ_j res_j / (z - p_j)`` and ``A = K + D``,

    .. math::

        f(A) b ≈ r(A) b = c\\, b + \\sum_j res_j (A - p_j I)^{-1} b ,

    so the shifts of :func:`minres_shifted` are ``t_j = -p_j`` (complex for
    complex poles). For symmetric ``A``, ``‖f(A) - r(A)‖₂ ≤ max |f - r|`` over
    the spectrum, which is why the fit must cover the whole spectrum. The AAA
    poles are kept, and the residues and ``c`` are refitted by linear least
    squares on the samples, which is more accurate than the residues of the
    barycentric form.

    References
    ----------
    .. [1] Y. Nakatsukasa, O. Sète and L. N. Trefethen, "The AAA algorithm for
       rational approximation", SIAM J. Sci. Comput. 40(3) (2018) A1494-A1522.
       doi:10.1137/16M1106122
    .. [2] N. J. Higham, "Functions of Matrices: Theory and Computation", SIAM
       (2008). doi:10.1137/1.9780898717778
    """
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    rhs, was_vector = check_rhs(b, n)
    diagonal = check_diagonal(diagonal, n)
    if not callable(f):
        raise TypeError(f"f must be a callable scalar function, got {type(f).__name__}")
    n_sample_points = check_count(n_sample_points, "n_sample_points", minimum=4)
    fit_tol = check_tolerance(fit_tol, "fit_tol")
    tol = check_tolerance(tol)
    if approximator is None:
        try:
            from runtime.rational import AAA as approximator  # noqa: N813 (class as factory)
        except ImportError as error:
            raise ImportError(
                "matrix_function needs runtime.rational.AAA, which failed to import; pass "
                "approximator=scipy.interpolate.AAA (same interface) instead"
            ) from error

    # Spectral interval and samples of f on it.
    n_products = 0
    if eig_bounds is None:
        lower, upper, n_products = _ritz_interval(linear_operator, diagonal, bounds_iter, rng)
    else:
        lower, upper = _check_interval(eig_bounds)
    points = _sample_points(lower, upper, n_sample_points)
    values = np.asarray(f(points))
    if values.shape != points.shape:
        raise ValueError(
            f"f returned shape {values.shape} for {points.size} points; f must be "
            f"vectorised over a 1-D array"
        )
    if not np.all(np.isfinite(values)):
        bad = points[~np.isfinite(values)]
        raise ValueError(
            f"f is not finite at {bad.size} sample points of [{lower:.3e}, {upper:.3e}] "
            f"(first {bad[0]:.3e}); pass eig_bounds inside the domain of f"
        )

    # Rational fit, partial fractions, and its error on the samples.
    poles, residues, constant, fit_error = _partial_fractions(
        approximator, points, values, rtol, max_terms)
    if fit_error > fit_tol:
        warnings.warn(NumericalWarning(
            f"the rational fit of f has relative error {fit_error:.2e} > fit_tol="
            f"{fit_tol:.1e} on [{lower:.3e}, {upper:.3e}] with {poles.size} poles; raise "
            f"max_terms (now {max_terms}) or narrow eig_bounds",
            knob="max_terms",
        ), stacklevel=2)
    _warn_poles_on_interval(poles, lower, upper)

    # c b + Σ_j res_j (A - p_j)⁻¹ b with all shifts in one msMINRES run.
    if poles.size:
        shift_tolerances = _shift_tolerances(poles, residues, values, lower, upper, tol)
        result = minres_shifted(linear_operator, rhs, -poles, diagonal=diagonal,
                                tol=shift_tolerances,
                                max_iter=max_iter, weights=residues)
        output = constant * rhs + result.x
        n_products += result.n_products
        converged, iterations = result.converged, result.iterations
    else:
        output = constant * rhs
        converged, iterations = np.ones((0, rhs.shape[1]), dtype=bool), 0
    if np.isrealobj(rhs) and np.isrealobj(values):
        output = np.real(output)

    logger.debug("matrix_function: n=%d poles=%d interval=[%.3e, %.3e] fit_error=%.2e "
                 "iterations=%d", n, poles.size, lower, upper, fit_error, iterations)
    output = output[:, 0] if was_vector else output
    if not return_info:
        return output
    info = MatrixFunctionInfo(
        poles=poles, residues=residues, constant=constant, lower=lower, upper=upper,
        fit_error=fit_error, converged=converged, iterations=iterations, n_products=n_products,
    )
    return output, info


def _ritz_interval(linear_operator, diagonal, bounds_iter, rng):
    n = linear_operator.shape[0]
    bounds_iter = check_count(bounds_iter, "bounds_iter")
    generator = np.random.default_rng(DEFAULT_BOUNDS_SEED if rng is None else rng)
    result = lanczos(linear_operator, generator.standard_normal(n), bounds_iter,
                     diagonal=diagonal, reorthogonalize=True)
    values, _, residuals = result.ritz()
    lower = values[0] - residuals[0]
    upper = values[-1] + residuals[-1]
    margin = INTERVAL_MARGIN * max(upper - lower, abs(upper), np.finfo(np.float64).tiny)
    return float(lower - margin), float(upper + margin), result.n_products


def _check_interval(eig_bounds):
    try:
        lower, upper = (float(value) for value in eig_bounds)
    except (TypeError, ValueError) as error:
        raise ValueError(f"eig_bounds must be a pair (lower, upper), got {eig_bounds!r}") from error
    if not (np.isfinite(lower) and np.isfinite(upper)) or upper <= lower:
        raise ValueError(
            f"eig_bounds must be finite with lower < upper, got {eig_bounds!r}"
        )
    return lower, upper


def _sample_points(lower, upper, count):
    chebyshev_count = count // 2 if lower > 0 else count
    angles = np.pi * np.arange(chebyshev_count) / (chebyshev_count - 1)
    chebyshev = lower + (upper - lower) * (1 - np.cos(angles)) / 2
    if lower > 0:
        geometric = np.geomspace(lower, upper, count - chebyshev_count)
        return np.unique(np.concatenate([chebyshev, geometric]))
    return np.unique(chebyshev)


def _partial_fractions(approximator, points, values, rtol, max_terms):
    fit = approximator(points, values, rtol=rtol, max_terms=max_terms)
    poles = np.asarray(fit.poles(), dtype=np.complex128).ravel()

    # Residues and constant by least squares in the Cauchy basis of the poles.
    # Columns are scaled to unit norm so distant and near poles weigh alike.
    basis = np.empty((points.size, poles.size + 1), dtype=np.complex128)
    basis[:, 0] = 1.0
    basis[:, 1:] = 1.0 / (points[:, None] - poles[None, :])
    column_norms = np.linalg.norm(basis, axis=0)
    coefficients, *_ = np.linalg.lstsq(basis / column_norms, values, rcond=None)
    coefficients = coefficients / column_norms
    constant, residues = coefficients[0], coefficients[1:]

    approximation = basis @ coefficients
    scale = max(float(np.max(np.abs(values))), np.finfo(np.float64).tiny)
    fit_error = float(np.max(np.abs(approximation - values)) / scale)
    return poles, residues, complex(constant), fit_error


def _shift_tolerances(poles, residues, values, lower, upper, tol):
    # The solve error of pole j reaches y amplified by |res_j| / dist(p_j, interval),
    # while y is of the size max|f| ‖b‖. Tightening every shift by the summed
    # amplification keeps the total solve error near tol relative to max|f|.
    distance = np.abs(poles - np.clip(poles.real, lower, upper))
    distance = np.maximum(distance, POLE_DISTANCE_RTOL * (upper - lower))
    amplification = float(np.sum(np.abs(residues) / distance))
    scale = float(np.max(np.abs(values)))
    tolerance = tol * scale / max(amplification, np.finfo(np.float64).tiny)
    return np.full(poles.size, min(max(tolerance, SHIFT_TOL_FLOOR), tol))


def _warn_poles_on_interval(poles, lower, upper):
    length = upper - lower
    real_poles = np.abs(poles.imag) <= POLE_DISTANCE_RTOL * length
    inside = real_poles & (poles.real >= lower - POLE_DISTANCE_RTOL * length) & (
        poles.real <= upper + POLE_DISTANCE_RTOL * length)
    if np.any(inside):
        warnings.warn(NumericalWarning(
            f"the rational fit has {int(inside.sum())} real poles on the interval "
            f"[{lower:.3e}, {upper:.3e}] (at {poles.real[inside].tolist()}); their shifted "
            f"systems are nearly singular. Lower max_terms or loosen rtol to remove "
            f"spurious poles",
            knob="max_terms",
        ), stacklevel=3)
