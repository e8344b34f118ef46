"""Tests of runtime.krylov.BlockJacobi against dense block-diagonal inverses."""

import numpy as np
import pytest
import scipy.linalg

from krylov_cases import matern32, random_points
from runtime.krylov import BlockJacobi, NotPSDError, NumericalWarning

# Cholesky solves of well-conditioned blocks agree with dense inverses to this.
SOLVE_RTOL = 1e-10


def _kernel(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return matern32(random_points(rng, n), 0.3), rng


def _dense_block_inverse(matrix, blocks, diagonal):
    inverse = np.zeros_like(matrix)
    for indices in blocks:
        block = matrix[np.ix_(indices, indices)] + np.diag(np.broadcast_to(diagonal, matrix.shape[0])[indices])
        inverse[np.ix_(indices, indices)] = scipy.linalg.inv(block)
    return inverse


def test_block_jacobi_matches_dense_inverse():
    matrix, rng = _kernel()
    blocks = np.array_split(rng.permutation(matrix.shape[0]), 5)
    preconditioner = BlockJacobi(blocks, lambda idx: matrix[np.ix_(idx, idx)], diagonal=1e-2)
    block = rng.standard_normal((matrix.shape[0], 3))
    reference = _dense_block_inverse(matrix, blocks, 1e-2) @ block
    assert np.allclose(preconditioner @ block, reference, rtol=SOLVE_RTOL, atol=0)
    assert np.allclose(preconditioner.matvec(block[:, 0]), reference[:, 0], rtol=SOLVE_RTOL, atol=0)


def test_block_jacobi_ranges_over_permutation():
    matrix, rng = _kernel()
    permutation = rng.permutation(matrix.shape[0])
    ranges = [(0, 20), (20, 45), (45, 60)]
    diagonal = rng.random(matrix.shape[0]) + 0.1
    preconditioner = BlockJacobi(ranges, lambda idx: matrix[np.ix_(idx, idx)], diagonal=diagonal,
                                 permutation=permutation)
    blocks = [permutation[start:stop] for start, stop in ranges]
    vector = rng.standard_normal(matrix.shape[0])
    reference = _dense_block_inverse(matrix, blocks, diagonal) @ vector
    assert np.allclose(preconditioner @ vector, reference, rtol=SOLVE_RTOL, atol=0)


def test_block_jacobi_requests_each_block_once():
    matrix, _ = _kernel()
    requested = []

    def get_block(indices):
        requested.append(indices.copy())
        return matrix[np.ix_(indices, indices)]

    BlockJacobi([(0, 30), (30, 60)], get_block, diagonal=1e-2)
    assert len(requested) == 2
    assert np.array_equal(requested[0], np.arange(30))


@pytest.mark.parametrize("blocks", [
    [np.arange(0, 10), np.arange(9, 20)],
    [np.arange(0, 10), np.arange(11, 20)],
    [np.array([0, 1, -1])],
])
def test_block_jacobi_rejects_non_partition(blocks):
    with pytest.raises(ValueError, match="partition"):
        BlockJacobi(blocks, lambda idx: np.eye(idx.size))


def test_block_jacobi_not_pd_raises():
    matrix = np.diag([1.0, 1.0, -1.0, 1.0])
    with pytest.raises(NotPSDError, match="block 1 .* not positive definite"):
        BlockJacobi([(0, 2), (2, 4)], lambda idx: matrix[np.ix_(idx, idx)])


def test_block_jacobi_jitter_warns():
    # Rank-one PSD block: Cholesky meets an exactly zero pivot.
    matrix = np.ones((5, 5))
    with pytest.warns(NumericalWarning, match="jitter") as record:
        preconditioner = BlockJacobi([(0, 5)], lambda idx: matrix[np.ix_(idx, idx)],
                                     on_not_pd="jitter")
    assert record[0].message.knob == "diagonal"
    assert preconditioner.jitters[0] > 0


def test_block_jacobi_bad_block_shape():
    with pytest.raises(ValueError, match="get_block returned shape"):
        BlockJacobi([(0, 3)], lambda idx: np.eye(2))


def test_block_jacobi_bad_on_not_pd():
    with pytest.raises(ValueError, match="on_not_pd must be"):
        BlockJacobi([(0, 3)], lambda idx: np.eye(3), on_not_pd="ignore")
