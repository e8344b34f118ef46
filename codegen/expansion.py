"""The truncated multipole expansion of a kernel, symbolically, with optional exact rank reduction.

With x = t - c, y = s - c, r = |x|, r' = |y| < r and G_k the angular polynomial of the
dimension (see :mod:`codegen.transform`), the expansion regrouped by harmonic degree k is

    K(|x - y|) = sum_k G_k(cos gamma) r'^k sum_{b = 0, 2, ...} r'^b A_{k+b,k}(r),
    A_jk(r) = r^-j R_jk(r) = sum_{m=1}^{j} T[j, k, m] r^(m-j) K^(m)(r),   A_00 = K.

Each A_jk is a *radial function*; truncating at order p keeps j <= p. The addition theorem
G_k(x.y) = N_k sum_h Y_kh(x) Y_kh(y) / |Y_kh|^2 then splits every term into a target factor
Y_kh(x) A_jk(r) and a source factor N_k Y_kh(y) r'^j / |Y_kh|^2.

Rank reduction. For a degree k the functions A_{k+b,k}, b = 0, 2, ..., P - k, are often
linearly dependent: when every one is a combination of finitely many generators r^a exp(q(r))
(and r^a log r), write them as the columns of an exact coefficient matrix C. Its reduced row
echelon form gives pivot columns b_1 < b_2 < ... and rows R with C = C[:, pivots] R, so

    sum_b r'^b A_{k+b,k}(r) = sum_l A_{k+b_l,k}(r) * sum_b R[l, b] r'^b.

The target side keeps only the pivot radial functions and the source side gets polynomials in
r'. Because pivots are chosen left to right, truncating at any p <= P keeps the pivots with
k + b_l <= p and the coefficients with k + b <= p, so one table serves every order. For 1/r in
3-D every degree has rank 1, giving (P + 1)^2 terms instead of binom(P + 3, 3).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import comb

import sympy
from sympy.polys.matrices import DomainMatrix

from codegen.harmonics import harmonic_count
from codegen.specs import R, KernelSpec, get_spec
from codegen.transform import radial_index_pairs, transformation_coefficients, validate_dimension, validate_order

logger = logging.getLogger(__name__)

REDUCTION_CHECK_DIGITS = 30
"""Working precision (decimal digits) of the numerical check of each exact rank factorization."""

REDUCTION_CHECK_TOLERANCE = sympy.Float("1e-20")
"""Largest relative residual accepted in that check; exact arithmetic leaves ~1e-30."""


@dataclass(frozen=True)
class Slot:
    """One radial function A_jk of the expansion: harmonic degree k, power j of r'/r."""

    j: int
    k: int


@dataclass
class Expansion:
    """The expansion of one kernel in one dimension up to order P, ready to render.

    Attributes
    ----------
    spec : KernelSpec
    dim, order : int
        Dimension d and maximum order P.
    kernel : sympy.Expr
        K(r) in :data:`codegen.specs.R` and the parameter symbols.
    slots : list of Slot
        Radial functions kept, sorted by (j, k). Order p uses the prefix with j <= p.
    radial : list of sympy.Expr
        A_jk(r) for each slot.
    source_coefficients : list of dict
        For each slot, {e: coefficient of r'^e} of the source polynomial r'^k sum_b R[l, b] r'^b
        (exact expressions in the parameters; e runs from k to P in steps of 2).
    reduced : bool
        True when some degree has fewer slots than the unreduced expansion.
    """

    spec: KernelSpec
    dim: int
    order: int
    kernel: sympy.Expr
    slots: list[Slot]
    radial: list[sympy.Expr]
    source_coefficients: list[dict[int, sympy.Expr]]
    reduced: bool

    def slot_count(self, p: int) -> int:
        """Return the number of slots used at order p (those with j <= p)."""
        return sum(1 for slot in self.slots if slot.j <= p)

    def term_count(self, p: int | None = None) -> int:
        """Return the number of multipole terms at order p (default: the maximum order)."""
        p = self.order if p is None else p
        return sum(harmonic_count(self.dim, slot.k) for slot in self.slots if slot.j <= p)


def unreduced_term_count(dim: int, order: int) -> int:
    """Return binom(P + d, d), the number of terms of the unreduced expansion."""
    return comb(order + dim, dim)


