"""Contour-integral quadrature for the inverse square root of a positive spectrum."""

import numbers

import numpy as np
from scipy.special import ellipkm1

from .operators import check_count

__all__ = ["inv_sqrt_quadrature", "jacobi_sc_dc_nc"]

# Stop the arithmetic-geometric mean when c_n falls below this fraction of a_n:
# further terms change the elliptic functions by less than one rounding error.
AGM_RTOL = np.finfo(np.float64).eps

# The AGM converges quadratically; from b_0 = sqrt(p) with p >= 1e-300 it needs
# about 10 steps, so 64 only guards against a broken input.
AGM_MAX_STEPS = 64


def jacobi_sc_dc_nc(u, complementary_parameter):
    """Return ``sc(u|m)``, ``dc(u|m)`` and ``nc(u|m)`` for ``m = 1 - p``.

    Takes the complementary parameter ``p = 1 - m`` so that ``m`` close to 1 (a
    large condition number ``1/p``) keeps its accuracy: forming ``m = 1 - p`` in
    floating point would round ``p`` to a multiple of ``eps``, which is what
    limits :func:`scipy.special.ellipj` near ``m = 1``.

    Parameters
    ----------
    u : array_like of float
        Arguments, ``0 <= u < K(m)``.
    complementary_parameter : float
        ``p = 1 - m`` in (0, 1].

    Returns
    -------
    sc, dc, nc : ndarray
        ``sn/cn``, ``dn/cn`` and ``1/cn`` at ``u``.

    Notes
    -----
    Arithmetic-geometric mean scale with ``a_0 = 1``, ``b_0 = √p``,
    ``c_0 = √(1 - p)``; then ``φ_N = 2^N a_N u`` and
    ``φ_{n-1} = (φ_n + arcsin(c_n sin φ_n / a_n)) / 2`` give
    ``sn = sin φ_0``, ``cn = cos φ_0``, ``dn = cos φ_0 / cos(φ_1 - φ_0)``.

    References
    ----------
    .. [1] M. Abramowitz and I. A. Stegun, "Handbook of Mathematical Functions",
       National Bureau of Standards (1964), Section 16.4.
    """
    u = np.asarray(u, dtype=np.float64)
    p = float(complementary_parameter)
    a_values = [1.0]
    c_values = [np.sqrt(1.0 - p)]
    b_value = np.sqrt(p)
    while abs(c_values[-1]) > AGM_RTOL * a_values[-1]:
        if len(a_values) > AGM_MAX_STEPS:
            raise ValueError(f"the AGM did not converge for p={p!r}; p must lie in (0, 1]")
        a_previous = a_values[-1]
        a_values.append((a_previous + b_value) / 2)
        c_values.append((a_previous - b_value) / 2)
        b_value = np.sqrt(a_previous * b_value)

    # Backward recurrence for the amplitude φ_0 (and φ_1, needed for dn).
    steps = len(a_values) - 1
    phi = (2.0**steps) * a_values[steps] * u
    phi_next = phi
    for index in range(steps, 0, -1):
        phi_next = phi
        phi = (phi + np.arcsin(c_values[index] * np.sin(phi) / a_values[index])) / 2
    cosine = np.cos(phi)
    dn = cosine / np.cos(phi_next - phi) if steps else np.ones_like(u)
    return np.tan(phi), dn / cosine, 1.0 / cosine


def inv_sqrt_quadrature(lower, upper, n_points):
    """Return shifts ``t_q`` and weights ``w_q`` with ``λ^{-1/2} ≈ Σ_q w_q / (λ + t_q)``.

    The rule holds on ``[lower, upper]``, so ``K^{-1/2} b ≈ Σ_q w_q (K + t_q I)⁻¹ b``
    for a symmetric ``K`` whose spectrum lies in that interval.

    Parameters
    ----------
    lower, upper : float
        Spectral interval, ``0 < lower <= upper``.
    n_points : int
        Number of quadrature nodes ``Q >= 1``.

    Returns
    -------
    shifts : ndarray, shape (n_points,)
        Positive shifts ``t_q``, increasing.
    weights : ndarray, shape (n_points,)
        Positive weights ``w_q``.

    Raises
    ------
    ValueError
        If the interval is empty, not positive or not finite.

    Notes
    -----
    Start from ``λ^{-1/2} = (2/π) ∫_0^∞ (t² + λ)^{-1} dt`` and substitute
    ``t = √λ_min · sc(u | m)`` with ``m = 1 - λ_min/λ_max``, ``u ∈ [0, K(m))``,
    ``dt = √λ_min · dc(u) nc(u) du``. The midpoint rule with ``Q`` nodes
    ``u_q = (q - 1/2) K(m) / Q`` gives

    .. math::

        t_q = λ_{min}\\, sc^2(u_q),\\qquad
        w_q = \\frac{2 K(m) \\sqrt{λ_{min}}}{π Q}\\, dc(u_q)\\, nc(u_q),

    whose relative error over ``[λ_min, λ_max]`` decays like
    ``exp(-2π² Q / (log(λ_max/λ_min) + c))`` with ``c`` of a few units. Measured
    maximum relative errors on 3,000 log-spaced points: 7e-11 (``Q = 15``) and 1e-15
    (``Q = 25``) for ``λ_max/λ_min = 1e4``, 3e-6 and 3e-10 for ``1e8``. The rule is
    exact for ``λ_min = λ_max``.

    References
    ----------
    .. [1] N. Hale, N. J. Higham and L. N. Trefethen, "Computing A^α, log(A), and
       related matrix functions by contour integrals", SIAM J. Numer. Anal. 46(5)
       (2008) 2505-2523. doi:10.1137/070700607
    .. [2] G. Pleiss, M. Jankowiak, D. Eriksson, A. Damle and J. R. Gardner,
       "Fast matrix square roots with applications to Gaussian processes and
       Bayesian optimization", NeurIPS (2020). arXiv:2006.11267
    """
    for name, value in (("lower", lower), ("upper", upper)):
        if not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    if upper < lower:
        raise ValueError(f"upper={upper!r} must be >= lower={lower!r}")
    n_points = check_count(n_points, "n_points")

    complementary = float(lower) / float(upper)
    quarter_period = ellipkm1(complementary)
    nodes = (np.arange(n_points) + 0.5) * quarter_period / n_points
    sc, dc, nc = jacobi_sc_dc_nc(nodes, complementary)
    shifts = float(lower) * sc**2
    weights = 2.0 * quarter_period * np.sqrt(float(lower)) / (np.pi * n_points) * dc * nc
    return shifts, weights
