"""Symmetric Lanczos tridiagonalisation for one or many starting vectors."""

import dataclasses
import logging

import numpy as np
import scipy.linalg

from .operators import CountingProduct, as_operator, check_count, check_diagonal, check_rhs

__all__ = ["lanczos", "LanczosResult"]

logger = logging.getLogger(__name__)

# A new Lanczos vector whose norm is below this fraction of the running estimate
# of ‖T‖ is rounding noise: one product carries an error of about eps·‖K‖ times a
# modest growth factor, and eps**0.75 (about 2e-12) leaves a margin of 1e4 above
# eps. Below it the Krylov space is invariant (breakdown) and the column stops.
BREAKDOWN_RTOL = np.finfo(np.float64).eps ** 0.75

# Classical Gram-Schmidt against the stored basis is repeated this many times;
# two passes restore orthogonality to working precision ("twice is enough",
# Giraud, Langou and Rozložník 2005, doi:10.1016/j.camwa.2004.12.009).
REORTHOGONALIZATION_PASSES = 2


@dataclasses.dataclass
class LanczosResult:
    """Outcome of :func:`lanczos`.

    For ``k`` starting vectors the arrays carry a trailing column axis; column
    ``c`` holds a valid tridiagonal of size ``sizes[c]`` and zeros after it.

    Attributes
    ----------
    alpha : ndarray, shape (m,) or (m, k)
        Diagonal of ``T``.
    beta : ndarray, shape (m,) or (m, k)
        ``beta[j]`` couples steps ``j`` and ``j + 1``; the first ``size - 1``
        entries are the off-diagonal of ``T`` and ``beta[size - 1]`` is the norm
        of the residual vector ``‖K q_m - Q_m T e_m‖`` (zero after breakdown).
    basis : ndarray, shape (n, m) or (n, m, k), or None
        Orthonormal Lanczos vectors ``Q``, if requested.
    sizes : ndarray of int, shape (k,)
        Valid steps per column (smaller than ``m`` after breakdown).
    breakdown : ndarray of bool, shape (k,)
        Whether a column stopped because its Krylov space became invariant; its
        tridiagonal then carries exact eigenvalues of ``K`` restricted to the
        space.
    start_norms : ndarray, shape (k,)
        Norms of the starting vectors.
    n_products : int
        Calls of ``op.matmat``.
    n_matvecs : int
        Columns multiplied, summed over products.
    """

    alpha: np.ndarray
    beta: np.ndarray
    basis: np.ndarray | None
    sizes: np.ndarray
    breakdown: np.ndarray
    start_norms: np.ndarray
    n_products: int
    n_matvecs: int

    def tridiagonal(self, column=0):
        """Return ``(diagonal, off_diagonal)`` of ``T`` for one column."""
        size = int(self.sizes[column])
        alpha = self.alpha if self.alpha.ndim == 1 else self.alpha[:, column]
        beta = self.beta if self.beta.ndim == 1 else self.beta[:, column]
        return alpha[:size].copy(), beta[: size - 1].copy()

    def ritz(self, column=0):
        """Return Ritz values, eigenvectors of ``T`` and residual norms of one column.

        Returns
        -------
        values : ndarray, shape (size,)
            Eigenvalues of ``T`` in ascending order.
        vectors : ndarray, shape (size, size)
            Eigenvectors of ``T`` (columns).
        residuals : ndarray, shape (size,)
            ``|β_m s_{m,i}|``: every interval ``[θ_i - r_i, θ_i + r_i]`` holds an
            eigenvalue of ``K``.
        """
        diagonal, off_diagonal = self.tridiagonal(column)
        values, vectors = scipy.linalg.eigh_tridiagonal(diagonal, off_diagonal)
        size = int(self.sizes[column])
        beta = self.beta if self.beta.ndim == 1 else self.beta[:, column]
        residuals = np.abs(beta[size - 1] * vectors[-1, :])
        return values, vectors, residuals


