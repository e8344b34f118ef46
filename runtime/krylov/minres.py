"""Multi-shift MINRES: many shifted symmetric systems from one Lanczos process."""

import dataclasses
import logging
import warnings

import numpy as np
from tqdm.auto import tqdm

from .errors import ConvergenceWarning, NumericalWarning
from .lanczos import BREAKDOWN_RTOL
from .operators import (
    CountingProduct,
    as_operator,
    check_count,
    check_diagonal,
    check_rhs,
    check_tolerance,
)

__all__ = ["minres_shifted", "ShiftedSolveResult"]

logger = logging.getLogger(__name__)

# Same cap as cg: exact arithmetic needs at most n steps, and rounding in plain
# Lanczos delays convergence on ill-conditioned systems.
DEFAULT_MAX_ITER_PER_ROW = 10


@dataclasses.dataclass
class ShiftedSolveResult:
    """Outcome of :func:`minres_shifted`.

    Attributes
    ----------
    x : ndarray
        Solutions of shape ``(n_shifts, n)`` or ``(n_shifts, n, k)``; with
        ``weights`` the combination ``Σ_q w_q x_q`` of shape ``(n,)`` or ``(n, k)``.
    converged : ndarray of bool, shape (n_shifts, k)
        Whether each shifted system reached its tolerance.
    iterations : int
        Lanczos steps, equal to the number of block products with ``K``.
    shift_iterations : ndarray of int, shape (n_shifts, k)
        Step at which each system was frozen (converged or stopped).
    n_products : int
        Calls of ``op.matmat``.
    n_matvecs : int
        Real columns multiplied, summed over products (a complex column counts
        twice).
    residual_norms : ndarray, shape (n_shifts, k)
        Relative residuals ``‖b - (K + D + t_q I) x_q‖ / ‖b‖`` from the MINRES
        recurrence.
    shifts : ndarray, shape (n_shifts,)
        The shifts ``t_q`` as given.
    """

    x: np.ndarray
    converged: np.ndarray
    iterations: int
    shift_iterations: np.ndarray
    n_products: int
    n_matvecs: int
    residual_norms: np.ndarray
    shifts: np.ndarray

    @property
    def success(self):
        """Whether every shifted system converged."""
        return bool(np.all(self.converged))


