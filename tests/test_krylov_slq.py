"""Tests of stochastic Lanczos quadrature and Hutchinson trace estimates."""

import numpy as np
import pytest
import scipy.linalg

from krylov_cases import KERNEL_CASES, clustered_diagonal, kernel_case, matern32, random_points
from runtime.krylov import ConvergenceWarning, NotPSDError, logdet, probe_vectors, trace_inv_product

# An unbiased estimate lies within this many standard errors of the truth,
# except with probability about 6e-5 for a normal sampling distribution.
STANDARD_ERRORS = 4.0
# Lanczos steps for the ill-conditioned Gaussian case (condition number 1e8).
ILL_CONDITIONED_STEPS = 120
# Reference agreement of deterministic parts (scalar vs array diagonal).
DIAGONAL_RTOL = 1e-10


@pytest.mark.parametrize(("kernel", "condition"), KERNEL_CASES)
def test_logdet_within_standard_errors(kernel, condition):
    rng = np.random.default_rng(0)
    matrix, sigma2 = kernel_case(kernel, condition, rng)
    reference = np.linalg.slogdet(matrix + sigma2 * np.eye(matrix.shape[0]))[1]
    # The 1e8 case spreads over 8 decades; plain Lanczos drifts there (see
    # test_logdet_unsettled_quadrature_warns), so it runs reorthogonalised.
    ill_conditioned = condition > 1e6
    steps = ILL_CONDITIONED_STEPS if ill_conditioned else 50
    result = logdet(matrix, diagonal=sigma2, num_iter=steps, rng=1,
                    reorthogonalize=ill_conditioned)
    assert abs(result.logdet - reference) <= STANDARD_ERRORS * result.std_error
    assert result.quadrature_change <= result.std_error


def test_logdet_unsettled_quadrature_warns():
    matrix, sigma2 = kernel_case("gaussian", 1e8, np.random.default_rng(0))
    with pytest.warns(ConvergenceWarning, match="raise num_iter") as record:
        result = logdet(matrix, diagonal=sigma2, num_iter=30, rng=1)
    assert record[0].message.knob == "num_iter"
    assert result.quadrature_change > result.std_error


def test_logdet_clustered_diagonal():
    matrix = clustered_diagonal(np.random.default_rng(2))
    reference = np.sum(np.log(np.diag(matrix)))
    result = logdet(matrix, n_probes=40, rng=3, probe="gaussian")
    assert abs(result.logdet - reference) <= STANDARD_ERRORS * result.std_error


def test_logdet_exact_for_rademacher_on_diagonal():
    # zᵀ log(D) z = tr(log D) for every ±1 probe when D is diagonal.
    diagonal = np.linspace(0.5, 3.0, 30)
    result = logdet(np.diag(diagonal), n_probes=3, num_iter=30, rng=4, reorthogonalize=True)
    assert result.logdet == pytest.approx(np.sum(np.log(diagonal)), rel=DIAGONAL_RTOL)
    assert result.std_error == pytest.approx(0.0, abs=DIAGONAL_RTOL * abs(result.logdet))


def test_logdet_scalar_equals_array_diagonal():
    rng = np.random.default_rng(5)
    matrix, sigma2 = kernel_case("matern32", 1e4, rng)
    scalar = logdet(matrix, diagonal=sigma2, rng=6, reorthogonalize=True)
    array = logdet(matrix, diagonal=np.full(matrix.shape[0], sigma2), rng=6, reorthogonalize=True)
    assert scalar.logdet == pytest.approx(array.logdet, rel=DIAGONAL_RTOL)


def test_logdet_block_counts_products():
    matrix, sigma2 = kernel_case("matern32", 1e2, np.random.default_rng(7))
    result = logdet(matrix, diagonal=sigma2, n_probes=8, num_iter=20, rng=8)
    assert result.n_products == 20
    assert result.n_matvecs == 160
    assert result.samples.shape == (8,)


def test_logdet_indefinite_raises():
    with pytest.raises(NotPSDError, match="Ritz value"):
        logdet(np.diag(np.linspace(-1.0, 2.0, 20)), rng=9, num_iter=20)


def test_logdet_needs_two_probes():
    with pytest.raises(ValueError, match="n_probes must be >= 2"):
        logdet(np.eye(3), n_probes=1)


def test_probe_vectors_kinds():
    rademacher = probe_vectors(50, 4, "rademacher", rng=10)
    gaussian = probe_vectors(50, 4, "gaussian", rng=10)
    assert rademacher.shape == (50, 4)
    assert set(np.unique(rademacher)) == {-1.0, 1.0}
    assert gaussian.shape == (50, 4)
    with pytest.raises(ValueError, match="probe kind"):
        probe_vectors(50, 4, "uniform")


def test_trace_inv_product_lengthscale_and_noise():
    rng = np.random.default_rng(11)
    points = random_points(rng, 150)
    lengthscale, sigma2 = 0.4, 1e-2
    matrix = matern32(points, lengthscale)
    scaled = np.sqrt(3.0) * scipy.spatial.distance.cdist(points, points) / lengthscale
    derivative = scaled**2 * np.exp(-scaled) / lengthscale
    inverse = np.linalg.inv(matrix + sigma2 * np.eye(150))
    references = [np.trace(inverse @ derivative), np.trace(inverse)]
    result = trace_inv_product(matrix, [derivative, np.eye(150)], diagonal=sigma2, rng=12)
    for index, reference in enumerate(references):
        assert abs(result.estimate[index] - reference) <= STANDARD_ERRORS * result.std_error[index]


def test_trace_inv_product_single_operator_returns_float():
    matrix, sigma2 = kernel_case("matern32", 1e2, np.random.default_rng(13))
    result = trace_inv_product(matrix, np.eye(matrix.shape[0]), diagonal=sigma2, rng=14)
    assert isinstance(result.estimate, float)
    assert result.samples.shape == (30, 1)


def test_trace_inv_product_mismatched_derivative():
    with pytest.raises(ValueError, match=r"derivatives\[1\] has shape"):
        trace_inv_product(np.eye(4), [np.eye(4), np.eye(3)])
