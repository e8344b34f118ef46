"""Block-Jacobi preconditioner built from dense diagonal blocks of a kernel matrix."""

import logging
import operator
import warnings

import numpy as np
import scipy.linalg
from scipy.sparse.linalg import LinearOperator

from .errors import NotPSDError, NumericalWarning
from .operators import check_diagonal

__all__ = ["BlockJacobi"]

logger = logging.getLogger(__name__)

# First jitter tried on a block that is not positive definite, relative to the
# mean of its diagonal: about where rounding in a Cholesky of a PSD block bites.
JITTER_START = 1e-10
# Factor between successive jitters, and the largest relative jitter tried
# before giving up: beyond 1e-2 the block no longer resembles the kernel block.
JITTER_GROWTH = 10.0
JITTER_MAX = 1e-2


class BlockJacobi(LinearOperator):
    """Apply ``blockdiag(K_II + D_II)⁻¹`` over a partition of the indices.

    Each block ``K[idx, idx]`` is requested once from ``get_block``, the diagonal
    is added, and the block is Cholesky-factorised. Products solve every block
    at once for all columns of the input. Pass the leaves of a tree (contiguous
    index ranges of a point permutation) to precondition kernel systems whose
    near-field interactions dominate.

    Parameters
    ----------
    blocks : sequence of array_like of int, or of (start, stop) pairs
        A partition of ``0..n-1``. Each entry is either an index array, or a
        ``(start, stop)`` pair that selects ``permutation[start:stop]``.
    get_block : callable
        ``get_block(idx)`` returns the dense block ``K[idx][:, idx]`` as an array
        of shape ``(len(idx), len(idx))``.
    diagonal : float or array_like of shape (n,), optional
        Diagonal ``D`` added to each block, for example a noise variance σ².
        Default none.
    permutation : array_like of int, shape (n,), optional
        Permutation of ``0..n-1`` that ``(start, stop)`` pairs refer to. Default
        the identity.
    on_not_pd : {"raise", "jitter"}, default "raise"
        What to do when a block is not numerically positive definite: raise a
        :class:`NotPSDError`, or add the smallest jitter ``c * mean(diag)`` with
        ``c`` in ``1e-10, 1e-9, ..., 1e-2`` that makes it factorise, and warn.

    Attributes
    ----------
    blocks : list of ndarray
        Index array of each block, after resolving ``(start, stop)`` pairs.
    jitters : ndarray, shape (n_blocks,)
        Jitter added to each block (zero where none was needed).

    Raises
    ------
    ValueError
        If ``blocks`` is not a partition of ``0..n-1``, or a block returned by
        ``get_block`` has the wrong shape or non-finite entries.
    NotPSDError
        If a block is not positive definite and ``on_not_pd="raise"``, or if the
        largest jitter does not help.

    Warns
    -----
    NumericalWarning
        If jitter was added to some block (``on_not_pd="jitter"``).

    Notes
    -----
    The preconditioner is ``M = P diag((K_{I_1 I_1} + D_{I_1})⁻¹, ...) Pᵀ``.
    Setup costs one factorisation per block, ``O(Σ |I|³)``, and each product
    ``O(Σ |I|²)`` per column.

    References
    ----------
    .. [1] Y. Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., SIAM
       (2003), chapters on preconditioning (block Jacobi).
       doi:10.1137/1.9780898718003
    """

    def __init__(self, blocks, get_block, diagonal=None, *, permutation=None,
                 on_not_pd="raise"):
        if on_not_pd not in ("raise", "jitter"):
            raise ValueError(f"on_not_pd must be 'raise' or 'jitter', got {on_not_pd!r}")
        if not callable(get_block):
            raise TypeError(f"get_block must be callable, got {type(get_block).__name__}")
        index_blocks = _resolve_blocks(blocks, permutation)
        n = _check_partition(index_blocks)
        super().__init__(dtype=np.float64, shape=(n, n))
        diagonal = 0.0 if diagonal is None else check_diagonal(diagonal, n)

        self.blocks = index_blocks
        self.jitters = np.zeros(len(index_blocks))
        self._factors = []
        for number, indices in enumerate(index_blocks):
            block = _fetch_block(get_block, indices, number)
            if np.ndim(diagonal) == 0:
                block[np.diag_indices_from(block)] += diagonal
            else:
                block[np.diag_indices_from(block)] += diagonal[indices]
            factor, jitter = _factorise(block, number, on_not_pd)
            self._factors.append(factor)
            self.jitters[number] = jitter

        jittered = np.flatnonzero(self.jitters)
        if jittered.size:
            warnings.warn(NumericalWarning(
                f"BlockJacobi added jitter to {jittered.size} of {len(index_blocks)} "
                f"blocks that were not positive definite (largest {self.jitters.max():.2e}, "
                f"block {int(jittered[np.argmax(self.jitters[jittered])])}); add a "
                f"noise diagonal or use on_not_pd='raise' to find the blocks",
                knob="diagonal",
            ), stacklevel=2)
        logger.debug("BlockJacobi: n=%d blocks=%d largest=%d jittered=%d", n,
                     len(index_blocks), max(map(len, index_blocks)), jittered.size)

    def _matmat(self, block):
        block = np.asarray(block)
        result = np.empty(block.shape, dtype=np.result_type(block.dtype, np.float64))
        for indices, factor in zip(self.blocks, self._factors):
            result[indices] = scipy.linalg.cho_solve(factor, block[indices], check_finite=False)
        return result

    def _matvec(self, vector):
        return self._matmat(np.reshape(vector, (-1, 1)))[:, 0]

    def _rmatvec(self, vector):
        return self._matvec(vector)

    def _adjoint(self):
        return self


