"""FKT and direct_sum on bad input (clear errors naming the argument) and hard but valid input."""

import numpy as np
import pytest

import runtime.fkt
from runtime import FKT, direct_sum

EXACT_TOLERANCE = 1e-12
"""Products that run entirely through direct sums agree with the reference to rounding."""

PRODUCT_TOLERANCE = 1e-6


@pytest.fixture
def tree_always(monkeypatch):
    """Force the tree code even for tiny problems (no dense fallback)."""
    monkeypatch.setattr(runtime.fkt, "DENSE_PAIRS", 0)


def relative_error(approximate, exact):
    return np.linalg.norm(approximate - exact) / np.linalg.norm(exact)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_points_rejected(bad):
    points = np.random.default_rng(0).random((100, 2))
    points[17, 1] = bad
    with pytest.raises(ValueError, match="sources contains NaN or Inf"):
        FKT("cauchy", points)
    with pytest.raises(ValueError, match="targets contains NaN or Inf"):
        FKT("cauchy", np.random.default_rng(1).random((10, 2)), points)


def test_nonfinite_weights_rejected():
    points = np.random.default_rng(0).random((50, 2))
    operator = FKT("cauchy", points)
    weights = np.ones(50)
    weights[3] = np.nan
    with pytest.raises(ValueError, match="NaN or Inf"):
        operator @ weights
    with pytest.raises(ValueError, match="weights contains NaN or Inf"):
        direct_sum("cauchy", points, points, weights)


def test_mismatched_shapes_rejected():
    points = np.random.default_rng(0).random((50, 2))
    operator = FKT("cauchy", points)
    with pytest.raises(ValueError, match="weights has 49 rows, expected 50"):
        operator @ np.ones(49)
    with pytest.raises(ValueError, match=r"weights must have shape \(50,\) or \(50, k\)"):
        operator @ np.ones((50, 2, 2))
    with pytest.raises(ValueError, match="targets has dimension 3, expected 2"):
        FKT("cauchy", points, np.ones((5, 3)))
    with pytest.raises(ValueError, match="weights has 49 rows, expected 50"):
        direct_sum("cauchy", points, points, np.ones(49))
    with pytest.raises(ValueError, match=r"shape \(n_points, dim\)"):
        FKT("cauchy", np.ones((2, 3, 4)))


def test_overflowing_extent_rejected():
    points = np.random.default_rng(0).random((100, 2))
    weights = np.ones(100)
    with pytest.raises(ValueError, match="points span .* length scales"):
        direct_sum("matern32", points * 1e300, points * 1e300, weights)
    with pytest.raises(ValueError, match="raise lengthscale"):
        FKT("matern32", points * 1e200)
    with pytest.raises(ValueError, match="raise lengthscale"):
        FKT("matern32", points, lengthscale=1e-200)


@pytest.mark.parametrize("lengthscale", ["abc", 1j, [1.0, "a"]])
def test_lengthscale_wrong_type_rejected(lengthscale):
    points = np.random.default_rng(0).random((20, 2))
    with pytest.raises(TypeError, match="lengthscale must be a positive number"):
        FKT("cauchy", points, lengthscale=lengthscale)


def test_empty_input_rejected():
    with pytest.raises(ValueError, match="sources is empty"):
        FKT("cauchy", np.empty((0, 2)))
    with pytest.raises(ValueError, match="targets is empty"):
        FKT("cauchy", np.ones((3, 2)), np.empty((0, 2)))


@pytest.mark.parametrize("tol", [0.0, 1.0, -1e-3, 2.0, np.nan])
def test_tolerance_outside_unit_interval_rejected(tol):
    with pytest.raises(ValueError, match="tol"):
        FKT("cauchy", np.ones((3, 2)), tol=tol)


@pytest.mark.parametrize("tol", ["small", None, True])
def test_tolerance_wrong_type_rejected(tol):
    with pytest.raises(TypeError, match="tol"):
        FKT("cauchy", np.ones((3, 2)), tol=tol)


