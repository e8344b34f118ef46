"""Preconditioned conjugate gradients for many right-hand sides at once."""

import dataclasses
import logging
import warnings

import numpy as np
from tqdm.auto import tqdm

from .errors import ConvergenceWarning, NotPSDError
from .operators import (
    CountingProduct,
    as_operator,
    check_count,
    check_diagonal,
    check_rhs,
    check_tolerance,
)

__all__ = ["cg", "CGResult"]

logger = logging.getLogger(__name__)

# Same default as scipy.sparse.linalg.cg: exact arithmetic needs at most n
# iterations, and rounding on ill-conditioned systems can need several times more.
DEFAULT_MAX_ITER_PER_ROW = 10


@dataclasses.dataclass
class CGResult:
    """Outcome of :func:`cg`.

    Attributes
    ----------
    x : ndarray, shape (n,) or (n, k)
        Approximate solutions, shaped like the right-hand side.
    converged : ndarray of bool, shape (k,)
        Whether each column reached the tolerance.
    iterations : int
        Iterations performed, equal to the number of block products with ``K``.
    column_iterations : ndarray of int, shape (k,)
        Iterations each column needed before it was frozen.
    n_products : int
        Calls of ``op.matmat`` (one per iteration plus one if ``x0`` was given).
    n_matvecs : int
        Columns multiplied by ``K``, summed over products.
    residual_norms : ndarray, shape (k,)
        Final relative residuals ``‖b - (K + D)x‖ / ‖b‖`` from the CG recurrence
        (zero for zero columns of ``b``).
    """

    x: np.ndarray
    converged: np.ndarray
    iterations: int
    column_iterations: np.ndarray
    n_products: int
    n_matvecs: int
    residual_norms: np.ndarray

    @property
    def success(self):
        """Whether every column converged."""
        return bool(np.all(self.converged))