class BesselK(sympy.Function):
    """K_nu(x) with the derivative rule dK_nu/dx = -K_{nu-1}(x) - (nu/x) K_nu(x).

    sympy differentiates besselk into K_{nu-1} and K_{nu+1}, so m derivatives of the Matérn
    kernel spread over 2m + 1 orders and thousands of terms; this rule only lowers the order,
    and the m-th derivative of (c r)^nu K_nu(c r) keeps about m/2 terms.
    """

    nargs = 2

    def fdiff(self, argindex=2):
        if argindex != 2:
            raise sympy.ArgumentIndexError(self, argindex)
        nu, x = self.args
        return -BesselK(nu - 1, x) - nu / x * BesselK(nu, x)


@lru_cache(maxsize=32)
def kernel_derivatives(spec: KernelSpec, dim: int, order: int) -> tuple[sympy.Expr, ...]:
    """Return K, K', ..., K^(order) as sympy expressions in compact form.

    Kernels of poly-exp type are expanded (a polynomial times one exponential), as are Bessel
    kernels (with :class:`BesselK`); rational functions of r are brought to one fraction;
    anything else is left as differentiated.
    """
    kernel = spec.expression_for(dim)
    bessel = kernel.has(sympy.besselk)
    if bessel:
        kernel = kernel.replace(sympy.besselk, BesselK)
    poly_exp = _generator_of(kernel) is not None
    rational = not poly_exp and kernel.is_rational_function(R)
    if not (poly_exp or bessel or rational):
        return _opaque_derivatives(kernel, order)
    derivatives = [kernel]
    for _ in range(order):
        derivative = sympy.diff(derivatives[-1], R)
        if poly_exp or bessel:
            derivative = sympy.expand(derivative)
        elif rational:
            derivative = sympy.factor(sympy.cancel(derivative), R)
        derivatives.append(derivative)
    return tuple(derivatives)


def _opaque_derivatives(kernel: sympy.Expr, order: int) -> tuple[sympy.Expr, ...]:
    """Return K, ..., K^(order) for a kernel of no special form, without expression swell.

    Differentiating nested powers and logarithms directly makes every derivative a few times
    larger than the last (about 10^7 nodes by the 12th derivative of the rational quadratic's
    alpha-derivative). Instead every power with a base other than r, and every log and exp of
    something other than r, becomes an opaque function F_i(r) whose derivative is written in
    terms of r and the other F's: (g^s)' = s g' g^s / g, log(g)' = g'/g, exp(g)' = g' exp(g).
    Each derivative is expanded into a sum of products of powers of r and the F's, so like terms
    merge and the term count grows polynomially in the order. The F's are put back at the end.
    """
    replacements: dict[sympy.Expr, sympy.Expr] = {}  # original subexpression -> F_i(r)
    rules: dict[sympy.Expr, sympy.Expr] = {}  # Derivative(F_i(r), r) -> expression in r, F's

    def opaque(original: sympy.Expr, derivative) -> sympy.Expr:
        """Return the F(r) that represents ``original``. ``derivative(F)`` returns F' in terms of r and the F's."""
        if original not in replacements:
            function = sympy.Function(f"_F{len(replacements)}")(R)
            replacements[original] = function
            rules[sympy.Derivative(function, R)] = sympy.expand(derivative(function), power_exp=False, log=False)
        return replacements[original]

    def rewrite(node: sympy.Expr) -> sympy.Expr:
        if node.is_Atom or not node.has(R):
            return node
        rewritten = node.func(*[rewrite(argument) for argument in node.args])
        if isinstance(node, sympy.Pow) and node.base != R:
            if node.exp.has(R):
                # g^h with h depending on r is exp(h log g).
                return rewrite(sympy.exp(node.exp * sympy.log(node.base)))
            base = rewritten.base
            base_derivative = sympy.diff(base, R).xreplace(rules)
            if not isinstance(base, sympy.core.function.AppliedUndef):
                base = opaque(node.base, lambda _: base_derivative)
                base_derivative = rules[sympy.Derivative(base, R)]
            if node.exp.is_Integer:
                return base**node.exp
            return opaque(node, lambda power: node.exp * base_derivative * power / base)
        if isinstance(node, (sympy.log, sympy.exp)) and node.args[0] != R:
            inner = rewritten.args[0]
            inner_derivative = sympy.diff(inner, R).xreplace(rules)
            if isinstance(node, sympy.log):
                if not isinstance(inner, sympy.core.function.AppliedUndef):
                    inner = opaque(node.args[0], lambda _: inner_derivative)
                return opaque(node, lambda _: inner_derivative / inner)
            return opaque(node, lambda function: inner_derivative * function)
        return rewritten

    # Hold each derivative as {product of powers of r and F's: coefficient}. The coefficients
    # depend on the shape parameters only and are summed per product, so like terms merge.
    current = _by_structure(sympy.expand(rewrite(kernel), power_exp=False, log=False))
    opaque_derivatives = [_from_structure(current)]
    for _ in range(order):
        following: dict[sympy.Expr, sympy.Expr] = {}
        for structure, coefficient in current.items():
            derivative = sympy.expand(sympy.diff(structure, R).xreplace(rules), power_exp=False, log=False)
            for term_structure, term_coefficient in _by_structure(derivative).items():
                following[term_structure] = following.get(term_structure, 0) + coefficient * term_coefficient
        current = {structure: sympy.expand(value) for structure, value in following.items()}
        current = {structure: value for structure, value in current.items() if value != 0}
        opaque_derivatives.append(_from_structure(current))

    originals = {function: original for original, function in replacements.items()}
    return tuple(_substitute_back(expression, originals) for expression in opaque_derivatives)


