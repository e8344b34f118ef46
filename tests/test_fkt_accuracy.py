"""FKT products against exact direct sums: every built-in kernel, dimension, data set and tolerance."""

import zlib

import numpy as np
import pytest

from codegen.specs import BUILTIN_KERNELS
from runtime import FKT, direct_sum
from fkt_data import DISTRIBUTIONS

TOLERANCES = (1e-3, 1e-6)
N_POINTS = 2500
"""Large enough that N^2 exceeds the dense fallback, so the tree code runs."""

LENGTHSCALES = {"uniform": 0.3, "two_bumps": 0.2, "rings": 0.5, "sst": 1.0}
"""Length scale per data set: a fraction of the extent, so far fields matter and near fields are not everything."""

CASES = [
    (name, dim)
    for name, spec in BUILTIN_KERNELS.items()
    for dim in (1, 2, 3)
    if dim in spec.dimensions
]


def relative_errors(approximate, exact):
    return np.linalg.norm(approximate - exact, axis=0) / np.linalg.norm(exact, axis=0)


def weights_pair(n, rng):
    """Signed (standard normal) and positive (uniform) weights as two right-hand sides."""
    return np.column_stack([rng.standard_normal(n), rng.random(n)])


@pytest.mark.parametrize("distribution", sorted(DISTRIBUTIONS))
@pytest.mark.parametrize(("kernel", "dim"), CASES, ids=[f"{k}-d{d}" for k, d in CASES])
def test_product_meets_tolerance(kernel, dim, distribution):
    rng = np.random.default_rng(zlib.crc32(f"{kernel}-{dim}-{distribution}".encode()))
    points = DISTRIBUTIONS[distribution](N_POINTS, dim, rng)
    weights = weights_pair(N_POINTS, rng)
    lengthscale = LENGTHSCALES[distribution]
    exact = direct_sum(kernel, points, points, weights, lengthscale=lengthscale)
    for tol in TOLERANCES:
        operator = FKT(kernel, points, tol=tol, lengthscale=lengthscale)
        errors = relative_errors(operator @ weights, exact)
        assert errors[0] <= tol, f"signed weights: error {errors[0]:.2e} > tol {tol:.0e} ({operator})"
        assert errors[1] <= tol, f"positive weights: error {errors[1]:.2e} > tol {tol:.0e} ({operator})"


@pytest.mark.parametrize("dim", (1, 2, 3))
def test_far_field_is_exercised(dim):
    """At tol=1e-3 on uniform data the product must use expansions, not only direct sums."""
    rng = np.random.default_rng(dim)
    points = DISTRIBUTIONS["uniform"](20000, dim, rng)
    operator = FKT("cauchy", points, tol=1e-3, lengthscale=0.1)
    assert operator.stats["mode"] == "tree"
    assert operator.stats["far_entries"] > 0


@pytest.mark.parametrize("dim", (4, 5, 6))
def test_exponential_high_dimension(dim):
    rng = np.random.default_rng(10 + dim)
    points = DISTRIBUTIONS["uniform"](N_POINTS, dim, rng)
    weights = weights_pair(N_POINTS, rng)
    exact = direct_sum("exponential", points, points, weights, lengthscale=0.5)
    for tol in TOLERANCES:
        operator = FKT("exponential", points, tol=tol, lengthscale=0.5)
        errors = relative_errors(operator @ weights, exact)
        assert errors.max() <= tol, f"d={dim}: error {errors.max():.2e} > tol {tol:.0e} ({operator})"


@pytest.mark.parametrize("kernel", ["gaussian", "matern32", "cauchy", "helmholtz"])
def test_rectangular_product(kernel):
    rng = np.random.default_rng(5)
    sources = DISTRIBUTIONS["two_bumps"](3000, 3, rng)
    targets = DISTRIBUTIONS["uniform"](2000, 3, rng) * 2.4 - 1.2
    weights = weights_pair(3000, rng)
    exact = direct_sum(kernel, targets, sources, weights, lengthscale=0.3)
    operator = FKT(kernel, sources, targets, tol=1e-6, lengthscale=0.3)
    assert operator.shape == (2000, 3000)
    errors = relative_errors(operator @ weights, exact)
    assert errors.max() <= 1e-6


def test_gaussian_with_tiny_lengthscale():
    """Boxes spanning many length scales: the series alone cannot reach tol, cutoffs and refinement must."""
    rng = np.random.default_rng(9)
    points = DISTRIBUTIONS["uniform"](4000, 2, rng)
    weights = weights_pair(4000, rng)
    for lengthscale in (0.003, 0.03, 3.0):
        exact = direct_sum("gaussian", points, points, weights, lengthscale=lengthscale)
        for tol in TOLERANCES:
            operator = FKT("gaussian", points, tol=tol, lengthscale=lengthscale)
            errors = relative_errors(operator @ weights, exact)
            assert errors.max() <= tol, f"lengthscale {lengthscale}: {errors.max():.2e} > {tol:.0e}"


def test_anisotropic_lengthscale_matches_scaled_points():
    rng = np.random.default_rng(11)
    points = DISTRIBUTIONS["uniform"](3000, 3, rng) * np.array([10.0, 1.0, 0.1])
    weights = rng.standard_normal(3000)
    lengthscale = np.array([2.0, 0.2, 0.02])
    exact = direct_sum("matern52", points / lengthscale, points / lengthscale, weights)
    operator = FKT("matern52", points, tol=1e-6, lengthscale=lengthscale, variance=2.5)
    error = np.linalg.norm(operator @ weights - 2.5 * exact) / np.linalg.norm(2.5 * exact)
    assert error <= 1e-6


def test_estimate_error_tracks_true_error():
    rng = np.random.default_rng(12)
    points = DISTRIBUTIONS["uniform"](20000, 3, rng)
    operator = FKT("cauchy", points, tol=1e-4, lengthscale=0.1)
    assert operator.stats["far_entries"] > 0
    estimate = operator.estimate_error(n_rows=200, seed=1)
    assert estimate <= 1e-4


@pytest.mark.parametrize("kernel", ["matern32", "laplace"])
def test_diagonal_term(kernel):
    rng = np.random.default_rng(13)
    points = DISTRIBUTIONS["uniform"](3000, 3, rng)
    weights = weights_pair(3000, rng)
    diagonal = 0.1 + rng.random(3000)
    exact = direct_sum(kernel, points, points, weights, lengthscale=0.2, variance=2.0) + diagonal[:, None] * weights
    operator = FKT(kernel, points, tol=1e-6, lengthscale=0.2, variance=2.0, diagonal=diagonal)
    errors = relative_errors(operator @ weights, exact)
    assert errors.max() <= 1e-6
    scalar = FKT(kernel, points, tol=1e-6, lengthscale=0.2, variance=2.0, diagonal=0.5)
    shifted = direct_sum(kernel, points, points, weights, lengthscale=0.2, variance=2.0) + 0.5 * weights
    assert relative_errors(scalar @ weights, shifted).max() <= 1e-6
