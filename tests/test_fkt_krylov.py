"""Krylov routines driven by FKT operators: preconditioned solves, CIQ, hyperparameter derivatives."""

import numpy as np
import pytest
import scipy.linalg

from runtime import FKT, direct_sum, krylov

N_POINTS = 2500
LENGTHSCALE = 0.15
NOISE = 1e-2
FKT_TOL = 1e-8
"""Operators this accurate leave the Krylov tolerances below as the only error source."""

SOLVE_TOL = 1e-8
SOLVE_CHECK = 1e-6
"""Relative error of a solve with relative residual SOLVE_TOL on a matrix of condition ~1e2-1e3."""

CIQ_TOL = 1e-6
CIQ_CHECK = 1e-4

DERIVATIVE_STEP = 1e-5
DERIVATIVE_CHECK = 1e-6
"""Central differences of exact direct sums with relative step 1e-5 carry truncation error
~1e-10 and rounding ~1e-11; the derivative operator itself is accurate to FKT_TOL."""


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(21)
    points = rng.random((N_POINTS, 3))
    operator = FKT("matern32", points, tol=FKT_TOL, lengthscale=LENGTHSCALE)
    dense = operator.kernel_block(np.arange(N_POINTS), np.arange(N_POINTS))
    return points, operator, dense, rng.standard_normal(N_POINTS)


def relative_error(approximate, exact):
    return np.linalg.norm(approximate - exact) / np.linalg.norm(exact)


def test_kernel_block_matches_products(problem):
    _, operator, dense, rhs = problem
    assert relative_error(operator @ rhs, dense @ rhs) <= FKT_TOL


def test_preconditioned_cg_solves(problem):
    _, operator, dense, rhs = problem
    preconditioner = operator.block_jacobi(block_size=256, diagonal=NOISE)
    plain = krylov.cg(operator, rhs, diagonal=NOISE, tol=SOLVE_TOL)
    preconditioned = krylov.cg(operator, rhs, diagonal=NOISE, tol=SOLVE_TOL, preconditioner=preconditioner)
    exact = scipy.linalg.solve(dense + NOISE * np.eye(N_POINTS), rhs, assume_a="pos")
    assert preconditioned.converged
    assert relative_error(preconditioned.x, exact) <= SOLVE_CHECK
    assert preconditioned.iterations < plain.iterations


def test_block_jacobi_blocks_partition_points(problem):
    _, operator, _, _ = problem
    preconditioner = operator.block_jacobi(block_size=300, diagonal=NOISE)
    indices = np.sort(np.concatenate(preconditioner.blocks))
    assert np.array_equal(indices, np.arange(N_POINTS))
    assert max(block.shape[0] for block in preconditioner.blocks) <= 300


def test_inverse_square_root(problem):
    _, operator, dense, rhs = problem
    values, vectors = scipy.linalg.eigh(dense + NOISE * np.eye(N_POINTS))
    exact = vectors @ ((vectors.T @ rhs) / np.sqrt(values))
    approximate = krylov.inv_sqrt_matvec(operator, rhs, diagonal=NOISE, tol=CIQ_TOL, n_quad=20)
    assert relative_error(approximate, exact) <= CIQ_CHECK


@pytest.mark.parametrize("parameter", ["variance", "lengthscale"])
def test_derivative_operator_matches_finite_differences(problem, parameter):
    points, operator, _, rhs = problem
    derivative = operator.derivative(parameter) @ rhs

    def product(value):
        keywords = {"lengthscale": LENGTHSCALE, "variance": 1.0, parameter: value}
        return direct_sum("matern32", points, points, rhs, **keywords)

    base = LENGTHSCALE if parameter == "lengthscale" else 1.0
    step = DERIVATIVE_STEP * base
    difference = (product(base + step) - product(base - step)) / (2 * step)
    assert relative_error(derivative, difference) <= DERIVATIVE_CHECK


def test_shape_parameter_derivative():
    rng = np.random.default_rng(22)
    points = rng.random((N_POINTS, 2))
    rhs = rng.standard_normal(N_POINTS)
    alpha = 1.5
    operator = FKT("rational_quadratic", points, tol=FKT_TOL, lengthscale=0.3, params={"alpha": alpha})
    derivative = operator.derivative("alpha") @ rhs
    step = DERIVATIVE_STEP * alpha

    def product(value):
        return direct_sum("rational_quadratic", points, points, rhs, lengthscale=0.3, params={"alpha": value})

    difference = (product(alpha + step) - product(alpha - step)) / (2 * step)
    assert relative_error(derivative, difference) <= DERIVATIVE_CHECK


def test_unknown_hyperparameter_rejected(problem):
    _, operator, _, _ = problem
    with pytest.raises(ValueError, match="unknown hyperparameter 'nu'"):
        operator.derivative("nu")