def minres_shifted(op, b, shifts, *, diagonal=0.0, tol=1e-5, max_iter=None, weights=None,
                   warn=True, progress=False):
    """Solve ``(K + D + t_q I) x_q = b`` for all shifts ``t_q`` with one Lanczos process.

    Krylov spaces are invariant under shifts, so the Lanczos vectors of ``K + D``
    started at ``b`` serve every shift, and each shift keeps only its own MINRES
    recurrence. Every step costs one block product with ``K`` for all shifts and
    all columns of ``b``. Each system is frozen once its residual is below
    ``tol``, and a column leaves the block when all its shifts are frozen.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Real symmetric ``K`` (see :func:`as_operator`); need not be definite.
    b : array_like, shape (n,) or (n, k)
        Right-hand sides, real or complex.
    shifts : array_like, shape (n_shifts,)
        Real or complex shifts ``t_q``. Complex shifts give complex solutions, as
        needed for rational approximations of ``exp(-tK)``.
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to ``K``. A scalar is folded into the shifts.
    tol : float or array_like of shape (n_shifts,), default 1e-5
        Relative residual tolerance per shift, in (0, 1).
    max_iter : int, optional
        Maximum Lanczos steps. Default ``10 * n``.
    weights : array_like, shape (n_shifts,), optional
        If given, return only ``Σ_q w_q x_q``. The per-shift solutions are never
        stored, which saves ``n_shifts * n * k`` values.
    warn : bool, default True
        Emit a :class:`ConvergenceWarning` when a system does not converge.
    progress : bool, default False
        Show a progress bar (tqdm, on stderr) with the iteration count and the worst residual.

    Returns
    -------
    ShiftedSolveResult
        Solutions (or their weighted sum), flags, residuals and counts.

    Raises
    ------
    ValueError
        If shapes disagree, ``b`` or ``shifts`` contain NaN or infinity, or a
        tolerance is outside (0, 1).

    Warns
    -----
    ConvergenceWarning
        If a system has not converged after ``max_iter`` steps.
    NumericalWarning
        If a shifted matrix is singular on the Krylov space (a shift equals
        minus an eigenvalue found by Lanczos).

    Notes
    -----
    Lanczos gives ``(K + D) Q_j = Q_{j+1} \\underline{T}_j``, so for every shift
    ``(K + D + t I) Q_j = Q_{j+1} (\\underline{T}_j + t \\underline{I}_j)``, and
    MINRES minimises ``‖β_1 e_1 - (\\underline{T}_j + t \\underline{I}_j) y‖``. Each
    shift keeps the QR factorisation of its tridiagonal by Givens rotations
    ``G = [[c̄, s], [-s, c]]`` with ``c = γ̄ / γ`` complex and ``s = β / γ`` real,
    which are unitary also for complex shifts. With ``R`` entries ``ε_j, δ_j,
    γ_j`` the directions and iterates are

    .. math::

        d_j = (q_j - δ_j d_{j-1} - ε_j d_{j-2}) / γ_j,\\qquad
        x_j = x_{j-1} + φ_j d_j,

    and ``|φ̄_{j+1}| = s_j |φ̄_j|`` is the residual norm, exact in exact
    arithmetic. The Lanczos vectors are not reorthogonalised, which delays but
    does not prevent convergence.

    References
    ----------
    .. [1] C. C. Paige and M. A. Saunders, "Solution of sparse indefinite systems
       of linear equations", SIAM J. Numer. Anal. 12(4) (1975) 617-629.
       doi:10.1137/0712047
    .. [2] G. Pleiss, M. Jankowiak, D. Eriksson, A. Damle and J. R. Gardner,
       "Fast matrix square roots with applications to Gaussian processes and
       Bayesian optimization", NeurIPS (2020). arXiv:2006.11267
    """
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    rhs, was_vector = check_rhs(b, n)
    diagonal = check_diagonal(diagonal, n)
    shift_array = _check_shifts(shifts)
    n_shifts = shift_array.size
    tolerances = _check_shift_tolerances(tol, n_shifts)
    max_iter = n * DEFAULT_MAX_ITER_PER_ROW if max_iter is None else check_count(max_iter, "max_iter")
    if weights is not None:
        weights = np.asarray(weights)
        if weights.shape != (n_shifts,) or not np.all(np.isfinite(weights)):
            raise ValueError(
                f"weights must be a finite array of shape ({n_shifts},), one per shift, "
                f"got shape {weights.shape}"
            )

    # A scalar diagonal is a shift of every system; an array goes into products.
    effective_shifts = shift_array + (diagonal if np.ndim(diagonal) == 0 else 0.0)
    product = CountingProduct(linear_operator, 0.0 if np.ndim(diagonal) == 0 else diagonal)
    state = _MinresState(rhs, effective_shifts, tolerances, weights)
    with tqdm(total=max_iter, desc="minres_shifted", unit="it", disable=not progress, leave=False) as bar:
        iterations = state.run(product, max_iter, bar)

    logger.debug(
        "minres_shifted: n=%d k=%d shifts=%d iterations=%d products=%d converged=%d/%d",
        n, rhs.shape[1], n_shifts, iterations, product.n_products,
        int(state.converged.sum()), state.converged.size,
    )
    if warn:
        _warn_unconverged(state, iterations, max_iter)

    solution = state.solution
    if was_vector:
        solution = solution[..., 0]
    return ShiftedSolveResult(
        x=solution,
        converged=state.converged,
        iterations=iterations,
        shift_iterations=state.shift_iterations,
        n_products=product.n_products,
        n_matvecs=product.n_matvecs,
        residual_norms=state.residuals,
        shifts=shift_array,
    )


def _check_shifts(shifts):
    array = np.atleast_1d(np.asarray(shifts))
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"shifts must be a non-empty 1-D numeric array, got {shifts!r}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"shifts contain NaN or infinity: {array!r}")
    return array.astype(np.complex128 if np.iscomplexobj(array) else np.float64)


def _check_shift_tolerances(tol, n_shifts):
    if np.ndim(tol) == 0:
        return np.full(n_shifts, check_tolerance(tol))
    array = np.asarray(tol, dtype=np.float64)
    if array.shape != (n_shifts,):
        raise ValueError(
            f"tol must be a scalar or have shape ({n_shifts},), one per shift, got "
            f"shape {array.shape}"
        )
    for index, value in enumerate(array):
        check_tolerance(float(value), name=f"tol[{index}]")
    return array