def cg(op, b, *, diagonal=0.0, tol=1e-5, max_iter=None, x0=None, preconditioner=None,
       warn=True, progress=False):
    """Solve ``(K + D) x = b`` by preconditioned conjugate gradients.

    All columns of ``b`` advance together with one block product per iteration.
    A column whose relative residual drops below ``tol`` is frozen and leaves the
    block, so later products are narrower.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Symmetric positive definite ``K`` (see :func:`as_operator`).
    b : array_like, shape (n,) or (n, k)
        Right-hand sides.
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to ``K``, for example a noise variance σ².
    tol : float, default 1e-5
        Relative residual tolerance ``‖b - (K + D)x‖ ≤ tol ‖b‖`` per column, in
        (0, 1). Below about ``1e2 * eps * cond(K + D)`` it may be unreachable.
    max_iter : int, optional
        Maximum iterations. Default ``10 * n``.
    x0 : array_like, shape like ``b``, optional
        Initial guess. Costs one extra product. Default zero.
    preconditioner : array_like, LinearOperator or callable, optional
        Symmetric positive definite approximation ``M ≈ (K + D)⁻¹``, applied as
        ``M @ r``, for example :class:`BlockJacobi`.
    warn : bool, default True
        Emit a :class:`ConvergenceWarning` when a column does not converge.
    progress : bool, default False
        Show a progress bar (tqdm, on stderr) with the iteration count and the worst residual.

    Returns
    -------
    CGResult
        Solutions, per-column flags and residuals, and product counts.

    Raises
    ------
    NotPSDError
        If a search direction has ``pᵀ(K + D)p ≤ 0`` (the operator is not positive
        definite) or the preconditioner gives ``rᵀMr ≤ 0``.
    ValueError
        If shapes disagree, ``b`` contains NaN or infinity, or ``tol`` is outside
        (0, 1).

    Warns
    -----
    ConvergenceWarning
        If some column has not converged after ``max_iter`` iterations.

    Notes
    -----
    Per column, with ``A = K + D``, ``r₀ = b - A x₀``, ``z₀ = M r₀``, ``p₀ = z₀``:

    .. math::

        α_j = \\frac{r_jᵀ z_j}{p_jᵀ A p_j},\\quad x_{j+1} = x_j + α_j p_j,\\quad
        r_{j+1} = r_j - α_j A p_j,\\quad
        p_{j+1} = z_{j+1} + \\frac{r_{j+1}ᵀ z_{j+1}}{r_jᵀ z_j} p_j .

    The residual is the recursively updated one, which can drift from the true
    residual by about ``eps * cond(A)`` relative.

    References
    ----------
    .. [1] Y. Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., SIAM
       (2003), preconditioned CG. doi:10.1137/1.9780898718003
    """
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    rhs, was_vector = check_rhs(b, n)
    diagonal = check_diagonal(diagonal, n)
    tol = check_tolerance(tol)
    max_iter = n * DEFAULT_MAX_ITER_PER_ROW if max_iter is None else check_count(max_iter, "max_iter")
    product = CountingProduct(linear_operator, diagonal)
    apply_preconditioner = _preconditioner_product(preconditioner, n)
    k = rhs.shape[1]

    # Per-column state: solution, residual, preconditioned residual, direction.
    rhs_norms = np.linalg.norm(rhs, axis=0)
    solution = np.zeros_like(rhs)
    if x0 is not None:
        guess, _ = check_rhs(x0, n, name="x0")
        if guess.shape != rhs.shape:
            raise ValueError(f"x0 must have the shape of b, {rhs.shape}, got {guess.shape}")
        solution = guess.astype(rhs.dtype)
        residual = rhs - product(solution)
    else:
        residual = rhs.copy()
    nonzero = rhs_norms > 0
    solution[:, ~nonzero] = 0.0
    residual[:, ~nonzero] = 0.0

    relative_residuals = np.zeros(k)
    relative_residuals[nonzero] = np.linalg.norm(residual[:, nonzero], axis=0) / rhs_norms[nonzero]
    converged = relative_residuals <= tol
    column_iterations = np.zeros(k, dtype=np.int64)

    active = np.flatnonzero(~converged)
    preconditioned = np.zeros_like(rhs)
    preconditioned[:, active] = apply_preconditioner(residual[:, active])
    direction = preconditioned.copy()
    residual_dot = np.zeros(k)
    residual_dot[active] = _column_dot(residual[:, active], preconditioned[:, active])
    _check_preconditioner_curvature(residual_dot[active], 0)

    iterations = 0
    bar = tqdm(total=max_iter, desc="cg", unit="it", disable=not progress, leave=False)
    while active.size and iterations < max_iter:
        iterations += 1
        bar.update()

        # Step length from the curvature of each active direction.
        product_block = product(direction[:, active])
        curvature = _column_dot(direction[:, active], product_block)
        if np.any(curvature <= 0):
            bad = int(np.argmin(curvature))
            raise NotPSDError(
                f"the operator is not positive definite: pᵀ(K + D)p = {curvature[bad]:.3e} "
                f"<= 0 for column {active[bad]} at iteration {iterations}; CG needs a "
                f"symmetric positive definite operator (add a diagonal or use "
                f"minres_shifted for indefinite systems)",
                iteration=iterations, value=float(curvature[bad]),
            )
        step = residual_dot[active] / curvature
        solution[:, active] += step * direction[:, active]
        residual[:, active] -= step * product_block
        column_iterations[active] += 1

        # Freeze converged columns before the next preconditioner application.
        relative_residuals[active] = np.linalg.norm(residual[:, active], axis=0) / rhs_norms[active]
        if progress:
            bar.set_postfix(residual=f"{relative_residuals[active].max():.1e}", refresh=False)
        newly_converged = relative_residuals[active] <= tol
        converged[active[newly_converged]] = True
        active = active[~newly_converged]
        if not active.size:
            break

        # Next direction, conjugate to the previous ones.
        preconditioned[:, active] = apply_preconditioner(residual[:, active])
        new_dot = _column_dot(residual[:, active], preconditioned[:, active])
        _check_preconditioner_curvature(new_dot, iterations)
        direction[:, active] = (
            preconditioned[:, active] + (new_dot / residual_dot[active]) * direction[:, active]
        )
        residual_dot[active] = new_dot

    bar.close()
    logger.debug(
        "cg: n=%d k=%d iterations=%d products=%d converged=%d/%d max_residual=%.3e",
        n, k, iterations, product.n_products, int(converged.sum()), k,
        float(relative_residuals.max(initial=0.0)),
    )
    if warn and not np.all(converged):
        worst = float(relative_residuals[~converged].max())
        warnings.warn(ConvergenceWarning(
            f"cg did not converge in {iterations} iterations for "
            f"{int((~converged).sum())} of {k} right-hand sides: relative residual "
            f"{worst:.3e} > tol={tol:.1e}; raise max_iter (now {max_iter}), use a "
            f"preconditioner, or loosen tol",
            iterations=iterations, residual=worst, target=tol, knob="max_iter",
        ), stacklevel=2)

    return CGResult(
        x=solution[:, 0] if was_vector else solution,
        converged=converged,
        iterations=iterations,
        column_iterations=column_iterations,
        n_products=product.n_products,
        n_matvecs=product.n_matvecs,
        residual_norms=relative_residuals,
    )


def _column_dot(left, right):
    """Column-wise ``xᴴy`` returned as real numbers (the operators are symmetric)."""
    return np.real(np.sum(np.conj(left) * right, axis=0))


def _preconditioner_product(preconditioner, n):
    if preconditioner is None:
        return lambda block: block.copy()
    linear_operator = as_operator(preconditioner, name="preconditioner")
    if linear_operator.shape != (n, n):
        raise ValueError(
            f"preconditioner has shape {linear_operator.shape} but the operator has "
            f"shape {(n, n)}"
        )
    return CountingProduct(linear_operator, name="preconditioner")


def _check_preconditioner_curvature(values, iteration):
    if np.any(values <= 0):
        raise NotPSDError(
            f"the preconditioner is not positive definite: rᵀMr = {float(values.min()):.3e} "
            f"<= 0 at iteration {iteration}; pass a symmetric positive definite "
            f"preconditioner",
            iteration=iteration, value=float(values.min()),
        )
