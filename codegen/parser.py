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
the offending text and its column.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import sympy

MAX_EXPRESSION_LENGTH = 4000
"""Longest expression accepted, in characters; real kernels fit in a few hundred."""

MAX_NESTING_DEPTH = 64
"""Deepest parenthesis/operator nesting accepted, so a hostile string cannot exhaust the stack."""

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
            self.advance()
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            return base**exponent
        return base

    def atom(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "number":
            self.advance()
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
        return function(*arguments)


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
        On any character, name, function or construct outside the grammar; the message
        gives the column.
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
    return value