class _MinresState:
    """Lanczos vectors, per-shift Givens QR and iterates of multi-shift MINRES.

    Scalars have shape (n_shifts, k) and vectors (n_shifts, n, k); the Lanczos
    vectors have shape (n, k). Work is done on the gathered active columns.
    """

    def __init__(self, rhs, shifts, tolerances, weights):
        n, k = rhs.shape
        n_shifts = shifts.size
        complex_work = np.iscomplexobj(rhs) or np.iscomplexobj(shifts)
        dtype = np.complex128 if complex_work else np.float64
        if weights is not None and np.iscomplexobj(weights):
            solution_dtype = np.complex128
        else:
            solution_dtype = dtype

        self.shifts = shifts
        self.tolerances = tolerances
        self.weights = weights
        self.rhs_norms = np.linalg.norm(rhs, axis=0)

        # Lanczos state per column.
        nonzero = self.rhs_norms > 0
        self.lanczos_vector = np.zeros((n, k), dtype=rhs.dtype)
        self.lanczos_vector[:, nonzero] = rhs[:, nonzero] / self.rhs_norms[nonzero]
        self.previous_vector = np.zeros_like(self.lanczos_vector)
        self.previous_beta = np.zeros(k)
        self.scale = np.zeros(k)

        # Givens rotations j-1 and j-2, right-hand side φ̄, per shift and column.
        self.cosine_1 = np.ones((n_shifts, k), dtype=dtype)
        self.sine_1 = np.zeros((n_shifts, k))
        self.cosine_2 = np.ones((n_shifts, k), dtype=dtype)
        self.sine_2 = np.zeros((n_shifts, k))
        self.phi_bar = np.broadcast_to(self.rhs_norms, (n_shifts, k)).astype(dtype)

        # Search directions d_{j-1}, d_{j-2} and the iterates.
        self.direction_1 = np.zeros((n_shifts, n, k), dtype=dtype)
        self.direction_2 = np.zeros((n_shifts, n, k), dtype=dtype)
        if weights is None:
            self.solution = np.zeros((n_shifts, n, k), dtype=dtype)
        else:
            self.solution = np.zeros((n, k), dtype=solution_dtype)

        # Per-system bookkeeping.
        self.residuals = np.where(nonzero, 1.0, 0.0) * np.ones((n_shifts, 1))
        self.converged = np.broadcast_to(~nonzero, (n_shifts, k)).copy()
        self.singular = np.zeros((n_shifts, k), dtype=bool)
        self.shift_iterations = np.zeros((n_shifts, k), dtype=np.int64)

    def run(self, product, max_iter, bar):
        active_columns = np.flatnonzero(~np.all(self.converged, axis=0))
        iterations = 0
        while active_columns.size and iterations < max_iter:
            iterations += 1
            self._step(product, active_columns)
            frozen = self.converged | self.singular
            active_columns = np.flatnonzero(~np.all(frozen, axis=0))
            bar.update()
            if not bar.disable:
                bar.set_postfix(residual=f"{self.residuals[~frozen].max(initial=0.0):.1e}", refresh=False)
        return iterations

    def _step(self, product, cols):
        # Lanczos step on the active columns: β_{j-1} couples q_{j-1} and q_j.
        vector = self.lanczos_vector[:, cols]
        work = product(vector) - self.previous_beta[cols] * self.previous_vector[:, cols]
        alpha = np.real(np.sum(np.conj(vector) * work, axis=0))
        work -= alpha * vector
        beta = np.linalg.norm(work, axis=0)
        self.scale[cols] = np.maximum(self.scale[cols], np.maximum(np.abs(alpha), beta))
        broken = beta <= BREAKDOWN_RTOL * self.scale[cols]
        beta = np.where(broken, 0.0, beta)

        # Apply rotations j-2 and j-1 to column j of T + tI, then form rotation j.
        previous_beta = self.previous_beta[cols]
        epsilon = self.sine_2[:, cols] * previous_beta
        delta_bar = self.cosine_2[:, cols] * previous_beta
        diagonal = alpha + self.shifts[:, None]
        delta = np.conj(self.cosine_1[:, cols]) * delta_bar + self.sine_1[:, cols] * diagonal
        gamma_bar = -self.sine_1[:, cols] * delta_bar + self.cosine_1[:, cols] * diagonal
        gamma = np.hypot(np.abs(gamma_bar), beta)
        # γ_j ≥ β_j, so a γ_j at rounding level needs a breakdown (β_j = 0) and a
        # projected matrix T + tI that is singular up to rounding.
        singular = gamma <= BREAKDOWN_RTOL * (self.scale[cols] + np.abs(self.shifts)[:, None])
        safe_gamma = np.where(singular, 1.0, gamma)
        cosine = np.where(singular, 1.0, gamma_bar / safe_gamma)
        sine = np.where(singular, 0.0, beta / safe_gamma)
        phi = np.conj(cosine) * self.phi_bar[:, cols]
        phi_bar = -sine * self.phi_bar[:, cols]

        # Direction and iterate updates for the systems that are still running.
        running = ~(self.converged[:, cols] | self.singular[:, cols])
        direction = (
            vector[None, :, :]
            - delta[:, None, :] * self.direction_1[:, :, cols]
            - epsilon[:, None, :] * self.direction_2[:, :, cols]
        ) / safe_gamma[:, None, :]
        update = np.where(running, phi, 0.0)[:, None, :] * direction
        if self.weights is None:
            self.solution[:, :, cols] += update
        else:
            self.solution[:, cols] += np.einsum("q,qnk->nk", self.weights, update)

        # Per-system residuals and freezing.
        residuals = np.abs(phi_bar) / self.rhs_norms[cols]
        self.residuals[:, cols] = np.where(running, residuals, self.residuals[:, cols])
        self.shift_iterations[:, cols] += running
        newly_converged = running & (residuals <= self.tolerances[:, None])
        newly_singular = running & singular
        self.converged[:, cols] |= newly_converged & ~newly_singular
        self.singular[:, cols] |= newly_singular
        # After breakdown the Krylov space is exhausted: nothing more to gain.
        exhausted = running & broken[None, :] & ~newly_converged
        self.singular[:, cols] |= exhausted

        # Rotate the per-shift state and the Lanczos vectors.
        self.direction_2[:, :, cols] = self.direction_1[:, :, cols]
        self.direction_1[:, :, cols] = direction
        self.cosine_2[:, cols], self.sine_2[:, cols] = self.cosine_1[:, cols], self.sine_1[:, cols]
        self.cosine_1[:, cols], self.sine_1[:, cols] = cosine, sine
        self.phi_bar[:, cols] = phi_bar
        self.previous_vector[:, cols] = vector
        safe_beta = np.where(broken, 1.0, beta)
        self.lanczos_vector[:, cols] = work / safe_beta
        self.previous_beta[cols] = beta


