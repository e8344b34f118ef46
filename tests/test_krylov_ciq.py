"""Tests of contour-integral quadrature: rule, K^{±1/2} b, gradients, sampling."""

import mpmath
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from krylov_cases import (
    KERNEL_CASES,
    clustered_diagonal,
    kernel_case,
    matern32,
    matern32_lengthscale_derivative,
    matrix_power_apply,
    random_points,
    relative_error,
)
from runtime.krylov import (
    NotPSDError,
    ciq_backward,
    inv_sqrt_matvec,
    inv_sqrt_quadrature,
    sample_gaussian,
    sqrt_matvec,
)
from runtime.krylov.contour import jacobi_sc_dc_nc

# The AGM elliptic functions agree with scipy.special.ellipj away from m = 1
# and with 30-digit mpmath values near it (the AGM loses about log10(1/p) digits
# through cos φ near π/2).
ELLIPJ_RTOL = 1e-13
MPMATH_RTOL = 1e-10
# Maximum relative error of the rule on [λ_min, λ_max] for (κ, Q): measured
# values (tests run them on 3,000 log-spaced points) times 10.
QUADRATURE_ERRORS = {(1e2, 8): 2e-8, (1e4, 15): 1e-9, (1e8, 25): 3e-9}
# CIQ error relative to the MINRES tolerance when the quadrature error is
# negligible: the observed ratio is 0.3-1.5 on the kernel cases.
CIQ_ERROR_FACTOR = 5.0
# Finite-difference step and agreement for gradients (central differences of
# the eigh reference, error O(h²) with h = 1e-6 relative).
FD_STEP = 1e-6
GRADIENT_RTOL = 1e-6
BLOCK_RTOL = 1e-8
# Monte-Carlo check of the sample covariance: every entry within this many
# standard deviations (400 entries, so the maximum of |z| is about 3.5).
COVARIANCE_Z_MAX = 5.0


def _ciq_settings(condition, n):
    """MINRES tolerance, quadrature nodes and iteration cap for a condition number."""
    if condition > 1e6:
        return {"tol": 1e-4, "n_quad": 25, "max_iter": 20 * n}
    return {"tol": 1e-6, "n_quad": 15}


@pytest.mark.parametrize("p", [0.9, 0.3, 1e-2, 1e-3])
def test_elliptic_functions_match_scipy(p):
    nodes = np.linspace(0.05, 0.95, 7) * scipy.special.ellipkm1(p)
    sn, cn, dn, _ = scipy.special.ellipj(nodes, 1.0 - p)
    sc, dc, nc = jacobi_sc_dc_nc(nodes, p)
    assert np.allclose(sc, sn / cn, rtol=ELLIPJ_RTOL, atol=0)
    assert np.allclose(dc, dn / cn, rtol=ELLIPJ_RTOL, atol=0)
    assert np.allclose(nc, 1.0 / cn, rtol=ELLIPJ_RTOL, atol=0)


@pytest.mark.parametrize("p", [1e-6, 1e-10])
def test_elliptic_functions_match_mpmath(p):
    mpmath.mp.dps = 30
    m = 1 - mpmath.mpf(p)
    nodes = np.linspace(0.05, 0.95, 5) * scipy.special.ellipkm1(p)
    sc, dc, nc = jacobi_sc_dc_nc(nodes, p)
    for index, node in enumerate(nodes):
        sn = mpmath.ellipfun("sn", mpmath.mpf(node), m=m)
        cn = mpmath.ellipfun("cn", mpmath.mpf(node), m=m)
        dn = mpmath.ellipfun("dn", mpmath.mpf(node), m=m)
        assert sc[index] == pytest.approx(float(sn / cn), rel=MPMATH_RTOL)
        assert dc[index] == pytest.approx(float(dn / cn), rel=MPMATH_RTOL)
        assert nc[index] == pytest.approx(float(1 / cn), rel=MPMATH_RTOL)