def lanczos(op, v0, num_iter, *, diagonal=0.0, reorthogonalize=False, return_basis=False):
    """Run ``num_iter`` Lanczos steps of ``K + D`` from each column of ``v0``.

    The columns are independent Lanczos processes that share one block product
    per step. A column whose next vector vanishes (breakdown) stops with an exact
    invariant subspace, is flagged in ``breakdown`` and leaves the block.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Symmetric ``K`` (see :func:`as_operator`).
    v0 : array_like, shape (n,) or (n, k)
        Starting vectors (normalised internally; none may be zero).
    num_iter : int
        Steps per column, ``1 <= num_iter``. Capped at ``n``.
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to ``K``.
    reorthogonalize : bool, default False
        Orthogonalise each new vector against all previous ones (two classical
        Gram-Schmidt passes). Keeps Ritz values free of spurious copies at the cost
        of storing the basis, ``O(n m k)`` memory and ``O(n m² k)`` work.
    return_basis : bool, default False
        Return the Lanczos vectors. Implied storage is the same as for
        ``reorthogonalize``.

    Returns
    -------
    LanczosResult
        Tridiagonal coefficients, optional basis, sizes and breakdown flags.

    Raises
    ------
    ValueError
        If ``v0`` has a zero column, NaN or infinity, or a wrong length.

    Notes
    -----
    With ``q_1 = v_0 / ‖v_0‖`` and ``β_0 q_0 = 0`` each step computes

    .. math::

        w = (K + D) q_j - β_{j-1} q_{j-1},\\quad α_j = q_jᵀ w,\\quad
        w ← w - α_j q_j,\\quad β_j = ‖w‖,\\quad q_{j+1} = w / β_j,

    so that ``(K + D) Q_m = Q_m T_m + β_m q_{m+1} e_mᵀ`` with ``T_m``
    tridiagonal. Breakdown is declared when ``β_j ≤ BREAKDOWN_RTOL ·
    max(|α|, β)`` over the steps so far. Without reorthogonalisation the basis
    loses orthogonality as Ritz values converge, which duplicates Ritz values but
    keeps Gauss quadrature (stochastic Lanczos quadrature) accurate.

    References
    ----------
    .. [1] G. H. Golub and G. Meurant, "Matrices, Moments and Quadrature with
       Applications", Princeton University Press (2010).
       doi:10.1515/9781400833887
    .. [2] Y. Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., SIAM
       (2003), symmetric Lanczos. doi:10.1137/1.9780898718003
    """
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    start, was_vector = check_rhs(v0, n, name="v0")
    if np.iscomplexobj(start):
        raise TypeError("v0 must be real; the operator is real symmetric")
    diagonal = check_diagonal(diagonal, n)
    steps = min(check_count(num_iter, "num_iter"), n)
    k = start.shape[1]
    start_norms = np.linalg.norm(start, axis=0)
    if np.any(start_norms == 0):
        raise ValueError(
            f"v0 has zero columns {np.flatnonzero(start_norms == 0).tolist()}; every "
            f"starting vector must be nonzero"
        )
    product = CountingProduct(linear_operator, diagonal)
    keep_basis = reorthogonalize or return_basis

    # Three-term state per column, plus the optional basis (n, steps, k).
    alpha = np.zeros((steps, k))
    beta = np.zeros((steps, k))
    sizes = np.zeros(k, dtype=np.int64)
    breakdown = np.zeros(k, dtype=bool)
    current = start / start_norms
    previous = np.zeros_like(current)
    basis = np.zeros((n, steps, k)) if keep_basis else None
    scale = np.zeros(k)
    active = np.arange(k)

    for step in range(steps):
        if keep_basis:
            basis[:, step, active] = current[:, active]
        sizes[active] += 1

        # Three-term recurrence on the active columns.
        work = product(current[:, active])
        if step > 0:
            work -= beta[step - 1, active] * previous[:, active]
        alpha[step, active] = np.sum(current[:, active] * work, axis=0)
        work -= alpha[step, active] * current[:, active]
        if reorthogonalize:
            for _ in range(REORTHOGONALIZATION_PASSES):
                stored = basis[:, : step + 1, active]
                coefficients = np.einsum("njk,nk->jk", stored, work)
                work -= np.einsum("njk,jk->nk", stored, coefficients)
        norms = np.linalg.norm(work, axis=0)
        beta[step, active] = norms

        # Breakdown: the new vector is rounding noise, so the space is invariant.
        scale[active] = np.maximum(scale[active], np.maximum(np.abs(alpha[step, active]), norms))
        broken = norms <= BREAKDOWN_RTOL * scale[active]
        if np.any(broken):
            beta[step, active[broken]] = 0.0
            breakdown[active[broken]] = True
            logger.debug("lanczos: breakdown at step %d in columns %s", step + 1,
                         active[broken].tolist())
        keep = ~broken
        previous[:, active[keep]] = current[:, active[keep]]
        current[:, active[keep]] = work[:, keep] / norms[keep]
        active = active[keep]
        if not active.size:
            break

    logger.debug("lanczos: n=%d k=%d steps=%d products=%d breakdowns=%d reorthogonalize=%s",
                 n, k, steps, product.n_products, int(breakdown.sum()), reorthogonalize)
    if was_vector:
        alpha, beta = alpha[:, 0], beta[:, 0]
        basis = basis[:, :, 0] if return_basis else None
    elif not return_basis:
        basis = None
    return LanczosResult(
        alpha=alpha, beta=beta, basis=basis, sizes=sizes, breakdown=breakdown,
        start_norms=start_norms, n_products=product.n_products, n_matvecs=product.n_matvecs,
    )