def _warn_unconverged(state, iterations, max_iter):
    singular = state.singular & ~state.converged
    if np.any(singular):
        shift_indices = np.flatnonzero(np.any(singular, axis=1))
        warnings.warn(NumericalWarning(
            f"minres_shifted: the systems for shifts {state.shifts[shift_indices].tolist()} "
            f"are singular on the Krylov space or stagnated after an invariant subspace "
            f"was found (relative residual {float(state.residuals[singular].max()):.3e}); "
            f"a shift equals minus an eigenvalue of K + D, so move it",
            knob="shifts",
        ), stacklevel=3)
    unconverged = ~state.converged & ~state.singular
    if np.any(unconverged):
        worst = float(state.residuals[unconverged].max())
        shift_indices = np.flatnonzero(np.any(unconverged, axis=1))
        warnings.warn(ConvergenceWarning(
            f"minres_shifted did not converge in {iterations} iterations for "
            f"{int(unconverged.sum())} of {unconverged.size} shifted systems (shift "
            f"indices {shift_indices.tolist()}): relative residual {worst:.3e} above "
            f"tol {float(state.tolerances[shift_indices].min()):.1e}; raise max_iter "
            f"(now {max_iter}) or loosen tol",
            iterations=iterations, residual=worst,
            target=float(state.tolerances[shift_indices].min()), knob="max_iter",
        ), stacklevel=3)
