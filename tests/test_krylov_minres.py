"""Tests of runtime.krylov.minres_shifted against dense shifted solves."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from krylov_cases import KERNEL_CASES, clustered_diagonal, kernel_case, relative_error
from runtime.krylov import ConvergenceWarning, NumericalWarning, minres_shifted

SOLVE_TOL = 1e-10
# Forward error bound: cond(A + tI) * tol, with slack for the MINRES residual
# estimate drifting from the true residual.
FORWARD_ERROR_SLACK = 10.0
TRUE_RESIDUAL_SLACK = 10.0
BLOCK_RTOL = 1e-8
# Lanczos-based solvers reach true residuals of about c * eps * cond(A), with c
# growing with the iteration count (Greenbaum 1997, doi:10.1137/S0895479895284944).
ATTAINABLE_FACTOR = 100.0
MIXED_SHIFTS = np.array([0.0, 1e-3, 0.5, 10.0, 1.0 + 2.0j, -0.5j, 3.0 - 1e-2j])


def _condition(matrix, shift):
    eigenvalues = scipy.linalg.eigvalsh(matrix)
    moduli = np.abs(eigenvalues + shift)
    return moduli.max() / moduli.min()


@pytest.mark.parametrize(("kernel", "condition"), [c for c in KERNEL_CASES if c[1] <= 1e6])
def test_minres_shifted_kernel_matches_solve(kernel, condition):
    rng = np.random.default_rng(0)
    matrix, sigma2 = kernel_case(kernel, condition, rng)
    n = matrix.shape[0]
    rhs = rng.standard_normal((n, 2))
    result = minres_shifted(matrix, rhs, MIXED_SHIFTS, diagonal=sigma2, tol=SOLVE_TOL)
    assert result.success
    for index, shift in enumerate(MIXED_SHIFTS):
        system = matrix + (sigma2 + shift) * np.eye(n)
        reference = scipy.linalg.solve(system, rhs)
        true_residual = np.linalg.norm(rhs - system @ result.x[index]) / np.linalg.norm(rhs)
        attainable = max(SOLVE_TOL, ATTAINABLE_FACTOR * np.finfo(float).eps * condition)
        assert true_residual <= TRUE_RESIDUAL_SLACK * attainable
        bound = FORWARD_ERROR_SLACK * _condition(matrix + sigma2 * np.eye(n), shift) * SOLVE_TOL
        assert relative_error(result.x[index], reference) <= bound


def test_minres_shifted_clustered_diagonal():
    rng = np.random.default_rng(1)
    matrix = clustered_diagonal(rng)
    rhs = rng.standard_normal(matrix.shape[0])
    shifts = np.array([0.0, 1e-2, 1.0j])
    result = minres_shifted(matrix, rhs, shifts, tol=SOLVE_TOL)
    for index, shift in enumerate(shifts):
        reference = rhs / (np.diag(matrix) + shift)
        bound = FORWARD_ERROR_SLACK * _condition(matrix, shift) * SOLVE_TOL
        assert relative_error(result.x[index], reference) <= bound


def test_minres_shifted_indefinite_shift():
    rng = np.random.default_rng(2)
    matrix = np.diag(np.linspace(1.0, 10.0, 50))
    rhs = rng.standard_normal(50)
    shift = -5.05
    result = minres_shifted(matrix, rhs, [shift], tol=SOLVE_TOL)
    reference = rhs / (np.diag(matrix) + shift)
    assert result.success
    assert relative_error(result.x[0], reference) <= FORWARD_ERROR_SLACK * _condition(matrix, shift) * SOLVE_TOL


def test_minres_shifted_weights_combine():
    rng = np.random.default_rng(3)
    matrix, sigma2 = kernel_case("matern32", 1e4, rng)
    rhs = rng.standard_normal((matrix.shape[0], 2))
    weights = np.array([0.5, -1.0, 2.0 + 1.0j])
    shifts = np.array([0.1, 1.0, 2.0j])
    full = minres_shifted(matrix, rhs, shifts, diagonal=sigma2, tol=SOLVE_TOL)
    combined = minres_shifted(matrix, rhs, shifts, diagonal=sigma2, tol=SOLVE_TOL, weights=weights)
    assert combined.x.shape == rhs.shape
    assert relative_error(combined.x, np.einsum("q,qnk->nk", weights, full.x)) <= BLOCK_RTOL


def test_minres_shifted_block_equals_columns():
    rng = np.random.default_rng(4)
    matrix, sigma2 = kernel_case("matern32", 1e2, rng)
    rhs = rng.standard_normal((matrix.shape[0], 3))
    shifts = np.array([0.0, 1.0 + 1.0j])
    block = minres_shifted(matrix, rhs, shifts, diagonal=sigma2, tol=1e-9)
    for column in range(3):
        single = minres_shifted(matrix, rhs[:, column], shifts, diagonal=sigma2, tol=1e-9)
        assert single.x.shape == (2, matrix.shape[0])
        assert relative_error(block.x[:, :, column], single.x) <= BLOCK_RTOL


@settings(deadline=None, max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 25), k=st.integers(1, 3))
def test_minres_shifted_random_systems(seed, n, k):
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal((n, n))
    matrix = factor @ factor.T / n + 0.5 * np.eye(n)
    rhs = rng.standard_normal((n, k))
    shifts = np.array([0.0, 0.3, 0.2 + 0.7j])
    result = minres_shifted(matrix, rhs, shifts, tol=1e-10)
    for index, shift in enumerate(shifts):
        reference = np.linalg.solve(matrix + shift * np.eye(n), rhs)
        bound = FORWARD_ERROR_SLACK * _condition(matrix, shift) * 1e-10
        assert relative_error(result.x[index], reference) <= bound


def test_minres_shifted_counts_products():
    rng = np.random.default_rng(5)
    matrix, sigma2 = kernel_case("matern32", 1e2, rng)
    result = minres_shifted(matrix, rng.standard_normal((matrix.shape[0], 2)), [0.0, 1.0],
                            diagonal=sigma2, tol=1e-8)
    assert result.n_products == result.iterations
    assert result.shift_iterations.max() == result.iterations
    assert result.shift_iterations[1].max() <= result.shift_iterations[0].max()


def test_minres_shifted_zero_rhs():
    result = minres_shifted(np.eye(4) * 2.0, np.zeros(4), [0.0, 1.0j])
    assert np.all(result.x == 0)
    assert result.success
    assert result.n_products == 0


def test_minres_shifted_singular_shift_warns():
    matrix = np.diag([1.0, 2.0, 3.0])
    with pytest.warns(NumericalWarning, match="singular"):
        result = minres_shifted(matrix, np.ones(3), [-2.0, 1.0], tol=1e-10)
    assert not result.converged[0, 0]
    assert result.converged[1, 0]


def test_minres_shifted_warns_on_non_convergence():
    rng = np.random.default_rng(6)
    matrix, sigma2 = kernel_case("matern32", 1e6, rng)
    with pytest.warns(ConvergenceWarning, match="raise max_iter") as record:
        minres_shifted(matrix, rng.standard_normal(matrix.shape[0]), [0.0], diagonal=sigma2,
                       tol=1e-10, max_iter=3)
    assert record[0].message.iterations == 3
    assert record[0].message.knob == "max_iter"


@pytest.mark.parametrize("tol", [0.0, 1.0, [1e-3, 2.0], [1e-3]])
def test_minres_shifted_bad_tolerance(tol):
    with pytest.raises(ValueError, match="tol"):
        minres_shifted(np.eye(3), np.ones(3), [0.0, 1.0], tol=tol)


def test_minres_shifted_nan_shift():
    with pytest.raises(ValueError, match="shifts contain NaN"):
        minres_shifted(np.eye(3), np.ones(3), [0.0, np.nan])


def test_minres_shifted_nan_rhs():
    with pytest.raises(ValueError, match="b contains NaN"):
        minres_shifted(np.eye(3), np.array([1.0, np.nan, 0.0]), [0.0])


def test_minres_shifted_complex_rhs():
    rng = np.random.default_rng(7)
    matrix = np.diag(np.linspace(1.0, 4.0, 30))
    rhs = rng.standard_normal(30) + 1j * rng.standard_normal(30)
    result = minres_shifted(matrix, rhs, [0.5, 1.0j], tol=SOLVE_TOL)
    for index, shift in enumerate([0.5, 1.0j]):
        reference = rhs / (np.diag(matrix) + shift)
        assert relative_error(result.x[index], reference) <= FORWARD_ERROR_SLACK * 10 * SOLVE_TOL