def _by_structure(expression: sympy.Expr) -> dict[sympy.Expr, sympy.Expr]:
    """Split an expanded sum into {r-dependent factor: sum of r-independent coefficients}."""
    grouped: dict[sympy.Expr, sympy.Expr] = {}
    for term in sympy.Add.make_args(expression):
        coefficient, structure = term.as_independent(R, as_Add=False)
        grouped[structure] = grouped.get(structure, 0) + coefficient
    return grouped


def _from_structure(grouped: dict[sympy.Expr, sympy.Expr]) -> sympy.Expr:
    return sympy.Add(*[coefficient * structure for structure, coefficient in grouped.items()])


def _substitute_back(expression: sympy.Expr, originals: dict[sympy.Expr, sympy.Expr]) -> sympy.Expr:
    while expression.has(*originals):
        expression = expression.xreplace(originals)
    return expression


def radial_coefficients(dim: int, order: int, j: int, k: int) -> dict[int, Fraction]:
    """Return {m: c_m} with A_jk(r) = sum_m c_m r^(m-j) K^(m)(r); A_00 = K gives {0: 1}."""
    if j == 0:
        return {0: Fraction(1)}
    table = transformation_coefficients(dim, order)
    return {m: table[(j, k, m)] for m in range(1, j + 1) if (j, k, m) in table}


def radial_function(spec: KernelSpec, dim: int, order: int, j: int, k: int) -> sympy.Expr:
    """Return A_jk(r) = sum_m T[j, k, m] r^(m-j) K^(m)(r) (A_00 = K) as a sympy expression."""
    derivatives = kernel_derivatives(spec, dim, order)
    terms = [
        sympy.Rational(value.numerator, value.denominator) * R ** (m - j) * derivatives[m]
        for m, value in radial_coefficients(dim, order, j, k).items()
    ]
    return sympy.Add(*terms)


def _generator_of(kernel: sympy.Expr) -> sympy.Expr | None:
    """Return exp(q(r)) if K = (Laurent polynomial in r, log r) * exp(q(r)) with q a polynomial.

    Returns ``sympy.Integer(1)`` for pure Laurent/log kernels and None when K has any other
    form (rational functions of r^2, Bessel functions, several exponentials...).
    """
    exponentials = [atom for atom in kernel.atoms(sympy.exp) if atom.has(R)]
    if len(exponentials) > 1:
        return None
    generator = exponentials[0] if exponentials else sympy.Integer(1)
    if exponentials and not exponentials[0].args[0].is_polynomial(R):
        return None
    if _monomials(sympy.expand(kernel), generator) is None:
        return None
    return generator


def _monomials(expression: sympy.Expr, generator: sympy.Expr) -> dict[tuple[int, int, int], sympy.Expr] | None:
    """Split an expanded expression into {(power of r, power of exp, power of log r): coefficient}.

    Returns None if any term involves r in another way (so no finite generator set exists).
    """
    log_r = sympy.log(R)
    result: dict[tuple[int, int, int], sympy.Expr] = {}
    for term in sympy.Add.make_args(expression):
        if term == 0:
            continue
        coefficient, rest = term.as_independent(R, as_Add=False)
        powers = {"r": 0, "exp": 0, "log": 0}
        for factor in sympy.Mul.make_args(rest):
            base, exponent = factor.as_base_exp()
            if base == R and exponent.is_integer:
                powers["r"] += int(exponent)
            elif generator != 1 and factor == generator:
                powers["exp"] += 1
            elif base == log_r and exponent.is_integer and exponent > 0:
                powers["log"] += int(exponent)
            elif factor == 1:
                continue
            else:
                return None
        key = (powers["r"], powers["exp"], powers["log"])
        result[key] = result.get(key, 0) + coefficient
    return result


