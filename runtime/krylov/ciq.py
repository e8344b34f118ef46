"""Square roots and inverse square roots times vectors by contour-integral quadrature (CIQ)."""

import dataclasses
import logging
import numbers

import numpy as np

from .contour import inv_sqrt_quadrature
from .minres import minres_shifted
from .operators import (
    CountingProduct,
    as_operator,
    as_operator_list,
    check_count,
    check_diagonal,
    check_rhs,
    check_tolerance,
)
from .spectrum import DEFAULT_BOUNDS_ITERATIONS, EigenvalueBounds, eigenvalue_bounds

__all__ = ["sqrt_matvec", "inv_sqrt_matvec", "ciq_backward", "CIQInfo", "CIQGradient"]

logger = logging.getLogger(__name__)

# Quadrature nodes by default. The relative quadrature error is about 1e-7 for a
# condition number of 1e6 and 3e-6 for 1e8 (see inv_sqrt_quadrature), below the
# default MINRES tolerance. linear_operator 0.6.1 uses the same default.
DEFAULT_QUADRATURE_POINTS = 15

# Relative residual of each shifted solve by default, as in linear_operator 0.6.1.
# The error of the CIQ result is of the same order, times a factor that grows
# slowly with the condition number (measured in benchmarks/krylov).
DEFAULT_MINRES_TOL = 1e-4


@dataclasses.dataclass
class CIQInfo:
    """Diagnostics of :func:`sqrt_matvec` and :func:`inv_sqrt_matvec`, and the
    state :func:`ciq_backward` needs.

    Attributes
    ----------
    kind : {"sqrt", "inv_sqrt"}
        Which function was applied.
    shifts, weights : ndarray, shape (n_quad,)
        Quadrature rule ``(K + D)^{-1/2} ≈ Σ_q w_q (K + D + t_q I)⁻¹``.
    lower, upper : float
        Spectral interval the rule was built for.
    bounds : EigenvalueBounds or None
        Lanczos estimate behind the interval (None if ``eig_bounds`` was given).
    converged : ndarray of bool, shape (n_quad, k)
        Whether each shifted solve reached ``tol``.
    residual_norms : ndarray, shape (n_quad, k)
        Relative residuals of the shifted solves.
    iterations : int
        msMINRES iterations.
    n_products : int
        All block products with ``K``: bounds, msMINRES, and the final product of
        :func:`sqrt_matvec`.
    n_matvecs : int
        Columns multiplied by ``K``, summed over those products.
    diagonal : float or ndarray
        Diagonal ``D`` that was added.
    rhs : ndarray, shape (n, k)
        Copy of the right-hand sides, used by :func:`ciq_backward`.
    solves : ndarray, shape (n_quad, n, k) or None
        Shifted solutions ``(K + D + t_q I)⁻¹ b`` if ``keep_solves=True``.
    tol : float
        MINRES tolerance used.
    max_iter : int or None
        MINRES iteration cap used.
    """

    kind: str
    shifts: np.ndarray
    weights: np.ndarray
    lower: float
    upper: float
    bounds: EigenvalueBounds | None
    converged: np.ndarray
    residual_norms: np.ndarray
    iterations: int
    n_products: int
    n_matvecs: int
    diagonal: float | np.ndarray
    rhs: np.ndarray
    solves: np.ndarray | None
    tol: float
    max_iter: int | None

    @property
    def success(self):
        """Whether every shifted solve converged."""
        return bool(np.all(self.converged))


@dataclasses.dataclass
class CIQGradient:
    """Outcome of :func:`ciq_backward`.

    Attributes
    ----------
    grad_b : ndarray, shape of ``b``
        ``∂L/∂b`` for ``L = Σ_c g_cᵀ y_c``.
    grad_params : ndarray, shape (n_params,), or float
        ``∂L/∂θ_i`` for each derivative operator ``∂(K + D)/∂θ_i`` (a float when a
        single operator was passed, empty when none).
    converged : ndarray of bool, shape (n_quad, k)
        Whether the shifted solves with the upstream gradient converged.
    n_products : int
        Block products with ``K`` (derivative products not included).
    """

    grad_b: np.ndarray
    grad_params: np.ndarray | float
    converged: np.ndarray
    n_products: int