def _resolve_blocks(blocks, permutation):
    try:
        entries = list(blocks)
    except TypeError as error:
        raise TypeError(f"blocks must be a sequence of index arrays or (start, stop) pairs, got {blocks!r}") from error
    if not entries:
        raise ValueError("blocks is empty; pass at least one block of indices")
    if permutation is not None:
        permutation = np.asarray(permutation)
        if permutation.ndim != 1 or not np.issubdtype(permutation.dtype, np.integer):
            raise ValueError(
                f"permutation must be a 1-D integer array, got shape {permutation.shape} "
                f"and dtype {permutation.dtype}"
            )

    resolved = []
    for number, entry in enumerate(entries):
        if isinstance(entry, tuple) and len(entry) == 2:
            start, stop = operator.index(entry[0]), operator.index(entry[1])
            if permutation is None:
                indices = np.arange(start, stop)
            else:
                if not 0 <= start < stop <= permutation.size:
                    raise ValueError(
                        f"blocks[{number}] = {entry} is outside the permutation of length "
                        f"{permutation.size}"
                    )
                indices = permutation[start:stop]
        else:
            indices = np.asarray(entry)
            if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
                raise ValueError(
                    f"blocks[{number}] must be a 1-D integer index array or a (start, stop) "
                    f"pair, got {entry!r}"
                )
        if indices.size == 0:
            raise ValueError(f"blocks[{number}] is empty; every block needs an index")
        resolved.append(np.asarray(indices, dtype=np.intp))
    return resolved


def _check_partition(index_blocks):
    all_indices = np.concatenate(index_blocks)
    n = all_indices.size
    counts = np.bincount(all_indices, minlength=n) if np.all(all_indices >= 0) else None
    if counts is None or counts.size != n or np.any(counts != 1):
        raise ValueError(
            f"blocks must partition 0..{n - 1}: every index exactly once; got "
            f"{n} indices with min {all_indices.min()}, max {all_indices.max()} and "
            f"{n - np.unique(all_indices).size} repeats"
        )
    return n


def _fetch_block(get_block, indices, number):
    block = np.array(get_block(indices), dtype=np.float64)
    size = indices.size
    if block.shape != (size, size):
        raise ValueError(
            f"get_block returned shape {block.shape} for block {number} of {size} "
            f"indices; it must return K[idx][:, idx]"
        )
    if not np.all(np.isfinite(block)):
        raise ValueError(f"get_block returned NaN or infinity for block {number}")
    return block


def _factorise(block, number, on_not_pd):
    try:
        return scipy.linalg.cho_factor(block, lower=True, check_finite=False), 0.0
    except np.linalg.LinAlgError:
        if on_not_pd == "raise":
            smallest = float(np.linalg.eigvalsh(block)[0])
            raise NotPSDError(
                f"block {number} of size {block.shape[0]} is not positive definite "
                f"(smallest eigenvalue {smallest:.3e}); add a noise diagonal or pass "
                f"on_not_pd='jitter'",
                value=smallest,
            ) from None

    scale = float(np.mean(np.abs(np.diag(block))))
    relative = JITTER_START
    while relative <= JITTER_MAX:
        jitter = relative * scale
        shifted = block + jitter * np.eye(block.shape[0])
        try:
            return scipy.linalg.cho_factor(shifted, lower=True, check_finite=False), jitter
        except np.linalg.LinAlgError:
            relative *= JITTER_GROWTH
    raise NotPSDError(
        f"block {number} of size {block.shape[0]} is not positive definite even with "
        f"jitter {JITTER_MAX:.0e} * mean(diag); the operator is likely indefinite",
        value=JITTER_MAX * scale,
    )
