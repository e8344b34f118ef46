r"""AAA for periodic data: trigonometric barycentric interpolants on any grid."""

import logging
import math
import warnings

import numpy as np
import scipy.linalg

from .aaa import (
    DEFAULT_RTOL,
    DOUBLET_GAP_RTOL,
    ROUNDING_NOISE_RTOL,
    STAGNATION_RATIO,
    _check_noise,
    smallest_singular_vector,
)
from .barycentric import (
    barycentric_residues,
    barycentric_taylor,
    operator_index,
    pencil_eigenvalues,
)
from .exceptions import ConvergenceWarning
from .noise import difference_noise, robust_sigma
from .samples import clean_samples
from .trig_rational import TrigRational, _stirling_row
from .updated_qr import UpdatedQR

__all__ = ["TrigAAA"]

logger = logging.getLogger(__name__)

# A pole with |Im x| below this fraction of the period is on the real axis,
# where a finite periodic signal has none: it is always spurious.
REAL_POLE_RTOL = 1e-9

# Noise handling mirrors AAA: discrepancy factor on the robust residual scale.
DISCREPANCY_FACTOR = 1.1

# Spurious-pole removal is repeated at most this many times.
MAX_CLEANUP_PASSES = 3

# With noise detected, a pole whose effect |residue| / max(distance, spacing) is
# below this multiple of sigma is not supported by the data (see AAA).
NOISE_CLEANUP_FACTOR = 4.0


def _kernel(t, nodes, odd):
    """cot (even number of nodes) or csc (odd) of pi*(t - t_j), with inf at t = t_j."""
    angle = np.pi * np.subtract.outer(t, nodes)
    with np.errstate(divide="ignore", invalid="ignore"):
        if odd:
            return 1.0 / np.sin(angle)
        return np.cos(angle) / np.sin(angle)


