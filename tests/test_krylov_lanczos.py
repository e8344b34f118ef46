"""Tests of runtime.krylov.lanczos and eigenvalue_bounds against scipy.linalg.eigh."""

import numpy as np
import pytest
import scipy.linalg

from krylov_cases import KERNEL_CASES, clustered_diagonal, kernel_case
from runtime.krylov import NotPSDError, NumericalWarning, eigenvalue_bounds, lanczos

# Reorthogonalised Lanczos keeps ‖QᵀQ - I‖ and ‖QᵀAQ - T‖ near eps * steps.
ORTHOGONALITY_ATOL = 1e-12
PROJECTION_RTOL = 1e-12
# Extreme Ritz values after 60 steps on a kernel matrix match eigh to this.
RITZ_RTOL = 1e-8
BLOCK_RTOL = 1e-10
# eigh computes each eigenvalue to within a small multiple of n * eps * ‖A‖.
EIGH_ERROR_FACTOR = 4.0


def _kernel_system(seed=0):
    rng = np.random.default_rng(seed)
    matrix, sigma2 = kernel_case("matern32", 1e4, rng)
    return matrix + sigma2 * np.eye(matrix.shape[0]), rng


def test_lanczos_basis_orthonormal():
    system, rng = _kernel_system()
    result = lanczos(system, rng.standard_normal(system.shape[0]), 40, reorthogonalize=True,
                     return_basis=True)
    basis = result.basis
    assert np.abs(basis.T @ basis - np.eye(40)).max() <= ORTHOGONALITY_ATOL


def test_lanczos_projection_is_tridiagonal():
    system, rng = _kernel_system()
    result = lanczos(system, rng.standard_normal(system.shape[0]), 40, reorthogonalize=True,
                     return_basis=True)
    alpha, beta = result.tridiagonal()
    tridiagonal = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    projection = result.basis.T @ system @ result.basis
    assert np.abs(projection - tridiagonal).max() <= PROJECTION_RTOL * np.linalg.norm(system, 2)


def test_lanczos_extreme_ritz_values():
    system, rng = _kernel_system()
    result = lanczos(system, rng.standard_normal(system.shape[0]), 80, reorthogonalize=True)
    values, _, residuals = result.ritz()
    eigenvalues = scipy.linalg.eigvalsh(system)
    assert values[-1] == pytest.approx(eigenvalues[-1], rel=RITZ_RTOL)
    assert values[0] >= eigenvalues[0] * (1 - RITZ_RTOL)
    assert np.all(residuals >= 0)


def test_lanczos_breakdown_on_few_eigenvalues():
    matrix = np.diag(np.repeat([1.0, 2.0, 5.0, 7.0], 10))
    result = lanczos(matrix, np.ones(40), 20)
    values, _, _ = result.ritz()
    assert bool(result.breakdown[0])
    assert result.sizes[0] == 4
    assert np.allclose(values, [1.0, 2.0, 5.0, 7.0], rtol=RITZ_RTOL)
    assert result.n_products == 4


def test_lanczos_block_equals_columns():
    system, rng = _kernel_system()
    start = rng.standard_normal((system.shape[0], 3))
    # Reorthogonalised, so rounding differences between gemm and gemv stay small.
    block = lanczos(system, start, 25, reorthogonalize=True)
    for column in range(3):
        single = lanczos(system, start[:, column], 25, reorthogonalize=True)
        assert np.allclose(block.alpha[:, column], single.alpha, rtol=BLOCK_RTOL, atol=0)
        assert np.allclose(block.beta[:, column], single.beta, rtol=BLOCK_RTOL, atol=0)


def test_lanczos_zero_start_rejected():
    with pytest.raises(ValueError, match="zero columns"):
        lanczos(np.eye(4), np.zeros(4), 3)


def test_lanczos_steps_capped_at_n():
    result = lanczos(np.diag(np.arange(1.0, 6.0)), np.ones(5), 50, reorthogonalize=True)
    assert result.sizes[0] <= 5


@pytest.mark.parametrize(("kernel", "condition"), KERNEL_CASES)
def test_bounds_contain_spectrum_with_noise(kernel, condition):
    rng = np.random.default_rng(3)
    matrix, sigma2 = kernel_case(kernel, condition, rng)
    bounds = eigenvalue_bounds(matrix, diagonal=sigma2)
    eigenvalues = scipy.linalg.eigvalsh(matrix + sigma2 * np.eye(matrix.shape[0]))
    eigh_error = EIGH_ERROR_FACTOR * np.finfo(float).eps * matrix.shape[0] * eigenvalues[-1]
    assert bounds.reliable
    assert bounds.lower <= eigenvalues[0] + eigh_error
    assert bounds.upper >= eigenvalues[-1] - eigh_error


def test_bounds_clustered_diagonal():
    matrix = clustered_diagonal(np.random.default_rng(4))
    bounds = eigenvalue_bounds(matrix, num_iter=40)
    eigenvalues = np.diag(matrix)
    assert bounds.upper >= eigenvalues.max()
    assert bounds.lower <= eigenvalues.min() or not bounds.reliable


def test_bounds_unresolved_warns():
    # Noise-free Matérn matrix: 5 steps cannot resolve its tiny eigenvalues.
    matrix, _ = kernel_case("matern32", 1e2, np.random.default_rng(5))
    with pytest.warns(NumericalWarning, match="eig_bounds") as record:
        bounds = eigenvalue_bounds(matrix, num_iter=5)
    assert not bounds.reliable
    assert record[0].message.knob == "eig_bounds"


def test_bounds_indefinite_raises():
    with pytest.raises(NotPSDError, match="Ritz value"):
        eigenvalue_bounds(np.diag([-2.0, 1.0, 3.0, 4.0]), num_iter=4)
