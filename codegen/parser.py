"""Restricted parser for kernel expressions written as strings.

Kernel spec files are untrusted input, so their expressions are never passed to ``eval``,
``sympify`` or ``parse_expr``. This module tokenizes the string and builds the sympy tree by
recursive descent over a small grammar::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | power
    power      := atom (("^" | "**") unary)?
    atom       := NUMBER | NAME | NAME "(" expression ("," expression)* ")" | "(" expression ")"

NAME is the distance ``r``, a declared parameter, a constant (``pi``, ``I``) or, before a
parenthesis, a whitelisted function. Anything else is a :class:`ExpressionError` that names
the offending text and its column. So is a number that sympy would evaluate exactly at
unbounded cost (a numeric power such as ``9^9^9``, a literal such as ``1e999999999``, gamma
of a large number): see the ``MAX_*`` constants.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass

import sympy

MAX_EXPRESSION_LENGTH = 4000
"""Longest expression accepted, in characters; real kernels fit in a few hundred."""

MAX_NESTING_DEPTH = 64
"""Deepest parenthesis/operator nesting accepted, so a hostile string cannot exhaust the stack."""

MAX_DECIMAL_EXPONENT = 1000
"""Largest |e| of a literal such as 1e-300. float64 spans about 1e-324 to 1e308, so a larger
exponent can only overflow or underflow, and sympy.Rational builds the exact 10^e first (a
billion-digit integer for "1e999999999")."""

MAX_POWER_EXPONENT = 1024
"""Largest |n| of a numeric exponent. Kernels use small powers, while sympy evaluates numeric
powers exactly (9^(9^9) has 370 million digits) and expands (1 + r)^n into n + 1 terms."""

MAX_NUMBER_BITS = 4096
"""Largest size, in bits of numerator or denominator, of a numeric power the parser evaluates.
float64 overflows at 2^1024, so a larger exact constant is a mistake that only costs time."""

MAX_GAMMA_ARGUMENT = 172
"""Largest |x| of gamma(x) for a number x. Gamma(171.7) overflows float64, and sympy evaluates
gamma at integers and half-integers exactly, as a factorial of x."""

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

FUNCTIONS = {
    "exp": (1, sympy.exp),
    "log": (1, sympy.log),
    "sqrt": (1, sympy.sqrt),
    "sin": (1, sympy.sin),
    "cos": (1, sympy.cos),
    "tan": (1, sympy.tan),
    "sinh": (1, sympy.sinh),
    "cosh": (1, sympy.cosh),
    "tanh": (1, sympy.tanh),
    "atan": (1, sympy.atan),
    "erf": (1, sympy.erf),
    "erfc": (1, sympy.erfc),
    "gamma": (1, sympy.gamma),
    "besselk": (2, sympy.besselk),
    "besseli": (2, sympy.besseli),
    "besselj": (2, sympy.besselj),
}
"""Whitelisted functions: name -> (number of arguments, sympy function)."""

CONSTANTS = {"pi": sympy.pi, "I": sympy.I}

RESERVED_NAMES = frozenset(FUNCTIONS) | frozenset(CONSTANTS) | {"r"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),])
    """,
    re.VERBOSE,
)