@pytest.mark.parametrize(("condition", "n_points"), list(QUADRATURE_ERRORS))
def test_quadrature_rule_error(condition, n_points):
    lower, upper = 2.0 / condition, 2.0
    shifts, weights = inv_sqrt_quadrature(lower, upper, n_points)
    eigenvalues = np.geomspace(lower, upper, 3000)
    approximation = np.sum(weights[:, None] / (eigenvalues[None, :] + shifts[:, None]), axis=0)
    error = np.max(np.abs(approximation * np.sqrt(eigenvalues) - 1.0))
    assert np.all(shifts > 0)
    assert np.all(weights > 0)
    assert error <= QUADRATURE_ERRORS[(condition, n_points)]


def test_quadrature_exact_on_single_point():
    shifts, weights = inv_sqrt_quadrature(4.0, 4.0, 3)
    assert np.sum(weights / (4.0 + shifts)) == pytest.approx(0.5, rel=ELLIPJ_RTOL)


@pytest.mark.parametrize(("lower", "upper"), [(0.0, 1.0), (2.0, 1.0), (-1.0, 1.0), (1.0, np.inf)])
def test_quadrature_bad_interval(lower, upper):
    with pytest.raises(ValueError):
        inv_sqrt_quadrature(lower, upper, 5)


@pytest.mark.parametrize(("kernel", "condition"), KERNEL_CASES)
@pytest.mark.parametrize("power", [-0.5, 0.5])
def test_ciq_kernel_matches_eigh(kernel, condition, power):
    rng = np.random.default_rng(0)
    matrix, sigma2 = kernel_case(kernel, condition, rng)
    rhs = rng.standard_normal((matrix.shape[0], 2))
    options = _ciq_settings(condition, matrix.shape[0])
    function = inv_sqrt_matvec if power < 0 else sqrt_matvec
    result, info = function(matrix, rhs, diagonal=sigma2, return_info=True, **options)
    reference = matrix_power_apply(matrix + sigma2 * np.eye(matrix.shape[0]), power, rhs)
    assert info.success
    assert relative_error(result, reference) <= CIQ_ERROR_FACTOR * options["tol"]


def test_ciq_clustered_diagonal():
    rng = np.random.default_rng(1)
    matrix = clustered_diagonal(rng)
    rhs = rng.standard_normal(matrix.shape[0])
    result = inv_sqrt_matvec(matrix, rhs, tol=1e-8, n_quad=20, bounds_iter=40)
    reference = rhs / np.sqrt(np.diag(matrix))
    assert relative_error(result, reference) <= CIQ_ERROR_FACTOR * 1e-8


def test_ciq_explicit_bounds_skip_lanczos():
    rng = np.random.default_rng(2)
    matrix, sigma2 = kernel_case("matern32", 1e4, rng)
    eigenvalues = np.linalg.eigvalsh(matrix + sigma2 * np.eye(matrix.shape[0]))
    rhs = rng.standard_normal(matrix.shape[0])
    _, estimated = inv_sqrt_matvec(matrix, rhs, diagonal=sigma2, return_info=True)
    _, given_bounds = inv_sqrt_matvec(matrix, rhs, diagonal=sigma2, return_info=True,
                                      eig_bounds=(eigenvalues[0], eigenvalues[-1]))
    assert given_bounds.bounds is None
    assert given_bounds.n_products == given_bounds.iterations
    assert estimated.n_products == estimated.iterations + estimated.bounds.n_products


def test_ciq_block_equals_columns():
    rng = np.random.default_rng(3)
    matrix, sigma2 = kernel_case("matern32", 1e4, rng)
    rhs = rng.standard_normal((matrix.shape[0], 3))
    block = inv_sqrt_matvec(matrix, rhs, diagonal=sigma2, tol=1e-8)
    for column in range(3):
        single = inv_sqrt_matvec(matrix, rhs[:, column], diagonal=sigma2, tol=1e-8)
        assert single.shape == (matrix.shape[0],)
        assert relative_error(block[:, column], single) <= BLOCK_RTOL


