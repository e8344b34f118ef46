r"""Noise-floor estimates that let the fitting routines stop at the noise level.

Two rules, one for each side of a signal:

Difference rule (time/value side, used by `AAA` and `TrigAAA`)
    Before fitting, the noise level is estimated from the :math:`k`-th
    differences (:math:`k = 3`) of the values taken in the order of the sample
    points along their curve (sorted for real points, as given for complex
    ones). For a smooth function sampled densely the differences of the signal
    are :math:`O(h^k)`, while white noise of variance :math:`\sigma^2` gives
    differences of variance :math:`\binom{2k}{k}\sigma^2` whose lag-one
    autocorrelation is exactly :math:`-k/(k+1)`. Hence

    .. math::

        \hat\sigma = \frac{1.4826\,\operatorname{median}|\Delta^k f - \operatorname{median}\Delta^k f|}
                          {\sqrt{\binom{2k}{k}}},

    and the estimate is accepted as noise only when the sample autocorrelation
    of :math:`\Delta^k f` is within :math:`4/\sqrt{n}` of :math:`-k/(k+1)`. On
    irregular grids the differences are divided differences scaled to
    unit-norm stencils, and the expected correlation is the mean overlap of
    neighbouring stencils. The
    median makes the estimate insensitive to a few jumps or kinks. Data that
    are under-resolved (differences dominated by the signal) give a
    correlation near :math:`+1` and no noise is reported; clean resolved data
    report rounding-level noise, far below any tolerance. The fits apply the
    same rule to their residual once the error stagnates, which detects noise
    on signals too rough for the rule on the raw data.

    The fit then follows the discrepancy principle: it stops at the first step
    whose residual has a robust scale below :math:`1.1\,\hat\sigma`, so that the
    unresolved remainder is below about :math:`0.46\,\hat\sigma`.

Plateau rule (Fourier side, used by `fit_fourier`)
    The coefficients of white noise of variance :math:`\sigma^2` sampled at
    :math:`N` points are complex Gaussian with :math:`E|c_k|^2 = s^2 = \sigma^2/N`,
    so :math:`|c_k|` has median :math:`s\sqrt{\ln 2}`. The floor :math:`s` is
    estimated from the median of the last quarter of the coefficients, and it
    is accepted only when the third quarter has a median within a factor 2 of
    it (a flat plateau); a still-decaying tail means the data are resolved
    down to rounding and no noise floor is reported. Coefficients below three
    times the floor are cut off and Hankel singular values below the noise
    band are dropped (see `runtime.rational.prony`).
"""

from math import comb

import numpy as np

__all__ = ["NoiseEstimate", "difference_noise", "fourier_noise_floor", "robust_sigma"]

# 1/Phi^{-1}(3/4): turns a median absolute deviation into a Gaussian standard deviation.
MAD_TO_SIGMA = 1.4826

# Fewer samples than this give a lag-one autocorrelation with standard
# deviation above 1/sqrt(32) = 0.18, too coarse to tell noise from signal.
MIN_NOISE_SAMPLES = 32

# Order k of the differences: third differences remove a locally quadratic
# signal, and their noise gain binom(6, 3) = 20 is still moderate.
DIFFERENCE_ORDER = 3

# Tolerance on the autocorrelation of the differences, in units of 1/sqrt(n).
# The differences of white noise form a moving average whose sample
# autocorrelation has a standard deviation somewhat above 1/sqrt(n).
WHITENESS_SIGMAS = 4.0

# Differences farther than this many of their own sigmas from the median are
# left out of the autocorrelation (2.5 keeps 98.8 % of Gaussian samples).
PAIR_BOUND = 2.5

# Median of a Rayleigh variable |c| with E|c|^2 = s^2 is s*sqrt(ln 2).
RAYLEIGH_MEDIAN = np.sqrt(np.log(2.0))

# A tail whose third-quarter median exceeds its last-quarter median by more than
# this factor is still decaying, not a noise plateau.
PLATEAU_RATIO = 2.0

# At least this many coefficients are needed to split the tail into quarters.
MIN_PLATEAU_COEFFS = 16


class NoiseEstimate:
    """Outcome of a noise test.

    Attributes
    ----------
    sigma : float
        Estimated standard deviation of the noise (per sample).
    is_noise : bool
        True when the tested sequence looks like white noise.
    autocorrelation : float
        Lag-one autocorrelation (NaN for the Fourier rule).
    """

    def __init__(self, sigma, is_noise, autocorrelation=float("nan")):
        self.sigma = float(sigma)
        self.is_noise = bool(is_noise)
        self.autocorrelation = float(autocorrelation)

    def __repr__(self):
        return (
            f"NoiseEstimate(sigma={self.sigma:.3g}, is_noise={self.is_noise}, "
            f"autocorrelation={self.autocorrelation:.3g})"
        )


