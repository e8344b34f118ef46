"""Exact transformation coefficients of the FKT expansion.

For a centre c, a target x = t - c and a source y = s - c with r = |x|, r' = |y| < r,
eps = r'/r and cos(gamma) = x.y / (r r'), every isotropic kernel satisfies

    K(|x - y|) = sum_k G_k(cos gamma) sum_{j >= k, j = k mod 2} eps^j R_jk(r),
    R_00(r) = K(r),   R_jk(r) = sum_{m=1}^{j} T[j, k, m] r^m K^(m)(r),

where G_k is the Gegenbauer polynomial C_k^alpha with alpha = d/2 - 1 for d >= 3, the
Chebyshev polynomial T_k for d = 2, and 1 (k = 0) or cos(gamma) = +-1 (k = 1) for d = 1.
The numbers T[j, k, m] depend only on (d, P) and are rational. They follow from Taylor
expanding K(r sqrt(1 + u)) in u = eps^2 - 2 eps cos(gamma) (Faa di Bruno), expanding
u^n binomially, and re-expanding powers of cos(gamma) in the polynomials G_k.

Reference: J. P. Ryan, S. Ament, C. P. Gomes, A. Damle, "The Fast Kernel Transform",
AISTATS 2022 (arXiv:2106.04487).
"""

from __future__ import annotations

import operator
from fractions import Fraction
from functools import lru_cache
from math import comb, factorial

MAX_DIMENSION = 6
"""Largest dimension the expansion supports; the term count binom(P + d, d) grows too fast beyond."""

MAX_ORDER = 40
"""Largest truncation order accepted; beyond it the float64 radial functions lose all digits."""


def validate_dimension(dim) -> int:
    """Return ``dim`` as an int, or raise if it is not an integer in 1..MAX_DIMENSION."""
    if isinstance(dim, bool):
        raise TypeError(f"dim must be an integer, got the boolean {dim!r}")
    try:
        dim = operator.index(dim)
    except TypeError:
        raise TypeError(f"dim must be an integer, got {dim!r} of type {type(dim).__name__}") from None
    if not 1 <= dim <= MAX_DIMENSION:
        raise ValueError(f"dim must be between 1 and {MAX_DIMENSION}, got {dim}")
    return dim


def validate_order(order) -> int:
    """Return ``order`` as an int, or raise if it is not an integer in 0..MAX_ORDER."""
    if isinstance(order, bool):
        raise TypeError(f"order must be an integer, got the boolean {order!r}")
    try:
        order = operator.index(order)
    except TypeError:
        raise TypeError(f"order must be an integer, got {order!r} of type {type(order).__name__}") from None
    if not 0 <= order <= MAX_ORDER:
        raise ValueError(f"order must be between 0 and {MAX_ORDER}, got {order}")
    return order


def gegenbauer_alpha(dim: int) -> Fraction:
    """Return alpha = d/2 - 1, the Gegenbauer parameter of dimension ``dim``."""
    return Fraction(dim, 2) - 1


def _rising_factorial(a: Fraction, n: int) -> Fraction:
    result = Fraction(1)
    for i in range(n):
        result *= a + i
    return result


def faa_di_bruno_coefficient(n: int, m: int) -> Fraction:
    """Return B[n, m] with d^n/du^n K(r sqrt(1 + u)) at u = 0 equal to sum_m B[n, m] r^m K^(m)(r).

    B[n, m] = (-1)^(n+m) 2^(m-2n) (2n-m-1)! / ((m-1)! (n-m)!) for 1 <= m <= n.
    """
    if not 1 <= m <= n:
        return Fraction(0)
    sign = -1 if (n + m) % 2 else 1
    return sign * Fraction(factorial(2 * n - m - 1), factorial(m - 1) * factorial(n - m)) * Fraction(2) ** (m - 2 * n)


def power_to_gegenbauer(dim: int, k: int, power: int) -> Fraction:
    """Return A[k, l] in x^l = sum_k A[k, l] G_k(x), with G_k the angular polynomial of ``dim``.

    For d >= 3 (alpha > 0): A = l! (alpha + k) / (2^l ((l-k)/2)! (alpha)_{(l+k)/2+1}).
    For d = 2 (Chebyshev): A = 2^(1-l) binom(l, (l-k)/2), halved for k = 0.
    """
    if k > power or (power - k) % 2:
        return Fraction(0)
    half = (power - k) // 2
    if dim == 2:
        value = Fraction(2) ** (1 - power) * comb(power, half)
        return value / 2 if k == 0 else value
    alpha = gegenbauer_alpha(dim)
    numerator = factorial(power) * (alpha + k)
    denominator = Fraction(2) ** power * factorial(half) * _rising_factorial(alpha, (power + k) // 2 + 1)
    return numerator / denominator


@lru_cache(maxsize=64)
def transformation_coefficients(dim: int, order: int) -> dict[tuple[int, int, int], Fraction]:
    """Return the nonzero T[j, k, m] for 1 <= j <= order as an exact, cached mapping.

    Entries are nonzero only for 1 <= m <= j, k <= j and j - k even (for d = 1 only
    k = j mod 2 and m = j occur). The cost is O(order^4) rational operations.
    """
    dim = validate_dimension(dim)
    order = validate_order(order)
    table: dict[tuple[int, int, int], Fraction] = {}

    if dim == 1:
        # K(r - sigma r') with sigma = +-1: the Taylor series splits into even powers
        # (k = 0) and odd powers, which carry the factor sigma = G_1 (k = 1).
        for j in range(1, order + 1):
            table[(j, j % 2, j)] = Fraction((-1) ** j, factorial(j))
        return table

    for j in range(1, order + 1):
        for k in range(j % 2, j + 1, 2):
            for m in range(1, j + 1):
                total = Fraction(0)
                for n in range(max(m, (j + k) // 2), j + 1):
                    power = 2 * n - j
                    total += (
                        Fraction((-2) ** power, factorial(n))
                        * comb(n, power)
                        * power_to_gegenbauer(dim, k, power)
                        * faa_di_bruno_coefficient(n, m)
                    )
                if total:
                    table[(j, k, m)] = total
    return table


def radial_index_pairs(dim: int, order: int) -> list[tuple[int, int]]:
    """Return the (j, k) pairs of the unreduced expansion, sorted by j then k.

    j runs over 0..order and k over j mod 2, j mod 2 + 2, ..., j (for d = 1 only k = j mod 2).
    """
    dim = validate_dimension(dim)
    order = validate_order(order)
    pairs = []
    for j in range(order + 1):
        degrees = [j % 2] if dim == 1 else range(j % 2, j + 1, 2)
        pairs.extend((j, k) for k in degrees)
    return pairs
