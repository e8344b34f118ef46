r"""Sums of decaying exponentials fitted to Fourier coefficients (the Fourier side).

A periodic signal whose Fourier coefficients are, for :math:`k \ge 1`,

.. math::

    c_k = \sum_j a_j \zeta_j^k,\qquad c_{-k} = \sum_j b_j \eta_j^k,
    \qquad |\zeta_j|, |\eta_j| < 1,

is a trigonometric rational function (see `runtime.rational.trig_rational`):
each node is a pole, and :math:`|\zeta_j| = e^{-2\pi|\operatorname{Im} x_j|/L}`,
so slowly decaying terms are poles close to the real axis. `prony` finds the
nodes of such a sequence from a Hankel SVD (the shift-invariance, or ESPRIT,
form of Prony's method); `fit_fourier` applies it to the FFT of equispaced
samples and stops at the noise floor of the coefficients.
"""

import logging

import numpy as np
import scipy.linalg

from .barycentric import operator_index
from .noise import fourier_noise_floor

__all__ = ["ExpSum", "prony", "fit_fourier"]

logger = logging.getLogger(__name__)

# Default relative threshold on Hankel singular values for clean data. Rounding
# errors of double-precision coefficients give singular values near 1e-16
# sigma_1; 1e-13 leaves a margin of three digits above them.
DEFAULT_RTOL = 1e-13

# Hankel singular values of complex white noise with root mean square s fill
# the band up to about s*(sqrt(rows) + sqrt(columns)); the factor covers the
# extra growth of structured (Hankel) random matrices at the sizes used here.
NOISE_SINGULAR_FACTOR = 2.0

# The Hankel matrix has at most this many columns: the SVD then costs
# O(n * 256^2) for n coefficients, and fits with up to about 250 terms.
MAX_HANKEL_COLUMNS = 256

# Coefficients are kept up to the last one above this multiple of the noise
# floor; beyond it they carry no signal.
CHOP_FACTOR = 3.0

# Extra coefficients kept after the chop point, so that the Hankel matrix has
# rows beyond the last significant one.
CHOP_MARGIN = 16


