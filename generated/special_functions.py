"""Special functions for generated modules, in Numba, cacheable across processes.

Numba cannot cache a function that calls scipy's Cython special functions through a ctypes
pointer (the address is a "dynamic global"), so the Bessel function the Matérn kernel needs
is implemented here from its textbook representations and tested against scipy.
"""

import math

import numpy as np
from numba import njit

# Taylor coefficients of 1/Gamma(1 + z) about z = 0, from
# mpmath 1.3.0: mpmath.taylor(mpmath.rgamma, 1, 26) at 40 digits.
_RECIPROCAL_GAMMA_TAYLOR = np.array(
    [
        1.0,
        0.5772156649015328606065,
        -0.655878071520253881077,
        -0.042002635034095235529,
        0.1665386113822914895017,
        -0.04219773455554433674821,
        -0.009621971527876973562115,
        0.007218943246663099542395,
        -0.001165167591859065112114,
        -0.0002152416741149509728157,
        0.0001280502823881161861532,
        -0.00002013485478078823865569,
        -0.000001250493482142670657345,
        0.000001133027231981695882374,
        -2.05633841697760710345e-7,
        6.116095104481415817862e-9,
        5.002007644469222930056e-9,
        -1.181274570487020144588e-9,
        1.043426711691100510492e-10,
        7.78226343990507125405e-12,
        -3.696805618642205708188e-12,
        5.100370287454475979015e-13,
        -2.058326053566506783222e-14,
        -5.34812253942301798237e-15,
        1.226778628238260790159e-15,
        -1.181259301697458769514e-16,
        1.18669225475160033258e-18,
    ]
)

TEMME_SERIES_LIMIT = 2.0
"""Below this x, K is summed by Temme's series; above it, by the integral representation."""

SERIES_TOLERANCE = 1e-17
"""Relative size of the last term kept in each series and quadrature sum."""

INTEGRAL_STEP = 0.25
INTEGRAL_STEP_SCALE = 0.5
"""Trapezoidal step min(INTEGRAL_STEP, INTEGRAL_STEP_SCALE / sqrt(x)): chosen so the relative
error stays below 1e-13 against scipy.special.kv on the test grid (nu <= 20, x <= 700)."""


@njit(cache=True)
def _reciprocal_gamma_parts(mu):
    """Return (Gamma1, Gamma2, 1/Gamma(1 + mu), 1/Gamma(1 - mu)) for |mu| <= 1/2.

    Gamma1 = (1/Gamma(1 - mu) - 1/Gamma(1 + mu)) / (2 mu) and Gamma2 = (1/Gamma(1 - mu) +
    1/Gamma(1 + mu)) / 2, summed from the Taylor series so that mu -> 0 loses no digits.
    """
    odd = 0.0
    even = 0.0
    power = 1.0
    for k in range(_RECIPROCAL_GAMMA_TAYLOR.shape[0]):
        term = _RECIPROCAL_GAMMA_TAYLOR[k] * power
        if k % 2 == 0:
            even += term
        else:
            odd += term
        power *= mu
    # odd = sum_{k odd} a_k mu^k, so Gamma1 = -odd / mu without dividing by a tiny mu.
    gamma1 = 0.0
    power = 1.0
    for k in range(1, _RECIPROCAL_GAMMA_TAYLOR.shape[0], 2):
        gamma1 -= _RECIPROCAL_GAMMA_TAYLOR[k] * power
        power *= mu * mu
    return gamma1, even, even + odd, even - odd