class TrigAAA:
    r"""Trigonometric AAA fit of periodic samples on any (perturbed, incomplete) grid.

    Parameters
    ----------
    x : array_like, shape (n,)
        Sample points (real, finite). Points are reduced modulo the period;
        points that coincide after that are merged (`DataWarning`).
    y : array_like, shape (n,)
        Values, real or complex; NaN or infinite values are dropped
        (`DataWarning`), which is how missing data are passed.
    period : float, optional
        Period :math:`L > 0`; default 1.
    start : float, optional
        Left end :math:`a` of the base period; default 0.
    rtol : float, optional
        Relative tolerance on :math:`\max|f - r|`; default ``eps**0.75``.
    max_terms : int, optional
        Maximum number of support points; default 101 (odd, see Notes).
    form : {"balanced", "proper"}, optional
        ``"balanced"`` (default) stops at an odd number :math:`m = 2n + 1` of
        support points with the cosecant form, a type :math:`(n, n)` trigonometric
        rational with no constraint. ``"proper"`` reproduces the degree
        constraint of Wilber, Damle and Townsend: the data mean is removed, the
        cotangent form with an even :math:`m = 2n` is used and the weights are
        constrained by :math:`\sum_j w_j f_j = 0`, giving type :math:`(n - 1, n)`
        plus the mean.
    clean_up : bool, optional
        Remove spurious poles (real poles, Froissart doublets); default True.
    clean_up_tol : float, optional
        Residue threshold relative to ``max|f|`` (distance-normalised as in
        `AAA`); default 1e-13.
    noise : {"auto", None} or float, optional
        As in `AAA`: ``"auto"`` estimates the noise from differences of the
        values along the sorted points and stops at its level.

    Attributes
    ----------
    support_points, support_values, weights : ndarray
        Barycentric data; `support_points` are in :math:`[a, a + L)`.
    errors : ndarray
        Maximum error on the samples after each step.
    converged : bool
        Tolerance or noise level reached.
    noise_level : float or None
        Noise standard deviation the fit stopped at.
    n_spurious_removed : int
        Support points removed by the clean-up.

    Raises
    ------
    TypeError, ValueError
        For bad input, as in `AAA`; also for a complex `x`, a non-positive
        `period` or an unknown `form`.

    Warns
    -----
    ConvergenceWarning
        When `rtol` is not reached in `max_terms` steps.
    DataWarning
        When samples are dropped or merged.

    Notes
    -----
    With :math:`t = (x - a)/L` and :math:`m` support points :math:`t_j`,

    .. math::

        r(x) = \frac{\sum_j w_j f_j \phi(\pi(t - t_j))}{\sum_j w_j \phi(\pi(t - t_j))},
        \qquad \phi = \csc \ (m \text{ odd}),\quad \phi = \cot\ (m \text{ even}).

    In :math:`z = e^{2\pi i t}`,
    :math:`\csc(\pi(t - t_j)) = 2i e^{i\pi t} e^{i\pi t_j}/(z - z_j)` and the common
    factor cancels, so the odd form is the classical barycentric form in
    :math:`z` with weights :math:`w_j e^{i\pi t_j}`: type :math:`(m-1, m-1)` in
    :math:`z`, i.e. a trigonometric rational of degree :math:`(n, n)`, real on
    the real axis for real data and real weights. The even form,
    :math:`\cot(\pi(t - t_j)) = i(1 + 2z_j/(z - z_j))`, forces
    :math:`r(+i\infty) = r(-i\infty)`; the "proper" constraint then makes both
    zero. Weights are chosen greedily as in `AAA`, with the Loewner matrices of
    both forms kept as updated QR factorisations. Poles, residues and roots come
    from the arrowhead pencil in :math:`z`, mapped back by
    :math:`x = a + L\log(z)/(2\pi i)`; residues in :math:`x` are
    :math:`L\,\mathrm{Res}_z/(2\pi i z)`.

    Clean-up removes real poles, poles whose distance-normalised residue is
    below ``clean_up_tol * max|f|`` and pole–zero pairs, two support points at
    a time so that the form keeps its parity, then refits the weights.

    References
    ----------
    .. [1] H. Wilber, A. Damle and A. Townsend, "Data-driven algorithms for
           signal processing with trigonometric rational functions", SIAM J.
           Sci. Comput. 44 (2022), C185-C209. :doi:`10.1137/21M1420277`
    .. [2] P. J. Baddoo, "The AAAtrig algorithm for rational approximation of
           periodic functions", SIAM J. Sci. Comput. 43 (2021), A3372-A3392.
           :doi:`10.1137/20M1359316`
    """

    def __init__(self, x, y, *, period=1.0, start=0.0, rtol=None, max_terms=101,
                 form="balanced", clean_up=True, clean_up_tol=1e-13, noise="auto"):
        max_terms = operator_index(max_terms, "max_terms")
        if max_terms < 1:
            raise ValueError(f"max_terms must be >= 1, got {max_terms}; pass a positive integer.")
        if form not in ("balanced", "proper"):
            raise ValueError(f"form must be 'balanced' or 'proper', got {form!r}.")
        period = float(period)
        if not period > 0:
            raise ValueError(f"period must be positive, got {period!r}.")
        rtol = DEFAULT_RTOL if rtol is None else float(rtol)
        if not rtol >= 0:
            raise ValueError(f"rtol must be a non-negative float, got {rtol!r}.")
        noise = _check_noise(noise)
        if np.iscomplexobj(np.asarray(x)):
            raise ValueError("x must be real for a periodic fit, got complex values; pass the sample times.")

        self.period = period
        self.start = float(start)
        self.form = form
        # Validate first, then reduce modulo the period; points that coincide
        # only after the reduction are merged by the second pass.
        x, y = clean_samples(x, y)
        t, f = clean_samples(np.mod((x - self.start) / period, 1.0), y, x_name="x mod period")
        self._t = t
        self._values = f
        self.real = not np.iscomplexobj(f)

        self.offset = float(np.mean(f).real) if (form == "proper" and self.real) else (
            np.mean(f) if form == "proper" else 0.0
        )
        g = f - self.offset
        scale = float(np.max(np.abs(f))) if f.size else 0.0
        target = rtol * scale
        order = np.argsort(t, kind="stable")

        sigma = 0.0
        if noise is not None:
            if isinstance(noise, float):
                sigma = noise
            else:
                estimate = difference_noise(g[order], t[order])
                expected_max = math.sqrt(2 * math.log(max(g.size, 2))) + 1
                if (estimate.is_noise and estimate.sigma > ROUNDING_NOISE_RTOL * scale
                        and expected_max * estimate.sigma > target):
                    sigma = estimate.sigma
        result = _greedy_trig(t, g, target, max_terms, sigma, order, form, detect=noise == "auto")
        self.errors = result["errors"]
        self.converged = result["converged"]
        self.noise_level = result["sigma"] if result["stopped_at_noise"] else None
        support, weights = result["support"], result["weights"]

        if not self.converged and self.noise_level is None:
            warnings.warn(
                ConvergenceWarning(
                    f"TrigAAA did not reach rtol={rtol:.3g} (error {self.errors[-1]:.3g}, target "
                    f"{target:.3g}) in max_terms={max_terms} steps; raise max_terms or rtol.",
                    iterations=len(self.errors), error=float(self.errors[-1]), target=target,
                    knob="max_terms",
                ),
                stacklevel=2,
            )

        self.n_spurious_removed = 0
        if self.noise_level is not None and support.size > 1:
            support, weights, g_smooth = self._denoise(t, g, support, weights, order, target, max_terms)
            self.n_spurious_removed = self._n_pruned
            g = g_smooth
        if clean_up and support.size > 2 and self.noise_level is None:
            threshold = clean_up_tol * scale
            noise_threshold = NOISE_CLEANUP_FACTOR * self.noise_level if self.noise_level else 0.0
            support, weights, removed = _clean_up_trig(
                t, g, support, weights, threshold, noise_threshold, form, self.real
            )
            self.n_spurious_removed = removed

        self._support_t = t[support]
        self.support_points = self.start + period * self._support_t
        self.support_values = g[support] + self.offset
        self._g_support = g[support]
        self.weights = weights
        self.max_error = float(np.max(np.abs(self(self.start + period * t) - f))) if t.size else 0.0
        logger.debug(
            "TrigAAA: %d samples, %d support points, error %.3g, noise %s, %d removed",
            t.size, weights.size, self.max_error, self.noise_level, self.n_spurious_removed,
        )

    def _denoise(self, t, g, support, weights, order, target, max_terms):
        """Prune poles the noisy data cannot support, refit residues, re-interpolate.

        Same procedure as `AAA` with noise: least-squares residues of the
        pole-residue form for the poles of the greedy fit, pruning of poles
        closer to the axis than the sample spacing or with an effect below
        `NOISE_CLEANUP_FACTOR` sigma, then a noise-free greedy run on the
        smoothed values.
        """
        probe = _Probe(t[support], g[support], weights)
        poles, _, _ = probe.poles_residues_roots()
        spacing = float(np.median(np.diff(np.sort(t)))) if t.size > 1 else 1.0
        for _ in range(10):
            constant, residues = _fit_cot_residues(t, g, poles)
            distance = np.abs(poles.imag)
            effect = np.abs(residues) / np.maximum(distance, spacing)
            keep = (distance >= spacing) & (effect >= NOISE_CLEANUP_FACTOR * self.noise_level)
            if np.all(keep):
                break
            poles = poles[keep]
        constant, residues = _fit_cot_residues(t, g, poles)
        self._n_pruned = int(support.size - 1 - poles.size)
        smooth = constant + _cot_basis(t, poles) @ residues
        if self.real:
            smooth = smooth.real
        refit = _greedy_trig(t, smooth, target, max_terms, 0.0, order, self.form)
        return refit["support"], refit["weights"], smooth

    # Representation in z = exp(2 pi i t) as a generalised barycentric form.
    def _z_form(self):
        t = self._support_t
        nodes = np.exp(2j * np.pi * t)
        w = self.weights.astype(complex)
        if self.weights.size % 2 == 1:
            return nodes, self._g_support, w * np.exp(1j * np.pi * t), 0.0, 0.0
        beta = 2.0 * w * nodes
        return nodes, self._g_support, beta, complex(np.sum(w * self._g_support)), complex(np.sum(w))

    def _to_t(self, x):
        return (np.asarray(x) - self.start) / self.period

    def __call__(self, x):
        """Evaluate the fit at real or complex `x` (any shape; exact at support points)."""
        x = np.asarray(x)
        t = self._to_t(x).ravel()
        odd = self.weights.size % 2 == 1
        kernel = _kernel(np.mod(t.real, 1.0) + 1j * t.imag if np.iscomplexobj(t) else np.mod(t, 1.0),
                         self._support_t, odd)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = (kernel @ (self.weights * self._g_support)) / (kernel @ self.weights)
        hit_row, hit_col = np.nonzero(~np.isfinite(kernel))
        if hit_row.size:
            values = values.astype(np.result_type(values, self._g_support), copy=False)
            values[hit_row] = self._g_support[hit_col]
        values = values + self.offset
        if self.real and np.isrealobj(x) and np.iscomplexobj(values):
            values = values.real
        return values.reshape(x.shape)

    def poles(self):
        """Return the poles :math:`x_j`, real parts in :math:`[a, a + L)`."""
        nodes, _, beta, _, b = self._z_form()
        return self._x_from_z(pencil_eigenvalues(nodes, beta, b))

    def roots(self):
        """Return the roots :math:`x` with :math:`r(x) = 0`, real parts in :math:`[a, a + L)`."""
        nodes, values, beta, a, b = self._z_form()
        # r = 0 means g = -offset: the numerator of g + offset is n + offset * d.
        return self._x_from_z(pencil_eigenvalues(nodes, beta * (values + self.offset), a + self.offset * b))

    def _x_from_z(self, z):
        z = z[np.abs(z) > 0]
        t = np.log(z) / (2j * np.pi)
        t = np.mod(t.real, 1.0) + 1j * t.imag
        return self.start + self.period * t

    def residues(self):
        """Return the residues at `poles` (in the variable :math:`x`)."""
        nodes, values, beta, a, b = self._z_form()
        z_poles = pencil_eigenvalues(nodes, beta, b)
        z_poles = z_poles[np.abs(z_poles) > 0]
        res_z = barycentric_residues(z_poles, nodes, values, beta, a)
        return self.period * res_z / (2j * np.pi * z_poles)

    def derivative(self, x, order=1):
        r"""Evaluate :math:`r^{(k)}(x)` for real or complex `x`.

        Uses :math:`d^k/dx^k = (2\pi i/L)^k\sum_{m=1}^k S(k, m) z^m d^m/dz^m` with
        the Schneider–Werner derivatives of the form in :math:`z`.
        """
        order = operator_index(order, "order")
        if order < 0:
            raise ValueError(f"order must be >= 0, got {order}.")
        if order == 0:
            return self(x)
        x = np.asarray(x)
        z = np.exp(2j * np.pi * self._to_t(x).ravel())
        nodes, values, beta, a, b = self._z_form()
        taylor = barycentric_taylor(z, nodes, values, beta, order, a, b)
        stirling = _stirling_row(order)
        total = np.zeros(z.size, dtype=complex)
        for m in range(1, order + 1):
            total += stirling[m] * math.factorial(m) * z**m * taylor[m]
        result = (2j * np.pi / self.period) ** order * total
        if self.real and np.isrealobj(x):
            result = result.real
        return result.reshape(x.shape)

    def to_trig(self):
        """Return the pole–residue form (`TrigRational`); exact for simple poles."""
        nodes, values, beta, a, b = self._z_form()
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.weights.size % 2 == 1:
                at_infinity = np.sum(beta * values) / np.sum(beta)
                at_zero = np.sum(beta * values / nodes) / np.sum(beta / nodes)
            else:
                at_infinity = at_zero = a / b
        constant = 0.5 * (at_infinity + at_zero) + self.offset
        return TrigRational(constant, self.poles(), self.residues(), self.period, self.start,
                            None, self.real)

    def to_expsum(self):
        """Return the Fourier-side form (`ExpSum`)."""
        return self.to_trig().to_expsum()

    def integral(self, lower=None, upper=None):
        """Return :math:`\\int r` over one period (default) or over [lower, upper]."""
        return self.to_trig().integral(lower, upper)

    def antiderivative(self):
        """Return :math:`F(x) = \\int_a^x r`; periodic when the mean vanishes."""
        return self.to_trig().antiderivative()