def robust_sigma(values):
    """Return the MAD estimate of the standard deviation, summed over real components."""
    values = np.asarray(values)
    if np.iscomplexobj(values):
        return float(np.hypot(robust_sigma(values.real), robust_sigma(values.imag)))
    return float(MAD_TO_SIGMA * np.median(np.abs(values - np.median(values))))


def difference_noise(values, points=None):
    """Estimate the noise level of samples from their differences (the difference rule).

    Parameters
    ----------
    values : ndarray, shape (M,)
        Sample values in the order of the points along their curve.
    points : ndarray, shape (M,), optional
        The sample points in the same order. With points, each difference is
        the divided difference of order :math:`k` on :math:`k + 1` neighbours,
        scaled to a stencil of unit norm; that removes the signal to
        :math:`O(h^k)` on irregular grids too, where plain differences of
        unevenly spaced smooth data do not vanish. Default: equispaced.

    Returns
    -------
    NoiseEstimate
        ``is_noise`` is False when fewer than `MIN_NOISE_SAMPLES` values are
        given, the differences vanish, or they are not white.
    """
    values = np.asarray(values)
    if values.size < MIN_NOISE_SAMPLES:
        return NoiseEstimate(0.0, False)
    stencils = _unit_stencils(values.size, points)
    windows = np.lib.stride_tricks.sliding_window_view(values, DIFFERENCE_ORDER + 1)
    differences = np.sum(windows * stencils, axis=1)
    sigma = robust_sigma(differences)
    if sigma == 0.0:
        return NoiseEstimate(0.0, False)

    # White noise gives differences with unit-norm stencils of variance sigma^2
    # and a lag-one correlation equal to the overlap of neighbouring stencils
    # (conjugated like the vdot below, so complex stencils give its real part).
    overlap = np.sum(np.conj(stencils[:-1, 1:]) * stencils[1:, :-1], axis=1)

    # Differences beyond a few sigmas (jumps, kinks) are left out of the correlation.
    inlier = np.abs(differences - np.median(differences)) <= PAIR_BOUND * sigma
    pairs = inlier[:-1] & inlier[1:]
    if np.count_nonzero(pairs) < MIN_NOISE_SAMPLES:
        return NoiseEstimate(sigma, False)
    left = differences[:-1][pairs]
    right = differences[1:][pairs]
    left = left - np.mean(left)
    right = right - np.mean(right)
    rho = float(np.vdot(left, right).real) / float(np.linalg.norm(left) * np.linalg.norm(right))
    expected = float(np.mean(overlap[pairs]).real)
    white = abs(rho - expected) <= WHITENESS_SIGMAS / np.sqrt(left.size)
    return NoiseEstimate(sigma, white, rho)


def _unit_stencils(size, points):
    """Return the divided-difference stencils of order k, each scaled to unit norm."""
    order = DIFFERENCE_ORDER
    if points is None:
        stencil = np.array([(-1.0) ** (order - j) * comb(order, j) for j in range(order + 1)])
        return np.broadcast_to(stencil / np.linalg.norm(stencil), (size - order, order + 1))
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(points), order + 1)
    gaps = windows[:, :, None] - windows[:, None, :]
    gaps[:, np.arange(order + 1), np.arange(order + 1)] = 1.0
    stencils = 1.0 / np.prod(gaps, axis=2)
    norms = np.linalg.norm(stencils, axis=1, keepdims=True)
    # Stencils are conjugated for complex points so that sum(stencil * f) keeps
    # unit gain for noise; real stencils are unchanged.
    return np.conj(stencils / norms)


def fourier_noise_floor(magnitudes):
    """Estimate the noise floor of Fourier coefficient magnitudes (the plateau rule).

    Parameters
    ----------
    magnitudes : ndarray, shape (K,)
        :math:`|c_k|` for :math:`k = 1, \\dots, K` in increasing order of :math:`k`.

    Returns
    -------
    NoiseEstimate
        ``sigma`` is the per-coefficient floor :math:`s` (root mean square of a
        noise coefficient), and ``is_noise`` is True when the tail is a flat plateau.
    """
    magnitudes = np.asarray(magnitudes, dtype=float)
    size = magnitudes.size
    if size < MIN_PLATEAU_COEFFS:
        return NoiseEstimate(0.0, False)
    quarter = size // 4
    last = np.median(magnitudes[size - quarter :]) / RAYLEIGH_MEDIAN
    third = np.median(magnitudes[size - 2 * quarter : size - quarter]) / RAYLEIGH_MEDIAN
    flat = third <= PLATEAU_RATIO * last and last > 0
    return NoiseEstimate(last, flat)
