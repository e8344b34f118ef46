"""Tests of the restricted kernel-expression parser: valid grammar, hostile strings, size limits."""

import json
import subprocess
import sys

import pytest
import sympy

from codegen.parser import parse_expression
from codegen.specs import R

# A hostile string must fail in the parser within this time; the sympy import alone takes ~1 s.
PARSE_TIMEOUT_SECONDS = 60


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


@pytest.mark.parametrize("text", ["2^1024", "r^40", "(1 + r)^12", "1e-300*r", "gamma(171)", "(1/3)^600"])
def test_parser_moderate_numbers_accepted(text):
    assert isinstance(parse_expression(text, {"r": R}), sympy.Expr)
