"""Tests of the exact transformation coefficients T[j, k, m] of the FKT expansion.

K(|x - y|) = sum_k G_k(cos gamma) sum_j eps^j R_jk(r), R_jk = sum_m T[j, k, m] r^m K^(m)(r),
with eps = |y|/|x| and G_k the Gegenbauer (d >= 3) or Chebyshev (d = 2) polynomial.
"""

from fractions import Fraction
from functools import lru_cache
from math import factorial

import pytest
import sympy

from codegen.transform import (
    faa_di_bruno_coefficient,
    gegenbauer_alpha,
    power_to_gegenbauer,
    radial_index_pairs,
    transformation_coefficients,
)

F = Fraction

# Reference values of T[j, k, m], tabulated from the closed form (Faà di Bruno for
# K(r sqrt(1 + u)), binomial expansion of u = eps^2 - 2 eps cos(gamma), re-expansion of
# powers of cos(gamma) in G_k) outside this code base; the d = 3, j <= 2 entries were also
# checked by a hand Taylor expansion. Columns: (j, k, m).
TABLE_INDICES = [(1, 1, 1), (2, 0, 1), (2, 0, 2), (2, 2, 1), (2, 2, 2), (3, 1, 1), (3, 1, 2), (3, 1, 3), (3, 3, 3), (4, 0, 4)]
TABLE = {
    2: [F(-1), F(1, 4), F(1, 4), F(-1, 4), F(1, 4), F(1, 8), F(-1, 8), F(-1, 8), F(-1, 24), F(1, 64)],
    3: [F(-1), F(1, 3), F(1, 6), F(-1, 3), F(1, 3), F(1, 5), F(-1, 5), F(-1, 10), F(-1, 15), F(1, 120)],
    4: [F(-1, 2), F(3, 8), F(1, 8), F(-1, 8), F(1, 8), F(1, 8), F(-1, 8), F(-1, 24), F(-1, 48), F(1, 192)],
    5: [F(-1, 3), F(2, 5), F(1, 10), F(-1, 15), F(1, 15), F(2, 21), F(-2, 21), F(-1, 42), F(-1, 105), F(1, 280)],
}

# Order of the independent series check: six eps-derivatives of
# exp(z (sqrt(1 - 2 eps t + eps^2) - 1)) take about 1.5 s in sympy.
SERIES_ORDER = 6

EPS, T_SYMBOL, Z = sympy.symbols("eps t z")


@pytest.mark.parametrize("dim", sorted(TABLE))
def test_transform_reference_table(dim):
    table = transformation_coefficients(dim, 4)
    for index, expected in zip(TABLE_INDICES, TABLE[dim]):
        assert table.get(index, F(0)) == expected, f"T{index} in d={dim}"


@pytest.mark.parametrize("dim", [3, 4, 5, 6])
def test_transform_first_coefficient_closed_form(dim):
    alpha = gegenbauer_alpha(dim)
    assert transformation_coefficients(dim, 1)[(1, 1, 1)] == -1 / (2 * alpha)


def _angular_polynomial(dim, k):
    if dim == 2:
        return sympy.chebyshevt(k, T_SYMBOL)
    return sympy.gegenbauer(k, sympy.Rational(dim, 2) - 1, T_SYMBOL)


def _in_angular_basis(dim, polynomial):
    """Return {k: c_k} with polynomial(t) = sum_k c_k G_k(t), by peeling off leading terms."""
    remainder = sympy.Poly(sympy.expand(polynomial), T_SYMBOL)
    coefficients = {}
    while not remainder.is_zero:
        k = remainder.degree()
        basis = sympy.Poly(_angular_polynomial(dim, k), T_SYMBOL)
        coefficient = remainder.LC() / basis.LC()
        coefficients[k] = sympy.nsimplify(coefficient)
        remainder = remainder - basis * coefficient
    return coefficients


@lru_cache(maxsize=1)
def _exponential_kernel_series():
    """Return the Taylor coefficients in eps of exp(z (sqrt(1 - 2 eps t + eps^2) - 1)), j <= SERIES_ORDER.

    For K(r) = exp(a r), r^m K^(m)(r) = z^m K(r) with z = a r, and this function is
    K(|x - y|) / K(r). Its coefficients come from plain differentiation in eps, without
    the Faà di Bruno or Gegenbauer formulas that codegen.transform uses.
    """
    function = sympy.exp(Z * (sympy.sqrt(1 - 2 * EPS * T_SYMBOL + EPS**2) - 1))
    coefficients = []
    for j in range(SERIES_ORDER + 1):
        coefficients.append(sympy.expand(function.subs(EPS, 0) / factorial(j)))
        function = sympy.diff(function, EPS)
    return coefficients


