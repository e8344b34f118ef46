"""Real hyperspherical harmonics: index sets, exact normalizers and a reference evaluator.

Conventions (Avery, "Hyperspherical Harmonics", 1989, eq. 3-69). For x on the unit sphere in
R^d, d >= 3, the angles are theta_1..theta_{d-2} in [0, pi] and phi in (-pi, pi] with
x_d = cos(theta_1), x_{d-1} = sin(theta_1) cos(theta_2), ..., x_1 and x_2 carrying cos(phi)
and sin(phi). A degree-k harmonic has a multi-index mu = (mu_1 = k >= mu_2 >= ... >= mu_{d-1})
with mu_{d-1} = m signed (m > 0: cosine, m < 0: sine). The unnormalized harmonic is

    Y~_mu = prod_{j=1}^{d-2} C^{a_j + mu_{j+1}}_{mu_j - mu_{j+1}}(cos theta_j) sin(theta_j)^mu_{j+1}
            * Phi_m(phi),   a_j = (d - j - 1)/2,   Phi_0 = 1, Phi_m = sqrt(2) cos(m phi),
            Phi_-m = sqrt(2) sin(m phi),

and the addition theorem reads C_k^alpha(x.y) = N_k sum_mu Y~_mu(x) Y~_mu(y) / |Y~_mu|^2 with
N_k = 2 pi^(alpha+1) / (Gamma(alpha) (k + alpha)), alpha = d/2 - 1.

For d = 2 the harmonics are 1 (k = 0) and cos(k phi), sin(k phi), with cos(k gamma) = cos k phi
cos k phi' + sin k phi sin k phi', so every normalizer is 1. For d = 1 the "sphere" is {-1, +1}:
the harmonics are 1 (k = 0) and the sign (k = 1).
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np
import sympy

from codegen.transform import validate_dimension, validate_order


@lru_cache(maxsize=None)
def harmonic_indices(dim: int, k: int) -> tuple[tuple[int, ...], ...]:
    """Return the multi-indices (mu_1, ..., mu_{d-1}) of the degree-k harmonics.

    d = 1: ``()`` for k = 0 and k = 1, nothing above. d = 2: ``(0,)`` for k = 0, ``(k,)`` and
    ``(-k,)`` (cosine, sine) above. d >= 3: mu_1 = k >= mu_2 >= ... >= |mu_{d-1}|, with a
    negative last entry for the sine forms.
    """
    dim = validate_dimension(dim)
    if dim == 1:
        return ((),) if k <= 1 else ()
    if dim == 2:
        return ((0,),) if k == 0 else ((k,), (-k,))

    indices = []

    def extend(prefix: tuple[int, ...]) -> None:
        if len(prefix) == dim - 1:
            indices.append(prefix)
            if prefix[-1] > 0:
                indices.append(prefix[:-1] + (-prefix[-1],))
            return
        for value in range(prefix[-1], -1, -1):
            extend(prefix + (value,))

    extend((k,))
    return tuple(indices)


def harmonic_count(dim: int, k: int) -> int:
    """Return the number of linearly independent degree-k harmonics on the sphere in R^dim."""
    dim = validate_dimension(dim)
    if dim == 1:
        return 1 if k <= 1 else 0
    if k == 0:
        return 1
    return comb(k + dim - 1, k) - comb(k + dim - 3, k - 2) if k >= 2 else dim


def squared_normalizer(dim: int, mu: tuple[int, ...]) -> sympy.Expr:
    """Return |Y~_mu|^2, the squared L2 norm of an unnormalized harmonic over the sphere (exact)."""
    dim = validate_dimension(dim)
    if dim <= 2:
        return sympy.Integer(1)
    mu = tuple(mu[:-1]) + (abs(mu[-1]),)
    value = 2 * sympy.pi
    for j in range(1, dim - 1):
        a = sympy.Rational(dim - j - 1, 2)
        upper, lower = mu[j - 1], mu[j]
        two_a = dim - j - 1
        numerator = (
            sympy.sqrt(sympy.pi)
            * sympy.gamma(a + lower + sympy.Rational(1, 2))
            * (a + lower)
            * sympy.factorial(two_a + upper + lower - 1)
        )
        denominator = (
            sympy.gamma(a + lower + 1)
            * sympy.factorial(upper - lower)
            * (a + upper)
            * sympy.factorial(two_a + 2 * lower - 1)
        )
        value *= numerator / denominator
    return value


def addition_normalizer(dim: int, k: int) -> sympy.Expr:
    """Return N_k with G_k(x.y) = N_k sum_mu Y~_mu(x) Y~_mu(y) / |Y~_mu|^2 (exact)."""
    dim = validate_dimension(dim)
    if dim <= 2:
        return sympy.Integer(1)
    alpha = sympy.Rational(dim, 2) - 1
    return 2 * sympy.pi ** (alpha + 1) / (sympy.gamma(alpha) * (k + alpha))


@lru_cache(maxsize=None)
def harmonic_table(dim: int, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (multi_indices, offsets, source_scale) for all degrees k <= order.

    ``multi_indices`` is an int64 array (n_harmonics, max(d - 1, 1)) ordered by degree,
    ``offsets[k]`` the index of the first degree-k harmonic (length order + 2), and
    ``source_scale[i] = N_k / |Y~_i|^2`` the float64 factor the source side carries.
    """
    dim = validate_dimension(dim)
    order = validate_order(order)
    rows, offsets, scales = [], [0], []
    for k in range(order + 1):
        for mu in harmonic_indices(dim, k):
            rows.append(mu if mu else (k,))
            scales.append(float(addition_normalizer(dim, k) / squared_normalizer(dim, mu)))
        offsets.append(len(rows))
    width = max(dim - 1, 1)
    table = np.array(rows, dtype=np.int64).reshape(len(rows), width)
    return table, np.array(offsets, dtype=np.int64), np.array(scales, dtype=np.float64)


