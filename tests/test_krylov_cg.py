"""Tests of runtime.krylov.cg against dense scipy.linalg.solve references."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.linalg import aslinearoperator

from krylov_cases import KERNEL_CASES, kernel_case, matern32, random_points, relative_error
from runtime.krylov import BlockJacobi, ConvergenceWarning, NotPSDError, as_operator, cg

# CG tolerance of the accuracy tests; the forward error is bounded by
# cond(A) * tol, checked with a slack for the recursive residual's drift.
SOLVE_TOL = 1e-10
FORWARD_ERROR_SLACK = 10.0
# The recursive residual drifts from the true one by about eps * cond(A).
TRUE_RESIDUAL_SLACK = 10.0
# Relative gap between recursive and true residual after 200 iterations at
# condition number 1e8 (eps * cond * iterations is about 1e-5).
RECURSIVE_RESIDUAL_RTOL = 1e-3
# Block and one-column runs differ only by gemm vs gemv rounding.
BLOCK_RTOL = 1e-9


def _spd_system(rng, n=40, k=3):
    factor = rng.standard_normal((n, n))
    matrix = factor @ factor.T / n + 0.1 * np.eye(n)
    return matrix, rng.standard_normal((n, k))


# CG reaches SOLVE_TOL within its default 10 n iterations on these cases. The
# Gaussian case with condition number 1e8 is checked separately, because CG
# (scipy 1.17's as well) stalls near 1e-2 there in finite precision.
CG_SOLVABLE_CASES = [case for case in KERNEL_CASES if case[1] <= 1e6]


@pytest.mark.parametrize(("kernel", "condition"), CG_SOLVABLE_CASES)
def test_cg_kernel_matches_solve(kernel, condition):
    rng = np.random.default_rng(0)
    matrix, sigma2 = kernel_case(kernel, condition, rng)
    system = matrix + sigma2 * np.eye(matrix.shape[0])
    rhs = rng.standard_normal((matrix.shape[0], 2))
    result = cg(matrix, rhs, diagonal=sigma2, tol=SOLVE_TOL)
    reference = scipy.linalg.solve(system, rhs, assume_a="pos")
    true_residual = np.linalg.norm(rhs - system @ result.x, axis=0) / np.linalg.norm(rhs, axis=0)
    assert result.success
    assert np.all(true_residual <= TRUE_RESIDUAL_SLACK * SOLVE_TOL)
    assert relative_error(result.x, reference) <= FORWARD_ERROR_SLACK * condition * SOLVE_TOL


def test_cg_ill_conditioned_reports_honestly():
    rng = np.random.default_rng(0)
    matrix, sigma2 = kernel_case("gaussian", 1e8, rng)
    system = matrix + sigma2 * np.eye(matrix.shape[0])
    rhs = rng.standard_normal(matrix.shape[0])
    with pytest.warns(ConvergenceWarning):
        result = cg(matrix, rhs, diagonal=sigma2, tol=SOLVE_TOL, max_iter=200)
    true_residual = np.linalg.norm(rhs - system @ result.x) / np.linalg.norm(rhs)
    assert not result.success
    assert true_residual == pytest.approx(result.residual_norms[0], rel=RECURSIVE_RESIDUAL_RTOL)


def test_cg_product_count_matches_iterations():
    rng = np.random.default_rng(1)
    matrix, rhs = _spd_system(rng)
    result = cg(matrix, rhs, tol=1e-8)
    assert result.n_products == result.iterations
    assert result.n_matvecs == int(result.column_iterations.sum())


def test_cg_block_equals_columns():
    rng = np.random.default_rng(2)
    matrix, rhs = _spd_system(rng, k=4)
    block = cg(matrix, rhs, tol=1e-9)
    for column in range(rhs.shape[1]):
        single = cg(matrix, rhs[:, column], tol=1e-9)
        assert single.x.shape == (rhs.shape[0],)
        assert relative_error(block.x[:, column], single.x) <= BLOCK_RTOL
        assert block.column_iterations[column] == single.iterations


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), k=st.integers(1, 4))
def test_cg_block_equals_columns_random(seed, n, k):
    rng = np.random.default_rng(seed)
    matrix, rhs = _spd_system(rng, n=n, k=k)
    # One column is multiplied by gemv and a block by gemm, so the two runs agree
    # only to the solver accuracy, cond(A) * tol.
    block = cg(matrix, rhs, tol=1e-8)
    columns = np.column_stack([cg(matrix, rhs[:, c], tol=1e-8).x for c in range(k)])
    bound = FORWARD_ERROR_SLACK * np.linalg.cond(matrix) * 1e-8
    assert relative_error(block.x, columns) <= bound


def test_cg_zero_rhs_returns_zero():
    matrix, _ = _spd_system(np.random.default_rng(3))
    result = cg(matrix, np.zeros(matrix.shape[0]))
    assert np.all(result.x == 0)
    assert result.success
    assert result.iterations == 0
    assert result.n_products == 0


def test_cg_zero_column_in_block():
    rng = np.random.default_rng(4)
    matrix, rhs = _spd_system(rng)
    rhs[:, 1] = 0.0
    result = cg(matrix, rhs, tol=1e-8)
    assert np.all(result.x[:, 1] == 0)
    assert result.column_iterations[1] == 0
    assert result.success


def test_cg_x0_is_used():
    rng = np.random.default_rng(5)
    matrix, rhs = _spd_system(rng)
    exact = scipy.linalg.solve(matrix, rhs)
    result = cg(matrix, rhs, x0=exact, tol=1e-8)
    assert result.iterations == 0
    assert result.n_products == 1


def test_cg_nan_rhs_rejected():
    matrix, rhs = _spd_system(np.random.default_rng(6))
    rhs[3, 0] = np.nan
    with pytest.raises(ValueError, match="b contains NaN"):
        cg(matrix, rhs)


def test_cg_indefinite_raises():
    matrix = np.diag([1.0, 2.0, -3.0, 4.0])
    with pytest.raises(NotPSDError, match="not positive definite") as error:
        cg(matrix, np.ones(4))
    assert error.value.value <= 0


def test_cg_not_psd_is_linalg_error():
    with pytest.raises(np.linalg.LinAlgError):
        cg(-np.eye(3), np.ones(3))


@pytest.mark.parametrize("tol", [0.0, 1.0, -1e-3, 2.0, float("nan")])
def test_cg_tolerance_outside_unit_interval(tol):
    matrix, rhs = _spd_system(np.random.default_rng(7))
    with pytest.raises(ValueError, match="tol must lie in"):
        cg(matrix, rhs, tol=tol)


def test_cg_non_square_operator():
    with pytest.raises(ValueError, match="op must be square"):
        cg(np.ones((3, 4)), np.ones(3))


def test_cg_mismatched_rhs():
    with pytest.raises(ValueError, match="b has 5 rows"):
        cg(np.eye(4), np.ones(5))


def test_cg_warns_on_non_convergence():
    matrix, rhs = _spd_system(np.random.default_rng(8), n=60)
    with pytest.warns(ConvergenceWarning, match="raise max_iter") as record:
        result = cg(matrix, rhs, tol=1e-12, max_iter=2)
    warning = record[0].message
    assert not result.success
    assert warning.iterations == 2
    assert warning.target == 1e-12
    assert warning.knob == "max_iter"
    assert warning.residual > 1e-12


def test_cg_accepts_operator_types():
    rng = np.random.default_rng(9)
    matrix, rhs = _spd_system(rng, n=20, k=1)
    reference = cg(matrix, rhs, tol=1e-10).x
    variants = [
        scipy.sparse.csr_matrix(matrix),
        aslinearoperator(matrix),
        (lambda block: matrix @ block),
    ]
    for variant in variants:
        shape = matrix.shape if callable(variant) and not hasattr(variant, "shape") else None
        result = cg(as_operator(variant, shape=shape), rhs, tol=1e-10)
        assert relative_error(result.x, reference) <= BLOCK_RTOL


def test_cg_block_jacobi_fewer_iterations():
    # Short lengthscale, spatial slabs as blocks: the near field dominates.
    rng = np.random.default_rng(10)
    points = random_points(rng, 400)
    matrix, sigma2 = matern32(points, 0.1), 1e-3
    rhs = rng.standard_normal(points.shape[0])
    blocks = np.array_split(np.argsort(points[:, 0]), 8)
    preconditioner = BlockJacobi(blocks, lambda idx: matrix[np.ix_(idx, idx)], diagonal=sigma2)
    plain = cg(matrix, rhs, diagonal=sigma2, tol=SOLVE_TOL)
    preconditioned = cg(matrix, rhs, diagonal=sigma2, tol=SOLVE_TOL, preconditioner=preconditioner)
    system = matrix + sigma2 * np.eye(points.shape[0])
    reference = scipy.linalg.solve(system, rhs)
    assert preconditioned.success
    assert preconditioned.iterations < plain.iterations
    assert relative_error(preconditioned.x, reference) <= (
        FORWARD_ERROR_SLACK * np.linalg.cond(system) * SOLVE_TOL)


def test_cg_array_diagonal_matches_dense():
    rng = np.random.default_rng(11)
    matrix, rhs = _spd_system(rng)
    diagonal = rng.random(matrix.shape[0])
    result = cg(matrix, rhs, diagonal=diagonal, tol=1e-11)
    reference = scipy.linalg.solve(matrix + np.diag(diagonal), rhs)
    assert relative_error(result.x, reference) <= FORWARD_ERROR_SLACK * 1e-11 * np.linalg.cond(matrix)


def test_cg_indefinite_preconditioner_raises():
    matrix, rhs = _spd_system(np.random.default_rng(12), n=5)
    with pytest.raises(NotPSDError, match="preconditioner is not positive definite"):
        cg(matrix, rhs, preconditioner=-np.eye(5))


def test_cg_no_warning_when_converged():
    matrix, rhs = _spd_system(np.random.default_rng(13))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cg(matrix, rhs, tol=1e-6)