def inv_sqrt_matvec(op, b, *, diagonal=0.0, n_quad=DEFAULT_QUADRATURE_POINTS,
                    tol=DEFAULT_MINRES_TOL, max_iter=None, eig_bounds=None,
                    bounds_iter=DEFAULT_BOUNDS_ITERATIONS, rng=None, keep_solves=False,
                    return_info=False, progress=False):
    """Compute ``(K + D)^{-1/2} b`` by contour-integral quadrature and msMINRES.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Symmetric positive semidefinite ``K`` (see :func:`as_operator`).
    b : array_like, shape (n,) or (n, k)
        Right-hand sides; all columns share one product per iteration.
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to ``K``; ``K + D`` must be positive definite.
    n_quad : int, default 15
        Quadrature nodes ``Q`` (shifted systems).
    tol : float, default 1e-4
        Relative residual tolerance of every shifted solve, in (0, 1).
    max_iter : int, optional
        msMINRES iteration cap. Default ``10 * n``.
    eig_bounds : (float, float), optional
        Interval ``(λ_min, λ_max)`` holding the spectrum of ``K + D``. Default:
        estimated by :func:`eigenvalue_bounds` with ``bounds_iter`` Lanczos steps.
    bounds_iter : int, default 20
        Lanczos steps of the bound estimate.
    rng : int or numpy.random.Generator, optional
        Starting vector of the bound estimate (default seed 0).
    keep_solves : bool, default False
        Store the ``Q`` shifted solutions in the info (``Q n k`` values), which
        lets :func:`ciq_backward` skip re-solving with ``b``.
    return_info : bool, default False
        Also return a :class:`CIQInfo`.
    progress : bool, default False
        Show a progress bar over the msMINRES iterations.

    Returns
    -------
    y : ndarray, shape of ``b``
        ``(K + D)^{-1/2} b``.
    info : CIQInfo
        Only if ``return_info``.

    Raises
    ------
    NotPSDError
        If the bound estimate finds ``K + D`` not positive definite.
    ValueError
        On bad shapes, NaN in ``b``, a tolerance outside (0, 1) or bad bounds.

    Warns
    -----
    NumericalWarning
        If the estimated lower eigenvalue bound is unreliable.
    ConvergenceWarning
        If a shifted solve does not converge in ``max_iter`` iterations.

    Notes
    -----
    With the rule of :func:`inv_sqrt_quadrature` on ``[λ_min, λ_max]``,

    .. math::

        (K + D)^{-1/2} b ≈ \\sum_{q=1}^{Q} w_q (K + D + t_q I)^{-1} b,

    and all ``Q`` systems are solved by :func:`minres_shifted` from one Lanczos
    process, so the cost is one product per iteration whatever ``Q`` is. The
    error is the quadrature error (set by ``n_quad`` and the interval) plus the
    solver error (set by ``tol``).

    NOTE: no preconditioner is supported. A preconditioned CIQ (as in
    linear_operator 0.6.1) returns a non-symmetric square root instead.

    References
    ----------
    .. [1] G. Pleiss, M. Jankowiak, D. Eriksson, A. Damle and J. R. Gardner,
       "Fast matrix square roots with applications to Gaussian processes and
       Bayesian optimization", NeurIPS (2020). arXiv:2006.11267
    .. [2] N. Hale, N. J. Higham and L. N. Trefethen, "Computing A^α, log(A), and
       related matrix functions by contour integrals", SIAM J. Numer. Anal. 46(5)
       (2008) 2505-2523. doi:10.1137/070700607
    """
    return _ciq_apply("inv_sqrt", op, b, diagonal, n_quad, tol, max_iter, eig_bounds,
                      bounds_iter, rng, keep_solves, return_info, progress)


def sqrt_matvec(op, b, *, diagonal=0.0, n_quad=DEFAULT_QUADRATURE_POINTS,
                tol=DEFAULT_MINRES_TOL, max_iter=None, eig_bounds=None,
                bounds_iter=DEFAULT_BOUNDS_ITERATIONS, rng=None, keep_solves=False,
                return_info=False, progress=False):
    """Compute ``(K + D)^{1/2} b`` as ``(K + D) (K + D)^{-1/2} b`` by CIQ.

    Takes the arguments of :func:`inv_sqrt_matvec` and costs one more product.

    Returns
    -------
    y : ndarray, shape of ``b``
        ``(K + D)^{1/2} b``.
    info : CIQInfo
        Only if ``return_info``.

    Notes
    -----
    Multiplying by ``K + D`` damps the solver error along small eigenvalues, so
    the relative error is usually smaller than that of :func:`inv_sqrt_matvec`
    at the same settings.
    """
    return _ciq_apply("sqrt", op, b, diagonal, n_quad, tol, max_iter, eig_bounds,
                      bounds_iter, rng, keep_solves, return_info, progress)