def test_ciq_keep_solves_matches_weighted_sum():
    rng = np.random.default_rng(4)
    matrix, sigma2 = kernel_case("matern32", 1e2, rng)
    rhs = rng.standard_normal(matrix.shape[0])
    plain = inv_sqrt_matvec(matrix, rhs, diagonal=sigma2, tol=1e-8)
    with_solves, info = inv_sqrt_matvec(matrix, rhs, diagonal=sigma2, tol=1e-8, keep_solves=True,
                                 return_info=True)
    assert info.solves.shape == (info.shifts.size, matrix.shape[0], 1)
    assert relative_error(with_solves, plain) <= BLOCK_RTOL


def test_ciq_zero_rhs_returns_zero():
    matrix, sigma2 = kernel_case("matern32", 1e2, np.random.default_rng(5))
    rhs = np.zeros((matrix.shape[0], 2))
    rhs[:, 1] = 1.0
    result = sqrt_matvec(matrix, rhs, diagonal=sigma2)
    assert np.all(result[:, 0] == 0)
    assert np.any(result[:, 1] != 0)


def test_ciq_indefinite_raises():
    with pytest.raises(NotPSDError):
        inv_sqrt_matvec(np.diag(np.linspace(-1.0, 1.0, 20)), np.ones(20))


@pytest.mark.parametrize("bounds", [(0.0, 1.0), (2.0, 1.0), (1.0,), "ab", (np.nan, 1.0)])
def test_ciq_bad_bounds(bounds):
    with pytest.raises(ValueError, match="eig_bounds"):
        inv_sqrt_matvec(np.eye(3), np.ones(3), eig_bounds=bounds)


def test_ciq_nan_rhs():
    with pytest.raises(ValueError, match="b contains NaN"):
        sqrt_matvec(np.eye(3), np.array([0.0, np.inf, 1.0]))


@pytest.mark.parametrize("tol", [0.0, 1.0, -0.5])
def test_ciq_bad_tolerance(tol):
    with pytest.raises(ValueError, match="tol must lie in"):
        sqrt_matvec(np.eye(3), np.ones(3), tol=tol)


def test_ciq_non_square():
    with pytest.raises(ValueError, match="op must be square"):
        sqrt_matvec(np.ones((3, 2)), np.ones(3))


def _gradient_problem(seed=6, n=80):
    rng = np.random.default_rng(seed)
    points = random_points(rng, n)
    rhs = rng.standard_normal((n, 2))
    upstream = rng.standard_normal((n, 2))
    return points, rhs, upstream


def _loss(points, rhs, upstream, lengthscale, sigma2, power):
    system = matern32(points, lengthscale) + sigma2 * np.eye(points.shape[0])
    return float(np.sum(upstream * matrix_power_apply(system, power, rhs)))


@pytest.mark.parametrize("power", [-0.5, 0.5])
def test_ciq_backward_matches_finite_differences(power):
    points, rhs, upstream = _gradient_problem()
    lengthscale, sigma2 = 0.4, 1e-2
    n = points.shape[0]
    function = inv_sqrt_matvec if power < 0 else sqrt_matvec
    matrix = matern32(points, lengthscale)
    _, info = function(matrix, rhs, diagonal=sigma2, tol=1e-11, n_quad=30, return_info=True)
    derivatives = [matern32_lengthscale_derivative(points, lengthscale), np.eye(n)]
    gradient = ciq_backward(matrix, info, upstream, derivatives)

    finite_differences = []
    for index, (value, step) in enumerate([(lengthscale, FD_STEP * lengthscale),
                                           (sigma2, FD_STEP * sigma2)]):
        arguments = [lengthscale, sigma2]
        arguments[index] = value + step
        forward = _loss(points, rhs, upstream, *arguments, power)
        arguments[index] = value - step
        backward = _loss(points, rhs, upstream, *arguments, power)
        finite_differences.append((forward - backward) / (2 * step))
    assert gradient.grad_params == pytest.approx(finite_differences, rel=GRADIENT_RTOL)


