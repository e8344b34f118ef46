"""Lowering of sympy expressions to Numba-compatible Python source lines.

The steps are small named passes composed in :func:`lower_expressions`:

1. :func:`eliminate_common_subexpressions` shares repeated work (powers of r, exponentials,
   Bessel values) across all radial functions of a module;
2. :class:`NumbaPrinter` prints each expression with numeric subexpressions folded to float
   literals, small integer powers unrolled to multiplications and whitelisted functions mapped
   to ``np``/``math`` calls or to the Bessel functions of ``scipy.special.cython_special``;
3. :func:`schedule_blocks` places each shared temporary right before the first block of
   results that needs it, so a caller that stops early (order p < P) skips the rest.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import sympy
from sympy.printing.str import StrPrinter

from codegen.specs import R

logger = logging.getLogger(__name__)

MAX_UNROLLED_POWER = 8
"""Integer powers up to this exponent are written as repeated multiplication."""

FLOAT_DIGITS = 20
"""Digits used to evaluate numeric constants before printing them as float64 literals."""

FUNCTION_NAMES = {
    "exp": "np.exp",
    "log": "np.log",
    "sqrt": "np.sqrt",
    "sin": "np.sin",
    "cos": "np.cos",
    "tan": "np.tan",
    "sinh": "np.sinh",
    "cosh": "np.cosh",
    "tanh": "np.tanh",
    "atan": "np.arctan",
    "erf": "math.erf",
    "erfc": "math.erfc",
    "gamma": "math.gamma",
    "besselk": "_besselk",
    "BesselK": "_besselk",
    "besseli": "_besseli",
    "besselj": "_besselj",
}
"""Printed name of every whitelisted function. Bessel functions go through scipy's Cython API."""

BESSEL_FUNCTIONS = ("besselk", "besseli", "besselj")


class LoweringError(ValueError):
    """An expression the Numba printer cannot express (a function outside the whitelist)."""


class NumbaPrinter(StrPrinter):
    """Print sympy expressions as Python source that Numba compiles in nopython mode.

    Parameters
    ----------
    names : dict of sympy.Symbol to str
        The source-level name of each free symbol (``r``, parameters, temporaries).
    """

    def __init__(self, names: dict[sympy.Symbol, str]):
        super().__init__({"order": "none"})
        self.names = names

    def _print(self, expr, **kwargs):
        if isinstance(expr, sympy.Basic) and expr.is_number and not isinstance(expr, sympy.Integer):
            return self._print_constant(expr)
        return super()._print(expr, **kwargs)

    def _print_constant(self, expr) -> str:
        value = complex(expr.evalf(FLOAT_DIGITS))
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            raise LoweringError(f"constant {expr} is not finite")
        if value.imag == 0:
            return f"({value.real!r})"
        return f"({value.real!r}+{value.imag!r}j)"

    def _print_Integer(self, expr):
        # Integers above 2**53 round to the nearest float64, a relative error below 1.2e-16.
        return f"{float(expr)!r}"

    def _print_Symbol(self, expr):
        if expr not in self.names:
            raise LoweringError(f"symbol {expr} has no name in the generated code")
        return self.names[expr]

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.args
        if exponent.is_Integer:
            n = int(exponent)
            base_code = self.parenthesize(base, 100)
            if n == 0:
                return "1.0"
            if 1 <= abs(n) <= MAX_UNROLLED_POWER:
                product = "*".join([base_code] * abs(n))
                return f"({product})" if n > 0 else f"(1.0/({product}))"
            return f"({base_code}**{n})"
        if exponent == sympy.Rational(1, 2):
            return f"np.sqrt({self._print(base)})"
        if exponent == sympy.Rational(-1, 2):
            return f"(1.0/np.sqrt({self._print(base)}))"
        return f"({self.parenthesize(base, 100)}**{self.parenthesize(exponent, 100)})"

    def _print_Function(self, expr):
        name = type(expr).__name__
        if name not in FUNCTION_NAMES:
            raise LoweringError(f"function {name!r} cannot be rendered for Numba")
        arguments = ", ".join(self._print(argument) for argument in expr.args)
        return f"{FUNCTION_NAMES[name]}({arguments})"

    _print_exp = _print_Function
    _print_log = _print_Function

    def _print_ImaginaryUnit(self, expr):
        return "1j"

    def _print_Exp1(self, expr):
        return repr(math.e)

    def _print_Pi(self, expr):
        return repr(math.pi)


@dataclass
class LoweredBlock:
    """Source lines for one block of results: the temporaries it introduces, then the results."""

    temporaries: list[tuple[str, str]]
    results: list[str]


def eliminate_common_subexpressions(expressions: list[sympy.Expr]):
    """Return (replacements, reduced expressions) from sympy's common subexpression elimination."""
    symbols = sympy.numbered_symbols("cse_")
    return sympy.cse(expressions, symbols=symbols, order="none")


def schedule_blocks(replacements, reduced, block_of) -> list[tuple[list[int], list[int]]]:
    """Assign each temporary to the first block whose results need it (transitively).

    Returns, per block, (indices of temporaries to define, indices of results in the block).
    """
    temporary_index = {symbol: index for index, (symbol, _) in enumerate(replacements)}
    needs = []
    for symbol, expression in replacements:
        needs.append({temporary_index[s] for s in expression.free_symbols if s in temporary_index})

    n_blocks = max(block_of) + 1 if block_of else 0
    defined: set[int] = set()
    schedule = []
    for block in range(n_blocks):
        members = [index for index, owner in enumerate(block_of) if owner == block]
        required: set[int] = set()
        stack = [temporary_index[s] for index in members for s in reduced[index].free_symbols if s in temporary_index]
        while stack:
            index = stack.pop()
            if index in required or index in defined:
                continue
            required.add(index)
            stack.extend(needs[index])
        new = sorted(required)
        defined.update(new)
        schedule.append((new, members))
    return schedule


def lower_expressions(
    expressions: list[sympy.Expr],
    block_of: list[int],
    parameter_names: dict[sympy.Symbol, str],
) -> list[LoweredBlock]:
    """Lower expressions in r and the parameters to source lines grouped in blocks.

    Parameters
    ----------
    expressions : list of sympy.Expr
    block_of : list of int
        Block number of each expression (non-decreasing), e.g. the order j of a radial function.
    parameter_names : dict
        Source name of each parameter symbol.
    """
    replacements, reduced = eliminate_common_subexpressions(expressions)
    names = {R: "r", **parameter_names}
    for symbol, _ in replacements:
        names[symbol] = symbol.name
    printer = NumbaPrinter(names)

    blocks = []
    for temporaries, members in schedule_blocks(replacements, reduced, block_of):
        blocks.append(
            LoweredBlock(
                temporaries=[(replacements[i][0].name, printer.doprint(replacements[i][1])) for i in temporaries],
                results=[printer.doprint(reduced[i]) for i in members],
            )
        )
    return blocks


def lower_scalar(expression: sympy.Expr, parameter_names: dict[sympy.Symbol, str]) -> str:
    """Print one expression (no sharing) as a source expression."""
    return NumbaPrinter({R: "r", **parameter_names}).doprint(expression)


def uses_bessel(expressions) -> dict[str, bool]:
    """Return which Bessel functions appear in any of the expressions."""
    used = {name: False for name in BESSEL_FUNCTIONS}
    for expression in expressions:
        for function in expression.atoms(sympy.Function):
            name = type(function).__name__.lower()
            if name in used:
                used[name] = True
    return used