def ciq_backward(op, info, grad_output, derivatives=None, *, tol=None, max_iter=None):
    """Back-propagate through :func:`sqrt_matvec` or :func:`inv_sqrt_matvec`.

    Given the upstream gradient ``g = ∂L/∂y`` of a scalar loss, return ``∂L/∂b``
    and ``∂L/∂θ_i`` for hyperparameters ``θ_i`` of ``K + D``, given the derivative
    operators ``∂(K + D)/∂θ_i``.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        The operator ``K`` of the forward call.
    info : CIQInfo
        Returned by the forward call with ``return_info=True``.
    grad_output : array_like, shape of ``y``
        Upstream gradient ``g``.
    derivatives : operator or list of operators, optional
        ``∂(K + D)/∂θ_i``, each anything :func:`as_operator` accepts (for a noise
        variance σ² in ``D``, the identity). Default none.
    tol, max_iter : optional
        msMINRES settings; default those of the forward call.

    Returns
    -------
    CIQGradient
        ``grad_b``, ``grad_params`` and counts.

    Raises
    ------
    ValueError
        If shapes disagree with the forward call or ``grad_output`` has NaN.

    Notes
    -----
    Write ``A = K + D``, ``b_q = (A + t_q)⁻¹ b`` and ``g_q = (A + t_q)⁻¹ g`` (one
    msMINRES run on ``g``, plus one on ``b`` unless the forward kept its solves).
    The quadrature result is a symmetric function of ``A``, so ``∂L/∂b`` is the same
    function applied to ``g``. For the hyperparameters, differentiating
    ``(A + t)⁻¹`` and ``A (A + t)⁻¹ = I - t (A + t)⁻¹`` gives

    .. math::

        \\frac{∂L}{∂θ_i} = -\\sum_q w_q\\, g_qᵀ \\frac{∂A}{∂θ_i} b_q
        \\;\\;(A^{-1/2}),\\qquad
        \\frac{∂L}{∂θ_i} = \\sum_q w_q t_q\\, g_qᵀ \\frac{∂A}{∂θ_i} b_q
        \\;\\;(A^{1/2}),

    summed over the columns of ``b``. Each derivative operator is applied once,
    to the block of all ``b_q`` (``Q k`` columns). These are exact gradients of
    the quadrature approximation, which converge to those of ``A^{∓1/2}`` as the
    quadrature and solves converge.

    References
    ----------
    .. [1] G. Pleiss, M. Jankowiak, D. Eriksson, A. Damle and J. R. Gardner,
       "Fast matrix square roots with applications to Gaussian processes and
       Bayesian optimization", NeurIPS (2020). arXiv:2006.11267
    """
    if not isinstance(info, CIQInfo):
        raise TypeError(
            f"info must be the CIQInfo of a forward call with return_info=True, got "
            f"{type(info).__name__}"
        )
    linear_operator = as_operator(op)
    n, k = info.rhs.shape
    if linear_operator.shape != (n, n):
        raise ValueError(
            f"op has shape {linear_operator.shape} but the forward call used shape {(n, n)}"
        )
    grad, vector_output = check_rhs(grad_output, n, name="grad_output")
    if grad.shape != info.rhs.shape:
        raise ValueError(
            f"grad_output must have the shape of the forward output {info.rhs.shape}, "
            f"got {grad.shape}"
        )
    derivative_operators, single = (
        ([], False) if derivatives is None else as_operator_list(derivatives, n)
    )
    tol = info.tol if tol is None else check_tolerance(tol)
    max_iter = info.max_iter if max_iter is None else check_count(max_iter, "max_iter")

    # Shifted solves with g, and with b unless the forward pass kept them.
    if info.solves is None and derivative_operators:
        stacked = np.concatenate([info.rhs, grad], axis=1)
        result = minres_shifted(linear_operator, stacked, info.shifts, diagonal=info.diagonal,
                                tol=tol, max_iter=max_iter)
        rhs_solves, grad_solves = result.x[:, :, :k], result.x[:, :, k:]
        converged = result.converged[:, k:]
    else:
        result = minres_shifted(linear_operator, grad, info.shifts, diagonal=info.diagonal,
                                tol=tol, max_iter=max_iter)
        rhs_solves, grad_solves = info.solves, result.x
        converged = result.converged
    n_products = result.n_products

    # Gradient with respect to b: the same symmetric function applied to g.
    grad_b = np.einsum("q,qnk->nk", info.weights, grad_solves)
    if info.kind == "sqrt":
        product = CountingProduct(linear_operator, info.diagonal)
        grad_b = product(grad_b)
        n_products += product.n_products

    # Gradients with respect to hyperparameters, one block product per operator.
    if info.kind == "sqrt":
        factors = info.weights * info.shifts
    else:
        factors = -info.weights
    n_quad = info.shifts.size
    # Reshape (Q, n, k) to (n, Q k), so each derivative is applied to one block.
    rhs_block = np.moveaxis(rhs_solves, 0, 1).reshape(n, n_quad * k) if derivative_operators else None
    grad_params = np.zeros(len(derivative_operators))
    for index, derivative in enumerate(derivative_operators):
        applied = np.asarray(derivative.matmat(rhs_block)).reshape(n, n_quad, k)
        inner = np.einsum("qnk,nqk->q", grad_solves, applied)
        grad_params[index] = float(np.real(np.dot(factors, inner)))

    logger.debug("ciq_backward: kind=%s n=%d k=%d derivatives=%d products=%d", info.kind, n,
                 k, len(derivative_operators), n_products)
    return CIQGradient(
        grad_b=grad_b[:, 0] if vector_output else grad_b,
        grad_params=grad_params[0] if single else grad_params,
        converged=converged,
        n_products=n_products,
    )