def _cot_basis(t, poles):
    """Columns pi*cot(pi*(t - p_j)) (residue 1 at each pole, period 1)."""
    angle = np.pi * np.subtract.outer(t, poles)
    return np.pi * np.cos(angle) / np.sin(angle)


def _fit_cot_residues(t, g, poles):
    r"""Least-squares constant and residues of :math:`C + \sum_j \rho_j\pi\cot(\pi(t - p_j))`."""
    basis = np.column_stack([np.ones(t.size, dtype=complex), _cot_basis(t, poles)])
    norms = np.linalg.norm(basis, axis=0)
    coefficients = scipy.linalg.lstsq(basis / norms, g.astype(complex), check_finite=False)[0] / norms
    return coefficients[0], coefficients[1:]


def _trig_weights(qr, g_support, constraint):
    """Smallest singular vector, optionally in the null space of `constraint`."""
    if constraint is None:
        return smallest_singular_vector(qr.r)
    v = np.asarray(constraint).reshape(-1, 1)
    if not np.any(v):
        return smallest_singular_vector(qr.r)
    q, _ = scipy.linalg.qr(v)
    null = q[:, 1:]
    omega = smallest_singular_vector(qr.r @ null)
    return null @ omega


def _greedy_trig(t, g, target, max_terms, sigma, order, form, detect=False):
    n_samples = t.size
    dtype = np.result_type(g, 1.0)

    # State: one factorised Loewner matrix per kernel, support bookkeeping.
    factor = {True: UpdatedQR(n_samples, dtype), False: UpdatedQR(n_samples, dtype)}
    kernels = {True: [], False: []}
    is_support = np.zeros(n_samples, dtype=bool)
    support = []
    weights = np.ones(1)
    errors, converged, stopped_at_noise = [], False, False
    scales = []
    g_scale = float(np.max(np.abs(g))) if n_samples else 0.0
    residual = g - np.mean(g) if form == "balanced" else g.copy()
    limit = min(max_terms, n_samples)

    for step in range(limit):
        # Step 1: new support point where the residual is largest.
        candidates = np.where(is_support, -1.0, np.abs(residual))
        new = int(np.argmax(candidates))
        support.append(new)
        is_support[new] = True
        for odd in (True, False):
            factor[odd].delete_row(new)
            column = _kernel(t, np.array([t[new]]), odd)[:, 0]
            column[is_support] = 0
            kernels[odd].append(column)
            factor[odd].append_column((g - g[new]) * column)

        # Step 2: weights in the kernel of the current parity.
        m = step + 1
        odd = m % 2 == 1
        constraint = g[support] if (form == "proper" and not odd) else None
        if factor[odd].n_active_rows >= m:
            weights = _trig_weights(factor[odd], g[support], constraint)
        else:
            null = scipy.linalg.null_space(factor[odd].columns()[~is_support])
            weights = null.sum(axis=1)
        if np.isrealobj(g):
            weights = weights.real

        # Step 3: residual on the other samples.
        c = np.column_stack(kernels[odd])
        with np.errstate(divide="ignore", invalid="ignore"):
            approx = (c @ (weights * g[support])) / (c @ weights)
        residual = np.where(is_support, 0.0, g - approx)
        residual[~np.isfinite(residual)] = np.inf
        error = float(np.max(np.abs(residual)))
        errors.append(error)

        # Step 4: stop at the tolerance or the noise level, only in the final parity.
        final_parity = odd if form == "balanced" else not odd
        if not final_parity and m < limit:
            continue
        if error <= target:
            converged = True
            break
        stagnating = len(errors) > 2 and errors[-1] > STAGNATION_RATIO * errors[-3]
        if sigma == 0 and detect and stagnating:
            # Same rule as AAA: the residual of a fit that captured the signal
            # shows the noise even where the raw data are too rough for it.
            keep = ~is_support[order]
            ordered = residual[order][keep]
            finite = np.isfinite(ordered)
            estimate = difference_noise(ordered[finite], t[order][keep][finite])
            expected_max = math.sqrt(2 * math.log(max(ordered.size, 2))) + 1
            above_rounding = estimate.sigma > ROUNDING_NOISE_RTOL * g_scale
            if estimate.is_noise and above_rounding and expected_max * estimate.sigma > target:
                sigma = estimate.sigma
        if sigma > 0:
            scale = robust_sigma(residual[~is_support][np.isfinite(residual[~is_support])])
            scales.append((m, scale))
            if scale <= DISCREPANCY_FACTOR * sigma:
                converged = stopped_at_noise = True
                break

    if not errors:
        converged = True
    support = np.array(support, dtype=int)
    if sigma > 0 and not converged and scales:
        # Discrepancy never met: keep the first final-parity step whose
        # residual scale is within the same factor of the best one.
        best_scale = min(scale for _, scale in scales)
        best = next(m for m, scale in scales if scale <= DISCREPANCY_FACTOR * best_scale)
        support = support[:best]
        weights = _refit_trig(t, g, support, form, np.isrealobj(g))
        stopped_at_noise = True
    return {"support": support, "weights": weights, "errors": np.array(errors),
            "converged": converged, "stopped_at_noise": stopped_at_noise, "sigma": sigma}


