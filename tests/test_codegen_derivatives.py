"""Symbolic derivatives: K^(m)(r) for general kernels and the hyperparameter-derivative specs."""

import math

import pytest
import sympy

from codegen.derived import derivative_spec
from codegen.expansion import _opaque_derivatives, kernel_derivatives
from codegen.specs import R, SpecError, get_spec

CHECK_DIGITS = 30
DERIVATIVE_TOLERANCE = 1e-25
"""Relative difference allowed between two exact forms evaluated with CHECK_DIGITS digits."""

FINITE_DIFFERENCE_TOLERANCE = 1e-7
"""Central difference with step 1e-5 in double precision: truncation ~1e-10, rounding ~1e-11."""

MAX_TERMS_PER_ORDER = 4
"""Terms per derivative order allowed at order 16; repeated sympy.diff gives millions by order 12."""

GENERAL_EXPRESSIONS = [
    "(1 + r^2/(2*a))^(-a)",
    "exp(-sqrt(1 + r^2)) * log(2 + r)^2 / (1 + r^2)^(1/3)",
    "(1 + r)^r",
    "log(1 + r^2) * (3 + r^2)^(-a - 1)",
]


def _sympify(text):
    return sympy.sympify(text.replace("^", "**"), locals={"r": R, "a": sympy.Symbol("a", positive=True)})


def _relative_difference(left, right):
    left = sympy.N(left, CHECK_DIGITS)
    right = sympy.N(right, CHECK_DIGITS)
    return abs(left - right) / max(abs(right), sympy.Float(1e-300))


@pytest.mark.parametrize("text", GENERAL_EXPRESSIONS)
def test_opaque_derivatives_match_diff(text):
    expression = _sympify(text)
    derivatives = _opaque_derivatives(expression, 6)
    point = {symbol: sympy.Rational(3, 2) for symbol in expression.free_symbols if symbol != R}
    point[R] = sympy.Rational(7, 10)
    for order, derivative in enumerate(derivatives):
        exact = sympy.diff(expression, R, order)
        assert _relative_difference(derivative.subs(point), exact.subs(point)) <= DERIVATIVE_TOLERANCE, order


def test_rational_quadratic_alpha_derivative_stays_small():
    spec = derivative_spec("rational_quadratic", "alpha", 2)
    order = 16
    derivatives = kernel_derivatives(spec, 2, order)
    assert len(derivatives) == order + 1
    assert len(sympy.Add.make_args(derivatives[-1])) <= MAX_TERMS_PER_ORDER * (order + 1)


def test_alpha_derivative_matches_finite_difference():
    base = get_spec("rational_quadratic").expression_for(2)
    alpha_symbol = get_spec("rational_quadratic").parameter_symbols[0]
    derived = derivative_spec("rational_quadratic", "alpha", 2).expression_for(2)
    alpha, step = 1.5, 1e-5
    for radius in (0.3, 2.0, 20.0):
        kernel = sympy.lambdify((R, alpha_symbol), base, "math")
        value = float(derived.subs({R: radius, alpha_symbol: alpha}))
        difference = (kernel(radius, alpha + step) - kernel(radius, alpha - step)) / (2 * step)
        assert math.isfinite(value), radius
        assert abs(value - difference) <= FINITE_DIFFERENCE_TOLERANCE * max(abs(difference), 1e-12), radius


def test_lengthscale_derivative_of_gaussian():
    derived = derivative_spec("gaussian", "lengthscale", 3).expression_for(3)
    assert sympy.simplify(derived - R**2 * sympy.exp(-R**2 / 2)) == 0


def test_unknown_hyperparameter_rejected():
    with pytest.raises(SpecError, match="has no hyperparameter 'nu'"):
        derivative_spec("rational_quadratic", "nu", 2)