@pytest.mark.parametrize("power", [-0.5, 0.5])
@pytest.mark.parametrize("keep_solves", [False, True])
def test_ciq_backward_grad_b(power, keep_solves):
    points, rhs, upstream = _gradient_problem(seed=7)
    matrix, sigma2 = matern32(points, 0.4), 1e-2
    function = inv_sqrt_matvec if power < 0 else sqrt_matvec
    _, info = function(matrix, rhs, diagonal=sigma2, tol=1e-10, n_quad=30, return_info=True,
                       keep_solves=keep_solves)
    gradient = ciq_backward(matrix, info, upstream, np.eye(points.shape[0]))
    reference = matrix_power_apply(matrix + sigma2 * np.eye(points.shape[0]), power, upstream)
    assert relative_error(gradient.grad_b, reference) <= CIQ_ERROR_FACTOR * 1e-10
    assert isinstance(gradient.grad_params, float)


def test_ciq_backward_vector_shapes():
    points, rhs, upstream = _gradient_problem(seed=8)
    matrix = matern32(points, 0.4)
    _, info = inv_sqrt_matvec(matrix, rhs[:, 0], diagonal=1e-2, return_info=True)
    gradient = ciq_backward(matrix, info, upstream[:, 0])
    assert gradient.grad_b.shape == (points.shape[0],)
    assert gradient.grad_params.shape == (0,)


def test_ciq_backward_shape_mismatch():
    points, rhs, upstream = _gradient_problem(seed=9)
    matrix = matern32(points, 0.4)
    _, info = inv_sqrt_matvec(matrix, rhs, diagonal=1e-2, return_info=True)
    with pytest.raises(ValueError, match="grad_output must have the shape"):
        ciq_backward(matrix, info, upstream[:, :1])


def test_sample_covariance_matches_kernel():
    rng = np.random.default_rng(10)
    points = random_points(rng, 20)
    covariance = matern32(points, 0.5) + 1e-2 * np.eye(20)
    n_samples = 8000
    samples = sample_gaussian(covariance, n_samples, rng=rng)
    empirical = samples.T @ samples / n_samples
    variances = np.diag(covariance)
    standard_deviation = np.sqrt((np.outer(variances, variances) + covariance**2) / n_samples)
    assert samples.shape == (n_samples, 20)
    assert np.max(np.abs(empirical - covariance) / standard_deviation) <= COVARIANCE_Z_MAX


def test_sample_mean_is_added():
    rng = np.random.default_rng(11)
    points = random_points(rng, 15)
    covariance = matern32(points, 0.5)
    mean = np.linspace(-3.0, 3.0, 15)
    n_samples = 8000
    samples = sample_gaussian(covariance, n_samples, mean, diagonal=1e-2, rng=rng)
    standard_errors = np.sqrt((np.diag(covariance) + 1e-2) / n_samples)
    assert np.max(np.abs(samples.mean(axis=0) - mean) / standard_errors) <= COVARIANCE_Z_MAX


def test_sample_mean_wrong_shape():
    with pytest.raises(ValueError, match="mean must have shape"):
        sample_gaussian(np.eye(3), 2, mean=np.zeros(4))


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 20))
def test_ciq_squares_back(seed, n):
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal((n, n))
    matrix = factor @ factor.T / n + 0.5 * np.eye(n)
    rhs = rng.standard_normal(n)
    half = sqrt_matvec(matrix, rhs, tol=1e-10, n_quad=25)
    both = sqrt_matvec(matrix, half, tol=1e-10, n_quad=25)
    assert relative_error(both, matrix @ rhs) <= CIQ_ERROR_FACTOR * 1e-10 * np.linalg.cond(matrix)
