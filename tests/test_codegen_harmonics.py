"""Tests of the hyperspherical harmonics: index sets, counts, normalizers and the addition theorem."""

from math import comb, factorial

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.harmonics import (
    angular_polynomial,
    harmonic_count,
    harmonic_indices,
    harmonic_table,
    reference_harmonics,
    squared_normalizer,
)

# Highest degree checked per dimension; the reference harmonics loop over all
# binom(P + d - 1, d - 1) + binom(P + d - 2, d - 1) of them (714 for d = 6, P = 6).
ORDER_BY_DIM = {1: 1, 2: 10, 3: 10, 4: 8, 5: 7, 6: 6}

# Both sides of the addition theorem are sums of up to a few hundred products of O(1)
# factors; rounding leaves about 1e-13 relative to G_k(1), the largest |G_k|.
ADDITION_RTOL = 1e-11


def _unit(vector):
    vector = np.asarray(vector, dtype=float)
    return vector / np.linalg.norm(vector)


def _addition_theorem_residuals(dim, order, x, y):
    """Return max_k |G_k(x.y) - sum_h scale_h Y_h(x) Y_h(y)| / G_k(1) over k <= order."""
    _, offsets, scale = harmonic_table(dim, order)
    values = reference_harmonics(dim, order, np.array([x, y]))
    residuals = []
    for k in range(order + 1):
        block = slice(offsets[k], offsets[k + 1])
        summed = np.sum(scale[block] * values[0, block] * values[1, block])
        expected = angular_polynomial(dim, k, np.dot(x, y))
        residuals.append(abs(summed - expected) / angular_polynomial(dim, k, 1.0))
    return np.array(residuals)


def _direction(dim):
    components = st.lists(st.floats(-1.0, 1.0), min_size=dim, max_size=dim)
    return components.filter(lambda v: np.linalg.norm(v) > 0.1).map(_unit)


@pytest.mark.parametrize("dim", sorted(ORDER_BY_DIM))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_addition_theorem_random_directions(dim, data):
    x = data.draw(_direction(dim))
    y = data.draw(_direction(dim))
    residuals = _addition_theorem_residuals(dim, ORDER_BY_DIM[dim], x, y)
    assert np.all(residuals <= ADDITION_RTOL)


@pytest.mark.parametrize("dim", sorted(ORDER_BY_DIM))
def test_addition_theorem_special_directions(dim):
    # Poles (the azimuth is undefined), coordinate axes, equal and opposite directions.
    if dim == 1:
        # The unit "sphere" of R^1 is {-1, +1}.
        axes = np.array([[1.0], [-1.0]])
    else:
        axes = np.eye(dim)
    rng = np.random.default_rng(7)
    generic = _unit(rng.standard_normal(dim))
    pairs = [
        (axes[-1], axes[-1]),
        (axes[-1], -axes[-1]),
        (axes[0], axes[1]),
        (axes[-1], generic),
        (generic, generic),
        (generic, -generic),
    ]
    for x, y in pairs:
        residuals = _addition_theorem_residuals(dim, ORDER_BY_DIM[dim], x, y)
        assert np.all(residuals <= ADDITION_RTOL), (x, y)


def _expected_count(dim, k):
    if dim == 1:
        return 1 if k <= 1 else 0
    if dim == 2:
        return 1 if k == 0 else 2
    # (2k + d - 2)(k + d - 3)! / (k! (d - 2)!)
    return (2 * k + dim - 2) * factorial(k + dim - 3) // (factorial(k) * factorial(dim - 2))


@pytest.mark.parametrize("dim", [1, 2, 3, 4, 5, 6])
def test_harmonic_count_closed_form(dim):
    for k in range(12):
        assert harmonic_count(dim, k) == _expected_count(dim, k), f"k={k}"
        assert len(harmonic_indices(dim, k)) == _expected_count(dim, k), f"k={k}"


@pytest.mark.parametrize("dim", [2, 3, 4, 5, 6])
def test_harmonic_count_up_to_order(dim):
    # Harmonics of degree <= P span the restrictions of polynomials of degree P and P - 1.
    for order in range(9):
        table, offsets, _ = harmonic_table(dim, order)
        expected = comb(order + dim - 1, dim - 1) + comb(order + dim - 2, dim - 1)
        assert table.shape[0] == expected
        assert offsets[-1] == expected


def test_harmonic_count_3d_is_square():
    for order in range(12):
        assert harmonic_table(3, order)[0].shape[0] == (order + 1) ** 2


@pytest.mark.parametrize("dim", [3, 4, 5, 6])
def test_harmonic_indices_valid(dim):
    for k in range(7):
        indices = harmonic_indices(dim, k)
        assert len(set(indices)) == len(indices)
        for mu in indices:
            assert mu[0] == k
            magnitudes = [abs(value) for value in mu]
            assert magnitudes == sorted(magnitudes, reverse=True)
            assert all(value >= 0 for value in mu[:-1])


def test_squared_normalizer_3d_closed_form():
    # For d = 3, C^{m+1/2}_{k-m}(cos t) sin^m t = |P_k^m(cos t)| / (2m - 1)!!, so
    # |Y|^2 = 2 pi * 2/(2k + 1) * (k + m)!/(k - m)! / ((2m - 1)!!)^2 for either sign of m.
    for k in range(8):
        for m in range(-k, k + 1):
            a = abs(m)
            expected = (
                4 * sympy.pi / (2 * k + 1) * sympy.factorial(k + a) / sympy.factorial(k - a) / sympy.factorial2(2 * a - 1) ** 2
            )
            assert sympy.simplify(squared_normalizer(3, (k, m)) - expected) == 0, (k, m)


def test_reference_harmonics_one_dimension():
    values = reference_harmonics(1, 1, np.array([[2.5], [-0.5]]))
    assert values.tolist() == [[1.0, 1.0], [1.0, -1.0]]


def test_reference_harmonics_two_dimensions():
    angle = 0.3
    values = reference_harmonics(2, 3, np.array([[np.cos(angle), np.sin(angle)]]))[0]
    expected = [1.0]
    for k in range(1, 4):
        expected += [np.cos(k * angle), np.sin(k * angle)]
    np.testing.assert_allclose(values, expected, rtol=ADDITION_RTOL)
