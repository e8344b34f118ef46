"""Tests of the restricted kernel-expression parser: valid grammar, hostile strings, size limits."""

import json
import subprocess
import sys

import pytest
import sympy

from codegen.parser import MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH, ExpressionError, parse_expression
from codegen.specs import R

ALPHA = sympy.Symbol("alpha", positive=True)
SYMBOLS = {"r": R, "alpha": ALPHA}

# A hostile string must fail in the parser within this time; the sympy import alone takes ~1 s.
PARSE_TIMEOUT_SECONDS = 60


def _parse(text):
    return parse_expression(text, SYMBOLS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(1 + r^2/(2*alpha))^(-alpha)", (1 + R**2 / (2 * ALPHA)) ** (-ALPHA)),
        ("0.5*r", R / 2),
        ("1e-3", sympy.Rational(1, 1000)),
        ("2**3", sympy.Integer(8)),
        ("2^3^2", sympy.Integer(512)),
        ("-r^2", -(R**2)),
        ("2^-1", sympy.Rational(1, 2)),
        ("exp(-r)*cos(alpha*r)", sympy.exp(-R) * sympy.cos(ALPHA * R)),
        ("besselk(alpha, r)", sympy.besselk(ALPHA, R)),
        ("gamma(3/2)", sympy.gamma(sympy.Rational(3, 2))),
        ("pi*I", sympy.pi * sympy.I),
    ],
)
def test_parser_valid_expression(text, expected):
    assert sympy.simplify(_parse(text) - expected) == 0


# (text, 0-based column the error must point at). The marker path is filled in per test.
HOSTILE_CASES = [
    ("__import__('os').system('touch {marker}')", 11),
    ("r.real", 1),
    ("lambda x: x", 8),
    ("exp(-r/ell)", 7),
    ("exp(-r", 6),
    ("r)", 1),
    ("((r)", 4),
    ("getattr(r, 'x')", 11),
    ("eval(r)", 0),
    ("r[0]", 1),
    ("__class__", 0),
    ("exp", 0),
    ("exp(r, r)", 0),
    ("1 +", 3),
    ("r; touch {marker}", 1),
    ("r ≤ 1", 2),
    ("", 0),
]


@pytest.mark.parametrize(("template", "column"), HOSTILE_CASES)
def test_parser_hostile_string_rejected(template, column, tmp_path):
    marker = tmp_path / "marker"
    text = template.format(marker=marker)
    with pytest.raises(ExpressionError) as error:
        _parse(text)
    assert error.value.position == column
    assert f"at column {column + 1}" in str(error.value)
    assert not marker.exists()


def test_parser_deep_nesting_rejected():
    depth = 10 * MAX_NESTING_DEPTH
    with pytest.raises(ExpressionError, match="nested deeper") as error:
        _parse("(" * depth + "r" + ")" * depth)
    # The whole expression is level 1, so the 64th "(" opens level 65; the error points right after it.
    assert error.value.position == MAX_NESTING_DEPTH


@pytest.mark.parametrize("prefix", ["-", "exp(", "r^"])
def test_parser_deep_operator_chain_rejected(prefix):
    closing = ")" if prefix.endswith("(") else ""
    depth = 2 * MAX_NESTING_DEPTH
    with pytest.raises(ExpressionError, match="nested deeper"):
        _parse(prefix * depth + "r" + closing * depth)


def test_parser_long_string_rejected():
    text = "r+" * MAX_EXPRESSION_LENGTH + "r"
    with pytest.raises(ExpressionError, match="longer than") as error:
        _parse(text)
    assert error.value.position == 0


def test_parser_non_string_raises_type_error():
    with pytest.raises(TypeError, match="must be a string"):
        parse_expression(b"r", SYMBOLS)


# Short strings whose exact evaluation would need unbounded time or memory:
# 9^(9^9) has 370 million digits, 1e999999999 a billion, gamma(10^9) is (10^9 - 1)!.
# (text, 0-based column of the operator, literal or function the error points at)
RESOURCE_CASES = [
    ("9^9^9", 1),
    ("1e999999999", 0),
    ("r*1e-999999999", 2),
    ("2^(2^40)", 1),
    ("(1/3)^(10^8)", 5),
    ("sqrt(2)^(10^9)", 7),
    ("((10^1000)^1000)^1000", 10),
    ("(1 + r)^(10^9)", 7),
    ("gamma(10^9)", 0),
    ("gamma(-10^9 + 1/2)", 0),
    ("2^(1/0)", 1),
]

_RESOURCE_SCRIPT = """
import json, sys
from codegen.parser import ExpressionError, parse_expression
from codegen.specs import R
results = []
for text in json.loads(sys.argv[1]):
    try:
        parse_expression(text, {"r": R})
        results.append(None)
    except ExpressionError as error:
        results.append(error.position)
print(json.dumps(results))
"""


def test_parser_resource_limits():
    # A subprocess with a timeout, so that a regression fails instead of hanging the suite.
    texts = [text for text, _ in RESOURCE_CASES]
    completed = subprocess.run(
        [sys.executable, "-c", _RESOURCE_SCRIPT, json.dumps(texts)],
        capture_output=True,
        text=True,
        timeout=PARSE_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr
    positions = json.loads(completed.stdout)
    assert positions == [column for _, column in RESOURCE_CASES]


@pytest.mark.parametrize("text", ["2^1023", "r^40", "(1 + r)^12", "1e-300*r", "gamma(171)", "(1/3)^600"])
def test_parser_moderate_numbers_accepted(text):
    assert isinstance(_parse(text), sympy.Expr)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e999*exp(-r)", "outside the float64 range"),
        ("1e-400*exp(-r)", "outside the float64 range"),
        ("2^1024*exp(-r)", "outside the float64 range"),
        ("exp(-r)/0", "expression is undefined"),
    ],
)
def test_parser_unrepresentable_constant_rejected(text, message):
    with pytest.raises(ExpressionError, match=message):
        _parse(text)