def test_invalid_kernel_and_parameters_rejected():
    points = np.ones((3, 2))
    with pytest.raises(ValueError, match="unknown kernel 'no_such_kernel'.*gaussian"):
        FKT("no_such_kernel", points)
    with pytest.raises(ValueError, match="unknown kernel parameter"):
        FKT("rational_quadratic", points, params={"beta": 1.0})
    with pytest.raises(ValueError, match="'alpha' must be positive"):
        FKT("rational_quadratic", points, params={"alpha": -1.0})
    with pytest.raises(ValueError, match="lengthscale"):
        FKT("cauchy", points, lengthscale=[1.0, 0.0])
    with pytest.raises(ValueError, match="variance"):
        FKT("cauchy", points, variance=0.0)
    with pytest.raises(ValueError, match="diagonal needs a square problem"):
        FKT("cauchy", points, points, diagonal=1.0)
    with pytest.raises(ValueError, match="helmholtz"):
        FKT("helmholtz", np.ones((3, 2)))


def test_complex_points_rejected():
    with pytest.raises(TypeError, match="real coordinates"):
        FKT("cauchy", np.ones((3, 2), dtype=complex))


# ----------------------------------------------------------------------------- hard valid input


def test_single_point(tree_always):
    operator = FKT("matern32", np.array([[0.5, 0.5]]))
    assert np.allclose(operator @ np.array([2.0]), [2.0])


def test_one_target_and_one_source(tree_always):
    rng = np.random.default_rng(3)
    sources = rng.random((3000, 3))
    target = rng.random((1, 3))
    weights = rng.standard_normal(3000)
    one_target = FKT("cauchy", sources, target, tol=PRODUCT_TOLERANCE)
    assert relative_error(one_target @ weights, direct_sum("cauchy", target, sources, weights)) <= PRODUCT_TOLERANCE
    one_source = FKT("cauchy", target, sources, tol=PRODUCT_TOLERANCE)
    assert relative_error(one_source @ np.array([1.5]), direct_sum("cauchy", sources, target, [1.5])) <= PRODUCT_TOLERANCE


def test_all_points_identical(tree_always):
    points = np.full((3000, 2), 0.25)
    weights = np.random.default_rng(4).standard_normal(3000)
    operator = FKT("exponential", points)
    assert np.allclose(operator @ weights, np.full(3000, weights.sum()), rtol=EXACT_TOLERANCE)


def test_duplicate_points(tree_always):
    rng = np.random.default_rng(5)
    points = np.repeat(rng.random((1000, 2)), 3, axis=0)
    weights = rng.standard_normal(3000)
    operator = FKT("cauchy", points, tol=PRODUCT_TOLERANCE, lengthscale=0.1)
    assert relative_error(operator @ weights, direct_sum("cauchy", points, points, weights, lengthscale=0.1)) <= PRODUCT_TOLERANCE


@pytest.mark.parametrize(("offset", "scale"), [(1e8, 1.0), (0.0, 1e-8), (-1e8, 10.0)])
def test_extreme_coordinates(offset, scale):
    rng = np.random.default_rng(6)
    points = offset + scale * rng.random((3000, 3))
    weights = rng.standard_normal(3000)
    exact = direct_sum("matern32", points, points, weights, lengthscale=0.2 * scale)
    operator = FKT("matern32", points, tol=PRODUCT_TOLERANCE, lengthscale=0.2 * scale)
    assert relative_error(operator @ weights, exact) <= PRODUCT_TOLERANCE


def test_dtypes_and_layouts():
    rng = np.random.default_rng(7)
    base = rng.random((3000, 6))
    points64 = np.ascontiguousarray(base[:, ::2])
    weights = rng.standard_normal(3000)
    reference = FKT("cauchy", points64, tol=PRODUCT_TOLERANCE) @ weights
    for points in (base[:, ::2], points64.astype(np.float32), np.asfortranarray(points64)):
        result = FKT("cauchy", points, tol=PRODUCT_TOLERANCE) @ weights.astype(np.float32)
        assert relative_error(result, reference) <= 1e-5
    integers = rng.integers(0, 100, size=(3000, 2))
    exact = direct_sum("cauchy", integers.astype(float), integers.astype(float), weights, lengthscale=10.0)
    result = FKT("cauchy", integers, tol=PRODUCT_TOLERANCE, lengthscale=10) @ weights
    assert relative_error(result, exact) <= PRODUCT_TOLERANCE


def test_product_never_all_zero(tree_always):
    for n in (1, 2, 5, 40):
        points = np.random.default_rng(n).random((n, 2))
        result = FKT("gaussian", points) @ np.ones(n)
        assert np.all(result > 0)