@njit(cache=True)
def _besselk_temme(mu, x):
    """Return (K_mu(x), K_{mu+1}(x)) for |mu| <= 1/2 and 0 < x <= 2 by Temme's series.

    N. M. Temme, "On the numerical evaluation of the modified Bessel function of the third
    kind", J. Comput. Phys. 19 (1975) 324-337, doi:10.1016/0021-9991(75)90082-0.
    """
    gamma1, gamma2, rgamma_plus, rgamma_minus = _reciprocal_gamma_parts(mu)
    log_half = math.log(2.0 / x)
    sigma = mu * log_half
    pi_mu = math.pi * mu
    ratio_sin = 1.0 if abs(pi_mu) < 1e-15 else pi_mu / math.sin(pi_mu)
    ratio_sinh = 1.0 if abs(sigma) < 1e-15 else math.sinh(sigma) / sigma

    f = ratio_sin * (math.cosh(sigma) * gamma1 + ratio_sinh * log_half * gamma2)
    p = 0.5 * math.exp(sigma) / rgamma_plus
    q = 0.5 * math.exp(-sigma) / rgamma_minus
    c = 1.0
    quarter_x2 = 0.25 * x * x
    sum_k = c * f
    sum_k1 = c * p
    k = 0
    while True:
        k += 1
        f = (k * f + p + q) / (k * k - mu * mu)
        c *= quarter_x2 / k
        p /= k - mu
        q /= k + mu
        term = c * f
        sum_k += term
        sum_k1 += c * (p - k * f)
        if abs(term) < SERIES_TOLERANCE * abs(sum_k) or k > 500:
            break
    return sum_k, sum_k1 * 2.0 / x


@njit(cache=True)
def _besselk_integral(mu, x):
    """Return (K_mu(x), K_{mu+1}(x)) for x > 2 from K_a(x) = int_0^inf exp(-x cosh t) cosh(a t) dt.

    All terms are positive, so the trapezoidal rule converges geometrically in 1/h for this
    entire integrand; the step shrinks like 1/sqrt(x) because the integrand's width does.
    Factoring out exp(-x) keeps it finite for large x.
    """
    step = min(INTEGRAL_STEP, INTEGRAL_STEP_SCALE / math.sqrt(x))
    # cosh(t) and cosh(a t) advance by multiplying exponentials, one exp per node.
    growth = math.exp(step)
    growth_mu = math.exp(mu * step)
    exp_t = 1.0
    exp_mu_t = 1.0
    total_low = 0.5
    total_high = 0.5
    while True:
        exp_t *= growth
        exp_mu_t *= growth_mu
        decay = math.exp(-x * (0.5 * (exp_t + 1.0 / exp_t) - 1.0))
        term_low = decay * 0.5 * (exp_mu_t + 1.0 / exp_mu_t)
        term_high = decay * 0.5 * (exp_mu_t * exp_t + 1.0 / (exp_mu_t * exp_t))
        total_low += term_low
        total_high += term_high
        if term_high < SERIES_TOLERANCE * total_high and x * 0.5 * (exp_t - 1.0 / exp_t) > mu + 1.0:
            break
    scale = step * math.exp(-x)
    return total_low * scale, total_high * scale


@njit(cache=True)
def besselk(nu, x):
    """Modified Bessel function of the second kind K_nu(x) for real nu and x > 0.

    Returns inf at x = 0 and nan for x < 0 or nan input. Relative accuracy is about 1e-14
    against scipy.special.kv for |nu| <= 20 and 1e-10 <= x <= 700.
    """
    if not (x >= 0.0) or nu != nu:
        return np.nan
    if x == 0.0:
        return np.inf
    nu = abs(nu)

    # Reduce to |mu| <= 1/2 and recur upwards, which is stable for K:
    # K_{a+1} = (2a/x) K_a + K_{a-1}.
    n = int(math.floor(nu + 0.5))
    mu = nu - n
    if x > TEMME_SERIES_LIMIT:
        k_low, k_high = _besselk_integral(mu, x)
    else:
        k_low, k_high = _besselk_temme(mu, x)
    if n == 0:
        return k_low
    order = mu + 1.0
    for _ in range(n - 1):
        k_low, k_high = k_high, 2.0 * order / x * k_high + k_low
        order += 1.0
    return k_high