def _ciq_apply(kind, op, b, diagonal, n_quad, tol, max_iter, eig_bounds, bounds_iter, rng,
               keep_solves, return_info, progress):
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    rhs, was_vector = check_rhs(b, n)
    if np.iscomplexobj(rhs):
        raise TypeError("b must be real for sqrt_matvec and inv_sqrt_matvec")
    diagonal = check_diagonal(diagonal, n)
    n_quad = check_count(n_quad, "n_quad")
    tol = check_tolerance(tol)
    max_iter = None if max_iter is None else check_count(max_iter, "max_iter")

    # Spectral interval, then the quadrature rule on it.
    bounds = None
    n_products = 0
    n_matvecs = 0
    if eig_bounds is None:
        bounds = eigenvalue_bounds(linear_operator, diagonal=diagonal, num_iter=bounds_iter,
                                   rng=rng)
        lower, upper = bounds.lower, bounds.upper
        n_products += bounds.n_products
        n_matvecs += bounds.n_products
    else:
        lower, upper = _check_bounds(eig_bounds)
    shifts, weights = inv_sqrt_quadrature(lower, upper, n_quad)

    # All shifted systems from one Lanczos process.
    result = minres_shifted(linear_operator, rhs, shifts, diagonal=diagonal, tol=tol,
                            max_iter=max_iter, weights=None if keep_solves else weights,
                            progress=progress)
    if keep_solves:
        solves = result.x
        output = np.einsum("q,qnk->nk", weights, solves)
    else:
        solves = None
        output = result.x
    n_products += result.n_products
    n_matvecs += result.n_matvecs
    if kind == "sqrt":
        product = CountingProduct(linear_operator, diagonal)
        output = product(output)
        n_products += product.n_products
        n_matvecs += product.n_matvecs

    logger.debug(
        "%s_matvec: n=%d k=%d quad=%d interval=[%.3e, %.3e] iterations=%d products=%d",
        kind, n, rhs.shape[1], n_quad, lower, upper, result.iterations, n_products,
    )
    output = output[:, 0] if was_vector else output
    if not return_info:
        return output
    info = CIQInfo(
        kind=kind, shifts=shifts, weights=weights, lower=lower, upper=upper, bounds=bounds,
        converged=result.converged, residual_norms=result.residual_norms,
        iterations=result.iterations, n_products=n_products, n_matvecs=n_matvecs,
        diagonal=diagonal, rhs=rhs, solves=solves, tol=tol, max_iter=max_iter,
    )
    return output, info


def _check_bounds(eig_bounds):
    try:
        lower, upper = eig_bounds
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"eig_bounds must be a pair (lower, upper), got {eig_bounds!r}"
        ) from error
    for name, value in (("lower", lower), ("upper", upper)):
        if not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
            raise ValueError(
                f"eig_bounds {name} must be a finite positive number, got {value!r}; "
                f"K + D must be positive definite"
            )
    if upper < lower:
        raise ValueError(f"eig_bounds must satisfy lower <= upper, got {eig_bounds!r}")
    return float(lower), float(upper)