class ExpressionError(ValueError):
    """A kernel expression string that does not parse; the message shows the column."""

    def __init__(self, message: str, text: str, position: int):
        self.text = text
        self.position = position
        pointer = " " * position + "^"
        super().__init__(f"{message} at column {position + 1}:\n    {text}\n    {pointer}")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def validate_identifier(name: str, what: str) -> str:
    """Return ``name`` if it is a plain identifier usable in generated code, else raise ValueError."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise ValueError(
            f"invalid {what} {name!r}: use letters, digits and underscores, starting with a letter"
        )
    if keyword.iskeyword(name) or name.startswith("__"):
        raise ValueError(f"invalid {what} {name!r}: it is a reserved Python name")
    return name


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"unexpected character {text[position]!r}", text, position)
        kind = match.lastgroup
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, symbols: dict[str, sympy.Symbol]):
        self.text = text
        self.symbols = symbols
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message: str, token: _Token | None = None):
        token = token or self.peek()
        raise ExpressionError(message, self.text, token.position)

    def expect(self, text: str) -> _Token:
        token = self.peek()
        if token.text != text:
            found = "end of expression" if token.kind == "end" else repr(token.text)
            self.fail(f"expected {text!r}, found {found}")
        return self.advance()

    def nested(self):
        self.depth += 1
        if self.depth > MAX_NESTING_DEPTH:
            self.fail(f"expression nested deeper than {MAX_NESTING_DEPTH} levels")

    def expression(self) -> sympy.Expr:
        self.nested()
        value = self.term()
        while self.peek().text in ("+", "-"):
            operator_text = self.advance().text
            right = self.term()
            value = value + right if operator_text == "+" else value - right
        self.depth -= 1
        return value

    def term(self) -> sympy.Expr:
        value = self.unary()
        while self.peek().text in ("*", "/"):
            operator_text = self.advance().text
            right = self.unary()
            value = value * right if operator_text == "*" else value / right
        return value

    def unary(self) -> sympy.Expr:
        if self.peek().text in ("+", "-"):
            self.nested()
            sign = self.advance().text
            value = self.unary()
            self.depth -= 1
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.atom()
        if self.peek().text in ("^", "**"):
            operator_token = self.advance()
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            self.check_power_size(base, exponent, operator_token)
            return base**exponent
        return base

    def check_power_size(self, base: sympy.Expr, exponent: sympy.Expr, token: _Token) -> None:
        """Reject a power that sympy would evaluate or expand at unbounded cost."""
        if not exponent.is_number:
            return
        size = sympy.Abs(exponent).evalf(15)
        if not (size.is_finite and size <= MAX_POWER_EXPONENT):
            self.fail(f"numeric exponent of size {_short_number(size)} is too large (limit {MAX_POWER_EXPONENT})", token)
        if base.is_number:
            # Every exact rational inside the base bounds the size of what sympy computes.
            base_bits = max(
                (max(abs(value.p).bit_length(), value.q.bit_length()) for value in base.atoms(sympy.Rational)),
                default=1,
            )
            if size * base_bits > MAX_NUMBER_BITS:
                self.fail(
                    f"numeric power of about {_short_number(size * base_bits)} bits is too large "
                    f"(limit {MAX_NUMBER_BITS} bits); write the constant as a decimal number",
                    token,
                )

    def atom(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "number":
            self.advance()
            exponent = re.search(r"[eE]([+-]?\d+)$", token.text)
            if exponent and abs(int(exponent.group(1))) > MAX_DECIMAL_EXPONENT:
                self.fail(f"decimal exponent of {token.text!r} is out of range (limit {MAX_DECIMAL_EXPONENT})", token)
            # Exact rationals, so "0.5" and "1/2" give the same symbolic expansion.
            return sympy.Rational(token.text)
        if token.text == "(":
            self.advance()
            value = self.expression()
            self.expect(")")
            return value
        if token.kind == "name":
            self.advance()
            if self.peek().text == "(":
                return self.call(token)
            if token.text in self.symbols:
                return self.symbols[token.text]
            if token.text in CONSTANTS:
                return CONSTANTS[token.text]
            if token.text in FUNCTIONS:
                self.fail(f"function {token.text!r} needs parenthesised arguments", token)
            known = ", ".join(sorted(self.symbols) + sorted(CONSTANTS))
            self.fail(f"unknown name {token.text!r} (known names: {known}; declare parameters in the spec)", token)
        found = "end of expression" if token.kind == "end" else repr(token.text)
        self.fail(f"unexpected {found}")

    def call(self, name: _Token) -> sympy.Expr:
        if name.text not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            self.fail(f"function {name.text!r} is not allowed (allowed: {allowed})", name)
        arity, function = FUNCTIONS[name.text]
        self.expect("(")
        arguments = [self.expression()]
        while self.peek().text == ",":
            self.advance()
            arguments.append(self.expression())
        self.expect(")")
        if len(arguments) != arity:
            self.fail(f"function {name.text!r} takes {arity} argument(s), got {len(arguments)}", name)
        if name.text == "gamma" and arguments[0].is_number:
            size = sympy.Abs(arguments[0]).evalf(15)
            if not (size.is_finite and size <= MAX_GAMMA_ARGUMENT):
                self.fail(f"gamma of a number of size {_short_number(size)} overflows float64 (limit {MAX_GAMMA_ARGUMENT})", name)
        return function(*arguments)


def _short_number(value: sympy.Expr) -> str:
    """Format a size for an error message without printing thousands of digits."""
    return f"{float(value):.4g}" if value.is_finite else "not finite"


def parse_expression(text: str, symbols: dict[str, sympy.Symbol]) -> sympy.Expr:
    """Parse a kernel expression string into a sympy expression without evaluating any code.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"(1 + r^2/(2*alpha))^(-alpha)"``.
    symbols : dict of str to sympy.Symbol
        The names the expression may use: ``r`` and the declared parameters.

    Raises
    ------
    ExpressionError
        On any character, name, function or construct outside the grammar, or a numeric
        constant beyond the ``MAX_*`` limits; the message gives the column.
    TypeError
        If ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"kernel expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression is longer than {MAX_EXPRESSION_LENGTH} characters", text[:40] + "...", 0
        )
    if not text.strip():
        raise ExpressionError("empty expression", text, 0)
    parser = _Parser(text, symbols)
    value = parser.expression()
    if parser.peek().kind != "end":
        parser.fail(f"unexpected {parser.peek().text!r} after a complete expression")
    _check_constants(value, text)
    return value


def _check_constants(value: sympy.Expr, text: str) -> None:
    """Reject expressions that are undefined or hold constants float64 cannot represent."""
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError("expression is undefined (division by zero or an infinite value)", text, 0)
    for number in value.atoms(sympy.Rational, sympy.Float):
        if number == 0:
            continue
        magnitude = abs(float(number))
        if magnitude == float("inf") or magnitude < sys.float_info.min:
            raise ExpressionError(
                f"constant {sympy.N(number, 3)} is outside the float64 range "
                f"({sys.float_info.min:.1e} to {sys.float_info.max:.1e}); rescale the kernel or the parameters",
                text, 0,
            )