@pytest.mark.parametrize("dim", [2, 3, 4])
def test_transform_matches_direct_series(dim):
    # The coefficient of eps^j z^m in the series is sum_k T[j, k, m] G_k(t).
    series = _exponential_kernel_series()
    table = transformation_coefficients(dim, SERIES_ORDER)

    for j in range(1, SERIES_ORDER + 1):
        by_power_of_z = sympy.Poly(series[j], Z)
        for m in range(1, j + 1):
            angular = _in_angular_basis(dim, by_power_of_z.coeff_monomial(Z**m))
            for k in range(j + 1):
                expected = angular.get(k, 0)
                value = table.get((j, k, m), F(0))
                assert sympy.Rational(value.numerator, value.denominator) == expected, f"T[{j},{k},{m}] d={dim}"


def test_transform_one_dimension_matches_series():
    # On a line, |x - y| = r - sigma r' with sigma = sign(x y) = G_1, and sigma^2 = 1.
    sigma = sympy.Symbol("sigma")
    order = 8
    series = sympy.expand(sympy.series(sympy.exp(-Z * sigma * EPS), EPS, 0, order + 1).removeO())
    table = transformation_coefficients(1, order)
    for j in range(1, order + 1):
        term = sympy.Poly(series.coeff(EPS, j), Z).coeff_monomial(Z**j)
        # Reduce sigma^j to sigma^(j mod 2): the coefficient of G_{j mod 2}.
        expected = term.subs(sigma, 1)
        assert table[(j, j % 2, j)] == F(int(sympy.numer(expected)), int(sympy.denom(expected)))
    assert set(table) == {(j, j % 2, j) for j in range(1, order + 1)}


def test_transform_one_dimension_closed_form():
    table = transformation_coefficients(1, 10)
    assert table == {(j, j % 2, j): F((-1) ** j, factorial(j)) for j in range(1, 11)}


@pytest.mark.parametrize("dim", [2, 3, 4, 5, 6])
def test_transform_support(dim):
    for (j, k, m), value in transformation_coefficients(dim, 10).items():
        assert value != 0
        assert 1 <= m <= j
        assert k <= j
        assert (j - k) % 2 == 0


@pytest.mark.parametrize("dim", [1, 2, 3, 6])
def test_transform_independent_of_order(dim):
    # T[j, k, m] does not depend on P, so a lower order is a prefix of a higher one.
    low = transformation_coefficients(dim, 5)
    high = transformation_coefficients(dim, 9)
    assert low == {index: value for index, value in high.items() if index[0] <= 5}


def test_transform_cached_per_dimension_and_order():
    assert transformation_coefficients(3, 7) is transformation_coefficients(3, 7)


def test_faa_di_bruno_direct_derivatives():
    # B[n, m] from d^n/du^n exp(z sqrt(1 + u)) at u = 0, whose z^m exp(z) coefficient it is.
    u = sympy.Symbol("u")
    function = sympy.exp(Z * sympy.sqrt(1 + u))
    for n in range(1, 6):
        derivative = sympy.expand(sympy.diff(function, u, n).subs(u, 0) / sympy.exp(Z))
        polynomial = sympy.Poly(derivative, Z)
        for m in range(0, n + 2):
            value = faa_di_bruno_coefficient(n, m)
            assert sympy.Rational(value.numerator, value.denominator) == polynomial.coeff_monomial(Z**m)


def test_faa_di_bruno_first_values():
    assert faa_di_bruno_coefficient(1, 1) == F(1, 2)
    assert faa_di_bruno_coefficient(2, 1) == F(-1, 4)
    assert faa_di_bruno_coefficient(2, 2) == F(1, 4)


@pytest.mark.parametrize("dim", [2, 3, 4, 5, 6])
def test_power_to_gegenbauer_reconstructs_monomials(dim):
    for power in range(9):
        total = sum(
            sympy.Rational(power_to_gegenbauer(dim, k, power).numerator, power_to_gegenbauer(dim, k, power).denominator)
            * _angular_polynomial(dim, k)
            for k in range(power + 1)
        )
        assert sympy.expand(total - T_SYMBOL**power) == 0, f"t^{power} in d={dim}"


@pytest.mark.parametrize("dim", [1, 2, 3, 5])
def test_radial_index_pairs_count(dim):
    order = 9
    pairs = radial_index_pairs(dim, order)
    expected = order + 1 if dim == 1 else sum(j // 2 + 1 for j in range(order + 1))
    assert len(pairs) == expected
    assert pairs == sorted(pairs)
