"""Shared pieces of the code-generator tests: exact kernels in numpy, separated point pairs,
and the truncation-error bound of the expansion.

The kernels here are written out by hand from their textbook formulas, not from the spec
strings of ``codegen.specs``, so a wrong spec or a wrong expansion cannot hide behind the same
typo on both sides.
"""

from math import comb, gamma, pi, sqrt

import numpy as np
from scipy import special

from codegen.specs import BUILTIN_KERNELS

# Every (kernel, dimension) pair the built-in registry defines.
BUILTIN_CASES = [(name, dim) for name, spec in BUILTIN_KERNELS.items() for dim in spec.dimensions]

# Pairs for the truncation tests: |x| in [RADIUS_MIN, RADIUS_MAX] (unit length scale) and
# |y|/|x| <= SEPARATION_RATIO, the largest ratio the tree admits for far-field boxes.
RADIUS_MIN = 0.5
RADIUS_MAX = 2.0
SEPARATION_RATIO = 0.5

# The truncation bound below is about 1e-16 relative at tiny |y|/|x|; rounding in the
# evaluation of K and of the radial functions (derivatives of order 8 of r^-4, for one) adds
# an absolute error of order 1e-14 on kernels of size O(1), so allow 1e-12.
ROUNDOFF_ATOL = 1e-12

# Factor over the leading term C_{P+1}(1) eps^(P+1) of the Green's function tail (see
# truncation_bound). Over 300 pairs per built-in kernel and dimension at P = 6 to 8, the
# measured error divided by scale * C_{P+1}(1) eps^(P+1) stays at or below 1.0. The Laplace
# kernel in d = 3 reaches 1.0 with y along x, and the factor 2 covers pairs the survey missed.
TRUNCATION_SLACK = 2.0


def exact_kernel(name: str, dim: int, r, params: dict) -> np.ndarray:
    """Evaluate the built-in kernel ``name`` in dimension ``dim`` at distances r > 0."""
    r = np.asarray(r, dtype=float)
    if name == "gaussian":
        return np.exp(-(r**2) / 2)
    if name == "exponential":
        return np.exp(-r)

    if name == "matern32":
        scaled = sqrt(3) * r
        return (1 + scaled) * np.exp(-scaled)
    if name == "matern52":
        scaled = sqrt(5) * r
        return (1 + scaled + scaled**2 / 3) * np.exp(-scaled)
    if name == "matern":
        nu = params["nu"]
        scaled = np.sqrt(2 * nu) * r
        return 2 ** (1 - nu) / gamma(nu) * scaled**nu * special.kv(nu, scaled)

    if name == "rational_quadratic":
        alpha = params["alpha"]
        return (1 + r**2 / (2 * alpha)) ** (-alpha)
    if name == "cauchy":
        return 1 / (1 + r**2)
    if name == "inverse_multiquadric":
        return 1 / np.sqrt(r**2 + params["c"] ** 2)

    if name == "laplace":
        # Green's function of the negative Laplacian in R^d.
        if dim == 1:
            return -r / 2
        if dim == 2:
            return -np.log(r) / (2 * pi)
        return gamma(dim / 2 - 1) / (4 * pi ** (dim / 2)) * r ** (2.0 - dim)
    if name == "helmholtz":
        return np.exp(1j * params["k"] * r) / (4 * pi * r)
    raise ValueError(f"no reference formula for kernel {name!r}")


def kernel_scale(name: str, dim: int, radius, source_radius, params: dict) -> np.ndarray:
    """Return max(|K(|x| - |y|)|, |K(|x| + |y|)|), |K| at the two extremes of |x - y|.

    Errors are measured against this scale rather than against K(|x - y|), which is zero for
    the 2-D logarithm at distance 1 and small for oscillating Helmholtz values.
    """
    near = np.abs(exact_kernel(name, dim, radius - source_radius, params))
    far = np.abs(exact_kernel(name, dim, radius + source_radius, params))
    return np.maximum(near, far)


def gegenbauer_at_one(dim: int, degree: int) -> int:
    """Return C_n^alpha(1) = binom(n + 2 alpha - 1, n), alpha = d/2 - 1, and 1 for d <= 2."""
    if dim <= 2:
        return 1
    return comb(degree + dim - 3, degree)


def truncation_bound(dim: int, order: int, ratio) -> np.ndarray:
    """Return the relative truncation error allowed at order ``order`` for |y|/|x| = ratio.

    The slowest built-in is the Green's function r^(2-d): its expansion is the Gegenbauer
    generating function, so its order-p tail starts with C_{p+1}^alpha(cos gamma) eps^(p+1)
    and |C_{p+1}^alpha| <= C_{p+1}^alpha(1). The other built-ins have their singularities in
    the complex eps plane at |eps| >= 1 as well and stay below this bound.
    """
    ratio = np.asarray(ratio, dtype=float)
    return TRUNCATION_SLACK * gegenbauer_at_one(dim, order + 1) * ratio ** (order + 1)


def separated_pairs(rng: np.random.Generator, dim: int, n: int, ratio=None):
    """Draw n targets x with |x| in [RADIUS_MIN, RADIUS_MAX] and sources y with |y| = ratio |x|.

    ``ratio`` is a number, or None for ratios uniform in [0, SEPARATION_RATIO]. The first rows
    put y along x and against x, the directions where the Gegenbauer terms peak.
    Returns (targets, sources).
    """
    x_direction = _unit_vectors(rng, dim, n)
    y_direction = _unit_vectors(rng, dim, n)
    aligned = min(4, n // 4)
    y_direction[:aligned] = x_direction[:aligned]
    y_direction[aligned : 2 * aligned] = -x_direction[aligned : 2 * aligned]
    radius = rng.uniform(RADIUS_MIN, RADIUS_MAX, n)
    ratios = rng.uniform(0.0, SEPARATION_RATIO, n) if ratio is None else np.full(n, float(ratio))
    return x_direction * radius[:, None], y_direction * (ratios * radius)[:, None]


def _unit_vectors(rng: np.random.Generator, dim: int, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim))
    return vectors / np.linalg.norm(vectors, axis=1)[:, None]