def prony(sequence, *, rtol=None, noise_floor=0.0):
    r"""Fit :math:`h_k \approx \sum_j w_j \zeta_j^k`, :math:`k = 0..n-1`, by a Hankel SVD.

    Parameters
    ----------
    sequence : array_like, shape (n,)
        The samples :math:`h_k`, real or complex, at least 3.
    rtol : float, optional
        Singular values below ``rtol * sigma_1`` are dropped; default 1e-13.
    noise_floor : float, optional
        Root mean square :math:`s` of the noise in each :math:`h_k`; singular
        values below :math:`2 s (\sqrt{\text{rows}} + \sqrt{\text{columns}})`
        are dropped as noise. Default 0.

    Returns
    -------
    nodes, weights : ndarray
        :math:`\zeta_j` and :math:`w_j`, one entry per retained singular value,
        only nodes strictly inside the unit disk.

    Raises
    ------
    ValueError
        If fewer than 3 samples are given or they are not finite.

    Notes
    -----
    With :math:`p` columns the Hankel matrix :math:`H_{ik} = h_{i+k}` factors as
    :math:`V \operatorname{diag}(w) W^T` with Vandermonde factors, so its leading
    left singular vectors :math:`U` span the columns of :math:`V`, which are
    invariant under a shift: :math:`U_{1:} = U_{:-1}\Psi` and the nodes are
    the eigenvalues of :math:`\Psi` (ESPRIT). The weights solve the
    least-squares Vandermonde system on all :math:`n` samples. Nodes on or
    outside the unit circle do not decay and are dropped before that solve.

    References
    ----------
    .. [1] R. Roy and T. Kailath, "ESPRIT - estimation of signal parameters via
           rotational invariance techniques", IEEE Trans. Acoust. Speech Signal
           Process. 37 (1989), 984-995. :doi:`10.1109/29.32276`
    .. [2] G. Beylkin and L. Monzón, "On approximation of functions by
           exponential sums", Appl. Comput. Harmon. Anal. 19 (2005), 17-48.
           :doi:`10.1016/j.acha.2005.01.003`
    """
    h = np.asarray(sequence)
    if h.ndim != 1 or h.size < 3:
        raise ValueError(f"sequence must be 1-D with at least 3 samples, got shape {h.shape}.")
    if not np.all(np.isfinite(h)):
        raise ValueError("sequence must be finite; remove NaN or inf coefficients first.")
    rtol = DEFAULT_RTOL if rtol is None else float(rtol)
    h = h.astype(complex)
    n = h.size
    if not np.any(h):
        return np.zeros(0, dtype=complex), np.zeros(0, dtype=complex)

    # Step 1: tall Hankel matrix and its SVD.
    columns = min(n // 2 + 1, MAX_HANKEL_COLUMNS)
    rows = n - columns + 1
    hankel = scipy.linalg.hankel(h[:rows], h[rows - 1 :])
    u, s, _ = scipy.linalg.svd(hankel, full_matrices=False, check_finite=False)
    threshold = max(rtol * s[0], NOISE_SINGULAR_FACTOR * noise_floor * (np.sqrt(rows) + np.sqrt(columns)))
    rank = int(np.count_nonzero(s > threshold))
    rank = min(rank, columns - 1, rows - 1)
    if rank == 0:
        return np.zeros(0, dtype=complex), np.zeros(0, dtype=complex)

    # Step 2: nodes from the shift invariance of the leading left singular vectors.
    basis = u[:, :rank]
    shift = scipy.linalg.lstsq(basis[:-1], basis[1:], check_finite=False)[0]
    nodes = scipy.linalg.eigvals(shift, check_finite=False)
    decaying = np.abs(nodes) < 1.0
    if not np.all(decaying):
        logger.info("prony: dropped %d non-decaying nodes", int(np.count_nonzero(~decaying)))
    nodes = nodes[decaying]

    # Step 3: weights by least squares on the Vandermonde system.
    weights = fit_weights(h, nodes)
    return nodes, weights


def fit_weights(h, nodes):
    """Least-squares weights :math:`w` of :math:`h_k = \\sum_j w_j \\zeta_j^k`."""
    if nodes.size == 0:
        return np.zeros(0, dtype=complex)
    vandermonde = nodes[None, :] ** np.arange(h.size)[:, None]
    return scipy.linalg.lstsq(vandermonde, h, check_finite=False)[0]


class ExpSum:
    r"""Periodic signal given by exponential sums of its Fourier coefficients.

    :math:`c_0` = `constant`, :math:`c_k = \sum_j a_j\zeta_j^k` and
    :math:`c_{-k} = \sum_j b_j\eta_j^k` for :math:`k \ge 1`, plus an optional
    trigonometric polynomial :math:`d_{-P..P}` added to :math:`c_{-P..P}`.

    Parameters
    ----------
    constant : complex
        :math:`c_0` (without the polynomial part).
    nodes, weights : array_like
        :math:`\zeta_j` (inside the unit disk) and :math:`a_j`.
    negative_nodes, negative_weights : array_like
        :math:`\eta_j` and :math:`b_j`.
    period, start : float, optional
        Period :math:`L` (default 1) and base point :math:`a` (default 0); the
        signal is :math:`\sum_k c_k e^{2\pi i k (x - a)/L}`.
    polynomial : array_like, optional
        :math:`d_{-P}, \dots, d_P`.
    real : bool, optional
        The signal is real (then :math:`c_{-k} = \bar c_k`); values are
        returned real.
    """

    def __init__(self, constant, nodes, weights, negative_nodes, negative_weights, *,
                 period=1.0, start=0.0, polynomial=None, real=False):
        self.constant = complex(constant)
        self.nodes = np.atleast_1d(np.asarray(nodes, dtype=complex))
        self.weights = np.atleast_1d(np.asarray(weights, dtype=complex))
        self.negative_nodes = np.atleast_1d(np.asarray(negative_nodes, dtype=complex))
        self.negative_weights = np.atleast_1d(np.asarray(negative_weights, dtype=complex))
        self.period = float(period)
        self.start = float(start)
        self.polynomial = None if polynomial is None else np.asarray(polynomial, dtype=complex)
        self.real = bool(real)
        for name, node in (("nodes", self.nodes), ("negative_nodes", self.negative_nodes)):
            if np.any(np.abs(node) >= 1):
                raise ValueError(
                    f"{name} must lie inside the unit disk (decaying terms), got moduli "
                    f"{np.abs(node[np.abs(node) >= 1])[:3].tolist()}."
                )

    def coefficients(self, k):
        """Return :math:`c_k` for an integer array `k`."""
        k = np.asarray(k)
        flat = k.ravel()
        out = np.zeros(flat.size, dtype=complex)
        positive = flat > 0
        negative = flat < 0
        out[positive] = (self.nodes[None, :] ** flat[positive][:, None]) @ self.weights
        out[negative] = (self.negative_nodes[None, :] ** (-flat[negative])[:, None]) @ self.negative_weights
        out[flat == 0] = self.constant
        if self.polynomial is not None:
            degree = self.polynomial.size // 2
            inside = np.abs(flat) <= degree
            out[inside] += self.polynomial[flat[inside] + degree]
        return out.reshape(k.shape)

    def to_trig(self):
        """Convert to the pole–residue form (`runtime.rational.TrigRational`), exactly."""
        from .trig_rational import TrigRational

        scale = self.period / (2.0 * np.pi)
        poles = np.concatenate([
            self.start + 1j * scale * np.log(self.nodes),
            self.start - 1j * scale * np.log(self.negative_nodes),
        ])
        # Real parts are taken into the base period [a, a + L); cot is L-periodic.
        poles = self.start + np.mod(poles.real - self.start, self.period) + 1j * poles.imag
        residues = np.concatenate([1j * scale * self.weights, -1j * scale * self.negative_weights])
        signs = np.sign(poles.imag)
        constant = self.constant - 1j * np.pi / self.period * np.sum(signs * residues)
        return TrigRational(constant, poles, residues, self.period, self.start, self.polynomial, self.real)

    def __call__(self, x):
        """Evaluate the signal at `x`."""
        return self.to_trig()(x)

    def poles(self):
        """Return the poles :math:`x_j` of the time-side function."""
        return self.to_trig().poles

    def drop_terms(self, mask=None, negative_mask=None):
        """Return a copy without the terms where the masks are True (a pole filter)."""
        keep = np.ones(self.nodes.size, bool) if mask is None else ~np.asarray(mask, bool)
        keep_negative = (
            np.ones(self.negative_nodes.size, bool) if negative_mask is None
            else ~np.asarray(negative_mask, bool)
        )
        return ExpSum(
            self.constant, self.nodes[keep], self.weights[keep],
            self.negative_nodes[keep_negative], self.negative_weights[keep_negative],
            period=self.period, start=self.start, polynomial=self.polynomial, real=self.real,
        )

    def bandpass(self, low, high=None):
        r"""Return the signal with only the frequencies :math:`low \le |k| \le high`.

        With ``high=None`` (a high-pass) the exponential sums are kept and the
        polynomial part cancels :math:`|k| < low`; with a finite `high` the
        result is the trigonometric polynomial of the band. Both are exact.
        """
        low = operator_index(low, "low")
        if low < 0:
            raise ValueError(f"low must be >= 0, got {low}.")
        if high is not None:
            high = operator_index(high, "high")
            if high < low:
                raise ValueError(f"high must be >= low, got low={low}, high={high}.")
            k = np.arange(-high, high + 1)
            poly = np.where(np.abs(k) >= low, self.coefficients(k), 0)
            return ExpSum(0.0, [], [], [], [], period=self.period, start=self.start,
                          polynomial=poly, real=self.real)
        degree = max(low - 1, 0 if self.polynomial is None else self.polynomial.size // 2)
        k = np.arange(-degree, degree + 1)
        own = np.zeros(k.size, dtype=complex)
        if self.polynomial is not None:
            p = self.polynomial.size // 2
            own[degree - p : degree + p + 1] = self.polynomial
        # Keep the own polynomial for |k| >= low and cancel the sums below it.
        exp_part = self.coefficients(k) - own
        poly = np.where(np.abs(k) >= low, own, -exp_part)
        constant = self.constant if low == 0 else 0.0
        if low >= 1:
            poly[degree] = 0.0
        return ExpSum(constant, self.nodes, self.weights, self.negative_nodes,
                      self.negative_weights, period=self.period, start=self.start,
                      polynomial=poly, real=self.real)

    def derivative(self, order=1, *, rtol=None):
        r"""Return the derivative :math:`f^{(q)}` as a new fit.

        The coefficients :math:`(2\pi i k/L)^q c_k` of the derivative are no
        longer a plain exponential sum (:math:`k\zeta^k` is confluent), so they
        are sampled until they decay below `rtol` and refitted with `prony`.
        Each double pole of the derivative becomes a close pair of simple
        poles, so the refit keeps roughly half of the digits (relative error
        near 1e-8 in double precision); `TrigRational.derivative` evaluates the
        derivative exactly instead.
        """
        order = operator_index(order, "order")
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}.")
        factor = lambda k: (2j * np.pi * k / self.period) ** order  # noqa: E731
        return _refit(self, lambda k: factor(k) * _exp_part(self, k), rtol,
                      polynomial_map=lambda k, d: factor(k) * d)

    def convolve(self, other, *, rtol=None):
        r"""Return the periodic convolution :math:`(1/L)\int_0^L f(y) g(x - y)\,dy`.

        Its coefficients are :math:`c_k d_k`; the exponential parts multiply
        exactly (nodes :math:`\zeta_i\xi_j`, weights :math:`a_i b_j`) and the
        :math:`nm` terms are compressed back with `prony`.
        """
        _check_same_grid(self, other)
        return _refit(self, lambda k: _exp_part(self, k) * _exp_part(other, k), rtol,
                      constant=self.constant * other.constant,
                      polynomial_full=lambda k: self.coefficients(k) * other.coefficients(k)
                      - _exp_part(self, k) * _exp_part(other, k),
                      real=self.real and other.real, other=other)

    def multiply(self, other):
        """Return the pointwise product, computed exactly on the time side."""
        _check_same_grid(self, other)
        return self.to_trig().multiply(other.to_trig()).to_expsum()


def _exp_part(signal, k):
    """Coefficients of the exponential sums alone (no constant, no polynomial)."""
    k = np.asarray(k)
    out = np.zeros(k.shape, dtype=complex)
    positive = k > 0
    negative = k < 0
    out[positive] = (signal.nodes[None, :] ** k[positive][:, None]) @ signal.weights
    out[negative] = (signal.negative_nodes[None, :] ** (-k[negative])[:, None]) @ signal.negative_weights
    return out


def _decay_length(signal, rtol, other=None):
    """Number of coefficients after which every exponential term is below `rtol`."""
    moduli = np.concatenate([np.abs(signal.nodes), np.abs(signal.negative_nodes)])
    if other is not None:
        moduli = np.concatenate([moduli, np.abs(other.nodes), np.abs(other.negative_nodes)])
    if moduli.size == 0:
        return 8
    slowest = float(np.max(moduli))
    length = int(np.ceil(np.log(rtol) / np.log(slowest))) + CHOP_MARGIN if slowest > 0 else 8
    return min(max(length, 8), MAX_REFIT_LENGTH)


# Refits of derived signals sample at most this many coefficients per side.
MAX_REFIT_LENGTH = 20000


def _refit(signal, exp_coefficients, rtol, *, constant=0.0, polynomial_map=None,
           polynomial_full=None, real=None, other=None):
    rtol = DEFAULT_RTOL if rtol is None else float(rtol)
    length = _decay_length(signal, rtol * 1e-3, other)
    k = np.arange(1, length + 1)
    positive = exp_coefficients(k)
    negative = exp_coefficients(-k)
    # The fitted sequences start at k = 1: h_i = c_{i+1}, so a_j = w_j / zeta_j.
    nodes, weights = prony(positive, rtol=rtol)
    negative_nodes, negative_weights = prony(negative, rtol=rtol)
    polynomial = None
    if polynomial_full is not None:
        degree = max(
            0 if signal.polynomial is None else signal.polynomial.size // 2,
            0 if other is None or other.polynomial is None else other.polynomial.size // 2,
        )
        if degree > 0:
            kk = np.arange(-degree, degree + 1)
            polynomial = polynomial_full(kk)
            polynomial[degree] = 0.0
    elif polynomial_map is not None and signal.polynomial is not None:
        degree = signal.polynomial.size // 2
        polynomial = polynomial_map(np.arange(-degree, degree + 1), signal.polynomial)
    return ExpSum(
        constant, nodes, _shift_weights(nodes, weights), negative_nodes,
        _shift_weights(negative_nodes, negative_weights), period=signal.period,
        start=signal.start, polynomial=polynomial, real=signal.real if real is None else real,
    )


def _shift_weights(nodes, weights):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(nodes != 0, weights / nodes, 0)


def _check_same_grid(first, second):
    if first.period != second.period or first.start != second.start:
        raise ValueError(
            "both signals must share period and start, got "
            f"({first.period}, {first.start}) and ({second.period}, {second.start})."
        )


def fit_fourier(samples, *, period=1.0, start=0.0, rtol=None, noise="auto"):
    r"""Fit an `ExpSum` to equispaced samples of a periodic signal.

    Parameters
    ----------
    samples : array_like, shape (N,)
        Values at :math:`x_n = a + nL/N`, :math:`n = 0..N-1`, at least 16,
        all finite (use `TrigAAA` for missing or irregular samples).
    period, start : float, optional
        :math:`L` (default 1) and :math:`a` (default 0).
    rtol : float, optional
        Relative singular-value threshold for clean data; default 1e-13.
    noise : {"auto", None} or float, optional
        ``"auto"`` (default) estimates the noise floor of the coefficients from
        their plateau (see `runtime.rational.noise`) and drops what lies below
        it; a float is a known standard deviation :math:`\sigma` of the samples
        (coefficient floor :math:`\sigma/\sqrt N`); None disables it.

    Returns
    -------
    ExpSum
        The fit; its attribute ``noise_level`` holds the sample noise
        :math:`\sigma` used (0 when none) and ``n_coefficients`` the number of
        coefficients per side that entered the fit.

    Raises
    ------
    ValueError
        If fewer than 16 samples are given, some are not finite, or `period`
        is not positive.

    Notes
    -----
    The coefficients :math:`\hat c_k` of the FFT (divided by :math:`N`) alias:
    :math:`\hat c_k = \sum_p c_{k + pN}`, which for a decaying exponential term
    multiplies its weight by :math:`1/(1 - \zeta^N)`; the fitted weights are
    corrected by that factor. Only :math:`|k| < N/2` enters.
    """
    y = np.asarray(samples)
    if y.ndim != 1 or y.size < 16:
        raise ValueError(f"samples must be 1-D with at least 16 values, got shape {y.shape}.")
    if not np.all(np.isfinite(y)):
        raise ValueError(
            "samples must be finite; fit_fourier needs a complete equispaced grid, "
            "use TrigAAA for data with gaps."
        )
    if not float(period) > 0:
        raise ValueError(f"period must be positive, got {period!r}.")
    real = np.isrealobj(y)
    n_samples = y.size
    c = np.fft.fft(y) / n_samples
    half = (n_samples - 1) // 2
    positive = c[1 : half + 1]
    negative = c[::-1][: half]

    # Step 1: noise floor of the coefficients and the chop point.
    magnitudes = np.maximum(np.abs(positive), np.abs(negative))
    if noise is None:
        floor = 0.0
    elif isinstance(noise, str) and noise == "auto":
        estimate = fourier_noise_floor(magnitudes)
        scale = float(np.max(np.abs(c))) if np.any(c) else 1.0
        floor = estimate.sigma if estimate.is_noise and estimate.sigma > 1e3 * np.finfo(float).eps * scale else 0.0
    else:
        floor = float(noise) / np.sqrt(n_samples)
    if floor > 0:
        above = np.nonzero(magnitudes > CHOP_FACTOR * floor)[0]
        length = int(above[-1]) + 1 + CHOP_MARGIN if above.size else CHOP_MARGIN
        length = min(max(length, 8), half)
    else:
        length = half

    # Step 2: Prony on each side; the sequences start at k = 1.
    nodes, weights = prony(positive[:length], rtol=rtol, noise_floor=floor)
    if real:
        negative_nodes, negative_weights = nodes.conj(), weights.conj()
    else:
        negative_nodes, negative_weights = prony(negative[:length], rtol=rtol, noise_floor=floor)
    weights = _shift_weights(nodes, weights)
    negative_weights = _shift_weights(negative_nodes, negative_weights)

    # Step 3: undo aliasing of the weights and of the mean.
    weights = weights * (1.0 - nodes**n_samples)
    negative_weights = negative_weights * (1.0 - negative_nodes**n_samples)
    constant = c[0] - np.sum(weights * nodes**n_samples / (1.0 - nodes**n_samples)) - np.sum(
        negative_weights * negative_nodes**n_samples / (1.0 - negative_nodes**n_samples)
    )
    if real:
        constant = constant.real
    fit = ExpSum(constant, nodes, weights, negative_nodes, negative_weights,
                 period=period, start=start, real=real)
    fit.noise_level = floor * np.sqrt(n_samples)
    fit.n_coefficients = length
    logger.info(
        "fit_fourier: %d samples, %d coefficients used, %d terms, noise %.3g",
        n_samples, length, nodes.size, fit.noise_level,
    )
    return fit