def angular_polynomial(dim: int, k: int, x: np.ndarray) -> np.ndarray:
    """Evaluate G_k(x): Gegenbauer C_k^{d/2-1} (d >= 3), Chebyshev T_k (d = 2), x^k (d = 1, k <= 1)."""
    from scipy import special

    dim = validate_dimension(dim)
    x = np.asarray(x, dtype=float)
    if dim == 1:
        return x**k
    if dim == 2:
        return special.eval_chebyt(k, x)
    return special.eval_gegenbauer(k, dim / 2 - 1, x)


def reference_harmonics(dim: int, order: int, unit: np.ndarray) -> np.ndarray:
    """Evaluate the unnormalized harmonics Y~ of degree <= order at unit vectors (slow reference).

    ``unit`` has shape (n, dim). Returns (n, n_harmonics) in the order of :func:`harmonic_table`.
    Angles are computed explicitly and the Gegenbauer factors come from scipy, so this path
    shares no code with the generated Numba evaluator it is used to test.
    """
    from scipy import special

    dim = validate_dimension(dim)
    order = validate_order(order)
    unit = np.atleast_2d(np.asarray(unit, dtype=float))
    n = unit.shape[0]
    table, _, _ = harmonic_table(dim, order)
    values = np.ones((n, table.shape[0]))

    if dim == 1:
        sign = np.where(unit[:, 0] < 0, -1.0, 1.0)
        for i, row in enumerate(table):
            values[:, i] = sign ** row[0]
        return values

    phi = np.arctan2(unit[:, 1], unit[:, 0])
    thetas = []
    for j in range(1, dim - 1):
        # theta_j is the angle from axis d - j + 1 within the first d - j + 1 coordinates.
        head = np.linalg.norm(unit[:, : dim - j], axis=1)
        thetas.append(np.arctan2(head, unit[:, dim - j]))

    for i, mu in enumerate(table):
        if dim == 2:
            m = mu[0]
            values[:, i] = np.cos(m * phi) if m >= 0 else np.sin(-m * phi)
            continue
        column = np.ones(n)
        for j in range(1, dim - 1):
            upper, lower = mu[j - 1], abs(mu[j])
            a = (dim - j - 1) / 2 + lower
            column *= special.eval_gegenbauer(upper - lower, a, np.cos(thetas[j - 1])) * np.sin(thetas[j - 1]) ** lower
        m = mu[-1]
        if m > 0:
            column *= np.sqrt(2) * np.cos(m * phi)
        elif m < 0:
            column *= np.sqrt(2) * np.sin(-m * phi)
        values[:, i] = column
    return values
