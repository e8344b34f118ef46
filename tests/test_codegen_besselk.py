"""Tests of the Numba modified Bessel function K_nu used by generated Matérn modules."""

import math

import mpmath
import numpy as np
import pytest
from scipy import special

from generated.special_functions import TEMME_SERIES_LIMIT, besselk

# Orders: integers, half-integers (closed forms), mu near 0 and +-1/2 (the Temme branch
# points), and large orders that exercise the upward recurrence.
ORDERS = [0.0, 1e-9, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.7, 5.0, 10.0, 12.3, 20.0]

# Arguments from 1e-10 to 600, plus both sides of the switch from Temme's series to the
# integral representation at x = 2. From x = 700 on, scipy.special.kv 1.17 returns 0 while the
# true value is still a normal float64 (see test_besselk_large_argument_mpmath).
ARGUMENTS = np.concatenate(
    [np.geomspace(1e-10, 600.0, 90), [TEMME_SERIES_LIMIT * (1 - 1e-7), TEMME_SERIES_LIMIT, TEMME_SERIES_LIMIT * (1 + 1e-7)]]
)

# Largest relative error against scipy over this grid: 6.4e-14 (nu = 0.25 just below x = 2).
BESSELK_RTOL = 2e-13

# mpmath working precision for the reference values, in decimal digits.
MPMATH_DIGITS = 30


@pytest.mark.parametrize("nu", ORDERS)
def test_besselk_matches_scipy(nu):
    values = np.array([besselk(nu, x) for x in ARGUMENTS])
    np.testing.assert_allclose(values, special.kv(nu, ARGUMENTS), rtol=BESSELK_RTOL, atol=0)


@pytest.mark.parametrize("nu", [0.0, 0.5, 2.5, 20.0])
@pytest.mark.parametrize("x", [650.0, 700.0, 705.0])
def test_besselk_large_argument_mpmath(nu, x):
    with mpmath.workdps(MPMATH_DIGITS):
        expected = float(mpmath.besselk(nu, x))
    assert expected > 0.0
    assert besselk(nu, x) == pytest.approx(expected, rel=BESSELK_RTOL)


@pytest.mark.parametrize("nu", ORDERS)
def test_besselk_even_in_order(nu):
    for x in (0.1, 1.9, 2.1, 30.0):
        assert besselk(-nu, x) == besselk(nu, x)


def test_besselk_zero_argument_is_infinite():
    assert besselk(1.0, 0.0) == math.inf


@pytest.mark.parametrize(("nu", "x"), [(1.0, -1.0), (1.0, math.nan), (math.nan, 1.0), (0.5, -math.inf)])
def test_besselk_invalid_input_is_nan(nu, x):
    assert math.isnan(besselk(nu, x))