def _reduce_degree(columns: list[sympy.Expr], generator: sympy.Expr, parameters, label: str):
    """Return (pivots, rows) with C = C[:, pivots] rows for one degree, or None if not reducible."""
    decompositions = [_monomials(sympy.expand(column), generator) for column in columns]
    if any(decomposition is None for decomposition in decompositions):
        return None
    keys = sorted({key for decomposition in decompositions for key in decomposition})
    matrix = sympy.Matrix(
        [[decomposition.get(key, 0) for decomposition in decompositions] for key in keys]
    )
    echelon, pivots = DomainMatrix.from_Matrix(matrix).rref()
    rows = echelon.to_Matrix()[: len(pivots), :]
    rows = rows.applyfunc(lambda entry: sympy.factor(sympy.cancel(entry)))

    # The EX domain decides zero entries by simplification, so check C = C[:, pivots] rows
    # numerically at a random parameter point before trusting the factorization.
    rng = random.Random(len(columns) * 7919 + len(keys))
    point = {symbol: sympy.Rational(rng.randint(11, 97), rng.randint(11, 97)) for symbol in parameters}
    residual = (matrix - matrix[:, list(pivots)] * rows).subs(point).evalf(REDUCTION_CHECK_DIGITS)
    scale = max((abs(value) for value in matrix.subs(point).evalf(REDUCTION_CHECK_DIGITS)), default=1) or 1
    worst = max((abs(value) for value in residual), default=0)
    if worst > REDUCTION_CHECK_TOLERANCE * scale:
        logger.warning("rank reduction of %s failed its numerical check (residual %s); keeping it unreduced", label, worst)
        return None
    return list(pivots), rows


def build_expansion(kernel: str | KernelSpec, dim: int, order: int, reduce: bool = True) -> Expansion:
    """Derive the truncated expansion of a kernel symbolically.

    Parameters
    ----------
    kernel : str or KernelSpec
        Built-in name, path to a ``.toml`` spec, or a spec.
    dim : int
        Dimension d, 1 to 6.
    order : int
        Maximum order P; any p <= P can be used later.
    reduce : bool
        Try the exact rank reduction for kernels of the form Laurent(r, log r) * exp(q(r)).

    Raises
    ------
    SpecError, ValueError, TypeError
        For an unknown kernel, a dimension the kernel is not defined in, or invalid d or P.
    """
    spec = get_spec(kernel)
    dim = validate_dimension(dim)
    order = validate_order(order)
    expression = spec.expression_for(dim)
    logger.info("deriving expansion of %s, d=%d, P=%d", spec.name, dim, order)

    pairs = radial_index_pairs(dim, order)
    by_degree: dict[int, list[int]] = {}
    for j, k in pairs:
        by_degree.setdefault(k, []).append(j)

    generator = _generator_of(expression) if reduce else None
    slots: list[Slot] = []
    radial: list[sympy.Expr] = []
    coefficients: list[dict[int, sympy.Expr]] = []
    reduced = False

    for k, powers in sorted(by_degree.items()):
        columns = [radial_function(spec, dim, order, j, k) for j in powers]
        factorization = None
        if generator is not None:
            factorization = _reduce_degree(columns, generator, spec.parameter_symbols, f"{spec.name} d={dim} k={k}")
        if factorization is None:
            pivots = list(range(len(powers)))
            rows = sympy.eye(len(powers))
        else:
            pivots, rows = factorization
            reduced = reduced or len(pivots) < len(powers)
        for row, pivot in enumerate(pivots):
            slots.append(Slot(j=powers[pivot], k=k))
            radial.append(columns[pivot])
            coefficients.append({powers[b]: rows[row, b] for b in range(len(powers)) if rows[row, b] != 0})

    order_of_slots = sorted(range(len(slots)), key=lambda index: (slots[index].j, slots[index].k))
    expansion = Expansion(
        spec=spec,
        dim=dim,
        order=order,
        kernel=expression,
        slots=[slots[index] for index in order_of_slots],
        radial=[radial[index] for index in order_of_slots],
        source_coefficients=[coefficients[index] for index in order_of_slots],
        reduced=reduced,
    )
    logger.info(
        "expansion of %s, d=%d, P=%d: %d slots, %d terms (unreduced %d)",
        spec.name, dim, order, len(expansion.slots), expansion.term_count(), unreduced_term_count(dim, order),
    )
    return expansion