def _refit_trig(t, g, support, form, real):
    is_support = np.zeros(t.size, dtype=bool)
    is_support[support] = True
    odd = support.size % 2 == 1
    kernel = _kernel(t[~is_support], t[support], odd)
    loewner = (g[~is_support, None] - g[None, support]) * kernel
    constraint = g[support] if (form == "proper" and not odd) else None
    if loewner.shape[0] < loewner.shape[1]:
        weights = scipy.linalg.null_space(loewner).sum(axis=1)
    else:
        r = scipy.linalg.qr(loewner, mode="r", check_finite=False)[0][: support.size]
        holder = type("R", (), {"r": r})()
        weights = _trig_weights(holder, g[support], constraint)
    return weights.real if real else weights


def _clean_up_trig(t, g, support, weights, threshold, noise_threshold, form, real):
    """Remove pairs of support points next to spurious poles; return the new state."""
    removed = 0
    spacing = float(np.median(np.diff(np.sort(t)))) if t.size > 1 else 1.0
    for _ in range(MAX_CLEANUP_PASSES):
        probe = _Probe(t[support], g[support], weights)
        poles, residues, roots = probe.poles_residues_roots()
        if poles.size == 0:
            break
        # Distance to the nearest sample in the periodic variable t.
        sorted_t = np.sort(t)
        position = np.searchsorted(sorted_t, poles.real)
        left = sorted_t[np.mod(position - 1, t.size)]
        right = sorted_t[np.mod(position, t.size)]
        gap_real = np.minimum(np.abs(np.mod(poles.real - left + 0.5, 1.0) - 0.5),
                              np.abs(np.mod(right - poles.real + 0.5, 1.0) - 0.5))
        distance = np.hypot(gap_real, poles.imag)
        with np.errstate(divide="ignore", invalid="ignore"):
            effect = np.abs(residues) / distance
        spurious = (np.abs(poles.imag) < REAL_POLE_RTOL) | (effect < threshold)
        if noise_threshold > 0:
            spurious |= np.abs(residues) / np.maximum(distance, spacing) < noise_threshold
        if roots.size:
            pole_root = np.min(np.abs(np.subtract.outer(poles, roots)), axis=1)
            spurious |= pole_root < DOUBLET_GAP_RTOL * distance
        flagged = np.nonzero(spurious)[0]
        if flagged.size == 0:
            break
        if flagged.size % 2 == 1:
            # Keep the parity of the form: also drop the next weakest pole.
            rest = np.setdiff1d(np.argsort(effect), flagged, assume_unique=False)
            if rest.size == 0:
                break
            flagged = np.append(flagged, rest[0])
        drop = set()
        for pole in poles[flagged]:
            near = np.argsort(np.abs(np.mod(t[support] - pole.real + 0.5, 1.0) - 0.5))
            for candidate in near:
                if int(candidate) not in drop:
                    drop.add(int(candidate))
                    break
        if len(drop) % 2 == 1 or len(drop) >= support.size - 1:
            break
        keep = np.array([i for i in range(support.size) if i not in drop], dtype=int)
        support = support[keep]
        weights = _refit_trig(t, g, support, form, real)
        removed += len(drop)
        logger.info("TrigAAA clean-up: removed %d support points next to spurious poles", len(drop))
    return support, weights, removed


class _Probe:
    """Poles, residues and roots in t of a trig barycentric form (used by the clean-up)."""

    def __init__(self, t_support, g_support, weights):
        self.t = t_support
        self.g = g_support
        self.w = weights.astype(complex)

    def poles_residues_roots(self):
        nodes = np.exp(2j * np.pi * self.t)
        if self.w.size % 2 == 1:
            beta, a, b = self.w * np.exp(1j * np.pi * self.t), 0.0, 0.0
        else:
            beta, a, b = 2.0 * self.w * nodes, complex(np.sum(self.w * self.g)), complex(np.sum(self.w))
        z_poles = pencil_eigenvalues(nodes, beta, b)
        z_poles = z_poles[np.abs(z_poles) > 0]
        z_roots = pencil_eigenvalues(nodes, beta * self.g, a)
        z_roots = z_roots[np.abs(z_roots) > 0]
        res = barycentric_residues(z_poles, nodes, self.g, beta, a) / (2j * np.pi * z_poles)
        to_t = lambda z: np.mod((np.log(z) / (2j * np.pi)).real, 1.0) + 1j * (np.log(z) / (2j * np.pi)).imag  # noqa: E731
        return to_t(z_poles), res, to_t(z_roots)
