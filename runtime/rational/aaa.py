"""AAA rational approximation on arbitrary real or complex point sets."""

import logging
import warnings

import numpy as np
import scipy.linalg

from .barycentric import BarycentricRational, evaluate_barycentric, operator_index
from .exceptions import ConvergenceWarning
from .noise import difference_noise, robust_sigma
from .samples import clean_samples
from .updated_qr import UpdatedQR

__all__ = ["AAA"]

logger = logging.getLogger(__name__)

# Default relative tolerance eps**0.75 (about 1.9e-12 in double precision), the
# value scipy.interpolate.AAA uses: tighter tolerances invite Froissart doublets,
# looser ones waste accuracy on clean data.
DEFAULT_RTOL = np.finfo(float).eps ** 0.75

# Spurious-pole tests are repeated at most this many times: each pass removes
# support points and refits, which can in rare cases expose another doublet.
MAX_CLEANUP_PASSES = 3

# With noise detected, a pole p with residue a is not supported by the data when
# |a| / max(dist(p, x), h) is below this multiple of the noise sigma, h being the
# median sample spacing: a pole closer to the samples than their spacing cannot
# be resolved by them, and one whose effect is within the noise (about 4 sigma
# for 10^4 Gaussian samples) cannot be distinguished from it.
NOISE_CLEANUP_FACTOR = 4.0

# A pole with a root closer than this fraction of its distance to the samples is
# a Froissart doublet whatever its residue: measured gap/distance ratios are
# 1e-14..1e-11 for doublets of rtol=0 fits and above 0.1 for the genuine poles of
# fits to |x|, sqrt(x) and exp(x) on 10^3..2*10^4 samples.
DOUBLET_GAP_RTOL = 1e-6

# Weights below this fraction of max|w| are treated as zero: the support point
# then does not interpolate and only adds a removable factor.
ZERO_WEIGHT_RTOL = 1e-15

# Discrepancy principle: stop once the robust scale of the residual is below
# this multiple of the noise sigma. With residual^2 ~ sigma^2 + remainder^2 the
# unresolved remainder is then below sqrt(1.1^2 - 1) = 0.46 sigma.
DISCREPANCY_FACTOR = 1.1

# White residuals below this multiple of max|f| are rounding errors, not noise
# to stop at: a fit asked for rtol near eps reaches them on clean data, and the
# noise path would then prune poles that clean data do support.
ROUNDING_NOISE_RTOL = 1e3 * np.finfo(float).eps

# The residual noise test runs only when a step reduces the error by less than
# this factor.
STAGNATION_RATIO = 0.5

# Columns allocated for the Cauchy matrix at the start; storage doubles as
# needed, so fits with few terms never allocate max_terms columns.
INITIAL_COLUMNS = 16

# Pole pruning for noisy data alternates pruning and least-squares refits at
# most this many times (each pass only removes poles, so it ends quickly).
MAX_PRUNING_PASSES = 10

class AAA(BarycentricRational):
    r"""AAA rational approximation of real or complex samples on any point set.

    Parameters
    ----------
    x : array_like, shape (n,)
        Sample points, real or complex, finite. Repeated points are merged
        (their values averaged, with a `DataWarning`).
    y : array_like, shape (n,)
        Sample values :math:`f(x)`. NaN or infinite values are dropped with
        their points (with a `DataWarning`).
    rtol : float, optional
        Relative tolerance: the iteration stops when
        :math:`\max_i |f_i - r(x_i)| \le \mathrm{rtol}\,\|f\|_\infty`.
        Default ``eps**0.75`` (about 1.9e-12). Too tight a value on clean data
        stagnates at rounding level and creates Froissart doublets (removed by
        `clean_up`); too loose a value stops early.
    max_terms : int, optional
        Maximum number of support points :math:`m`, at least 1; default 100.
    clean_up : bool, optional
        Remove spurious poles (Froissart doublets) after the iteration; default
        True. See Notes.
    clean_up_tol : float, optional
        A pole :math:`p` with residue :math:`\alpha` is spurious when
        :math:`|\alpha| / \operatorname{dist}(p, x) < \mathrm{clean\_up\_tol}\,\|f\|_\infty`;
        default 1e-13.
    noise : {"auto", None} or float, optional
        Handling of noisy data. ``"auto"`` (default) estimates the noise level
        from differences of the data (and, once the error stagnates, of the
        residual) and fits down to that level only; see Notes. A float is a
        known noise standard deviation :math:`\sigma`. ``None`` disables noise
        handling and runs to `rtol` or `max_terms`, as
        `scipy.interpolate.AAA` does.

    Attributes
    ----------
    support_points, support_values, weights : ndarray
        The barycentric representation; the fit takes the value
        `support_values` exactly at `support_points`. These are the data,
        except for a fit stopped at the noise level, whose support values are
        the denoised values.
    errors : ndarray
        Maximum error on the samples after each greedy step.
    converged : bool
        True when the tolerance was met or the residual reached the noise
        level. False with a `noise_level` set means the noise level was never
        reached and the step closest to it was kept.
    noise_level : float or None
        Estimated (or given) noise standard deviation the fit was stopped at,
        None for a fit run to `rtol` or `max_terms`.
    max_error : float
        Maximum error on the samples of the final fit (after clean-up).
    n_spurious_removed : int
        Number of spurious poles removed by the clean-up.

    Raises
    ------
    TypeError
        If `max_terms` is not an integer or the data are not numeric.
    ValueError
        If the inputs have bad shapes or lengths, `x` is not finite, no finite
        sample remains, `max_terms` < 1, `rtol` or `clean_up_tol` is negative,
        or `noise` is neither ``"auto"``, None nor a non-negative float.

    Warns
    -----
    ConvergenceWarning
        When neither `rtol` nor the noise level is reached in `max_terms` steps.
        It carries ``iterations``, ``error``, ``target`` and ``knob``.
    DataWarning
        When samples are dropped or merged.

    See Also
    --------
    scipy.interpolate.AAA : the same algorithm without noise handling or derivatives.
    runtime.rational.TrigAAA : the periodic variant.

    Notes
    -----
    At step :math:`m` the approximation is

    .. math::

        r(z) = \frac{\sum_{j=1}^m w_j f_j / (z - z_j)}{\sum_{j=1}^m w_j / (z - z_j)}.

    The next support point :math:`z_m` is the sample where :math:`|f - r|` is
    largest; the weights minimise :math:`\|f d - n\|_2` over the other samples
    subject to :math:`\|w\|_2 = 1`, i.e. they are the right singular vector of
    the smallest singular value of the Loewner matrix
    :math:`A_{ij} = (f_i - f_j)/(x_i - x_j)`. Here :math:`A` is kept as an
    updated thin QR factorisation (`runtime.rational.updated_qr`), so a step costs
    :math:`O(Mm)` instead of the :math:`O(Mm^2)` of a fresh SVD.

    Clean-up: the poles of :math:`r` are the finite eigenvalues of an arrowhead
    pencil, the residues :math:`n(p)/d'(p)`. A pole :math:`p` is spurious when

    * its contribution at the nearest sample,
      :math:`|\alpha|/\operatorname{dist}(p, x)`, is below
      ``clean_up_tol * max|f|``, or
    * a root of :math:`r` lies within :math:`10^{-6}\operatorname{dist}(p, x)`
      of it (a pole–zero pair that cancels to working precision).

    The support point nearest to each spurious pole is removed and the weights
    are refitted by least squares, up to three times. Normalising by the
    distance keeps the genuine poles that cluster exponentially at a branch
    point (fits of :math:`\sqrt{x}` or :math:`|x|`): their residues are tiny but
    so are their distances to the samples, and their nearest roots interlace
    with them at a fixed ratio of the distance.

    Noise: with ``noise="auto"`` the level :math:`\hat\sigma` comes from the
    difference rule of `runtime.rational.noise`, applied to the data before
    the iteration and to the residual whenever the error stagnates. The
    iteration then stops at the first step whose residual has a robust scale
    (median absolute deviation) below :math:`1.1\,\hat\sigma` (the
    discrepancy principle), or, if that never happens, keeps the first step
    within 1.1 of the best scale reached. Interpolating noisy support values
    places poles next to the samples, so the stopped fit is replaced by a
    least-squares one: its poles are kept only if they lie farther from the
    samples than their median spacing :math:`h` and
    :math:`|\alpha|/\max(\operatorname{dist}(p, x), h) \ge 4\hat\sigma`; the
    constant and residues of :math:`c + \sum_j \alpha_j/(z - p_j)` are refitted
    by linear least squares after each pruning; and the result is turned back
    into barycentric form by a noise-free AAA run on its values.

    References
    ----------
    .. [1] Y. Nakatsukasa, O. Sète and L. N. Trefethen, "The AAA algorithm for
           rational approximation", SIAM J. Sci. Comput. 40 (2018), A1494-A1522.
           :doi:`10.1137/16M1106122`
    .. [2] J. Gilewicz and M. Pindor, "Padé approximants and noise: rational
           functions", J. Comput. Appl. Math. 105 (1999), 285-297.
           :doi:`10.1016/S0377-0427(99)00046-0`

    Examples
    --------
    The gamma function extrapolated from 100 samples in [-1.5, 1.5] (the first
    example of [1]_): the poles at 0 and -1 are recovered.

    >>> import numpy as np
    >>> from scipy.special import gamma
    >>> from runtime.rational import AAA
    >>> x = np.linspace(-1.5, 1.5, 100)
    >>> r = AAA(x, gamma(x))
    >>> poles = np.sort_complex(r.poles())
    >>> bool(np.min(np.abs(poles)) < 1e-6) and bool(np.min(np.abs(poles + 1)) < 1e-6)
    True
    """

    def __init__(
        self, x, y, *, rtol=None, max_terms=100, clean_up=True, clean_up_tol=1e-13,
        noise="auto",
    ):
        max_terms = operator_index(max_terms, "max_terms")
        if max_terms < 1:
            raise ValueError(f"max_terms must be >= 1, got {max_terms}; pass a positive integer.")
        rtol = DEFAULT_RTOL if rtol is None else float(rtol)
        if not rtol >= 0:
            raise ValueError(f"rtol must be a non-negative float, got {rtol!r}; pass e.g. 1e-10.")
        clean_up_tol = float(clean_up_tol)
        if not clean_up_tol >= 0:
            raise ValueError(
                f"clean_up_tol must be a non-negative float, got {clean_up_tol!r}; pass e.g. 1e-13."
            )
        noise = _check_noise(noise)

        z, f = clean_samples(x, y)
        self._points = z
        self._values = f
        self.rtol = rtol
        self.max_terms = max_terms
        scale = float(np.max(np.abs(f)))
        target = rtol * scale

        order = np.argsort(z.real, kind="stable") if not np.iscomplexobj(z) else np.arange(z.size)
        sigma = _noise_sigma(noise, f[order], target, scale, z[order])
        greedy = _greedy_aaa(z, f, target, max_terms, sigma, order, detect=noise == "auto")
        self.errors = greedy["errors"]
        self.converged = greedy["converged"]
        self.noise_level = greedy["sigma"] if greedy["stopped_at_noise"] else None
        support = greedy["support"]
        weights = greedy["weights"]
        self.n_spurious_removed = 0
        if self.noise_level is not None and support.size > 1:
            support, weights, values = self._denoise(
                z, f, support, weights, order, target, max_terms
            )
        else:
            values = f[support]

        if not self.converged and self.noise_level is None:
            message = (
                f"AAA did not reach rtol={rtol:.3g} (error {self.errors[-1]:.3g}, target "
                f"{target:.3g}) in max_terms={max_terms} steps; raise max_terms or rtol."
            )
            warnings.warn(
                ConvergenceWarning(
                    message, iterations=len(self.errors), error=float(self.errors[-1]),
                    target=target, knob="max_terms",
                ),
                stacklevel=2,
            )

        if clean_up and support.size > 1 and self.noise_level is None:
            support, weights, removed = _clean_up(
                z, f, support, weights, clean_up_tol * scale, order
            )
            self.n_spurious_removed = removed
            values = f[support]

        # NOTE: a support point with a zero weight is dropped here, so the fit does
        # not interpolate it; degenerate data (e.g. f = 1, 3, 1 on three points)
        # make the least-squares weights vanish on a support point.
        keep = np.abs(weights) > ZERO_WEIGHT_RTOL * np.max(np.abs(weights))
        super().__init__(z[support[keep]], values[keep], weights[keep])
        self._real_output = not (np.iscomplexobj(z) or np.iscomplexobj(f))
        self.max_error = _max_error(z, f, self.support_points, self.support_values, self.weights)
        logger.debug(
            "AAA: %d samples, %d support points, %d steps, error %.3g, noise %s, %d spurious removed",
            z.size, self.weights.size, self.errors.size, self.max_error,
            self.noise_level, self.n_spurious_removed,
        )

    def __call__(self, z):
        values = super().__call__(z)
        if self._real_output and np.isrealobj(np.asarray(z)) and np.iscomplexobj(values):
            return values.real
        return values

    def _denoise(self, z, f, support, weights, order, target, max_terms):
        r"""Replace the greedy fit by a pruned partial-fraction least-squares fit.

        The pruned fit :math:`c + \sum_j \rho_j/(z - p_j)` is sampled at the
        points and converted back to barycentric form by a second, noise-free
        AAA run on those values, which recovers a rational function of type
        :math:`(n, n)` with :math:`n + 1` well-placed support points.
        """
        sorted_real = None if np.iscomplexobj(z) else z[order]
        spacing = float(np.median(np.abs(np.diff(z[order]))))
        poles = BarycentricRational(z[support], f[support], weights).poles()
        kept, residues, constant = denoise_partial_fractions(
            z, f, poles, self.noise_level, spacing, sorted_real
        )
        self.n_spurious_removed = int(poles.size - kept.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            smooth = constant + (1.0 / np.subtract.outer(z, kept)) @ residues
        if not (np.iscomplexobj(z) or np.iscomplexobj(f)):
            smooth = smooth.real

        refit = _greedy_aaa(z, smooth, target, max_terms, 0.0, order)
        new_support, new_weights = refit["support"], refit["weights"]
        if new_support.size > 1:
            new_support, new_weights, _ = _clean_up(
                z, smooth, new_support, new_weights, target, order
            )
        logger.info(
            "AAA: noise level %.3g; kept %d of %d poles after least-squares pruning",
            self.noise_level, kept.size, poles.size,
        )
        return new_support, new_weights, smooth[new_support]

    def clean_up(self, cleanup_tol=1e-13):
        """Remove spurious poles whose effect is below ``cleanup_tol * max|f|``.

        Parameters
        ----------
        cleanup_tol : float, optional
            Threshold relative to ``max|f|``; default 1e-13.

        Returns
        -------
        int
            Number of poles found spurious (and support points removed).
        """
        z, f = self._points, self._values
        index = {value: i for i, value in enumerate(z.tolist())}
        support = np.array([index[p] for p in self.support_points.tolist()], dtype=int)
        order = np.argsort(z.real, kind="stable") if not np.iscomplexobj(z) else np.arange(z.size)
        threshold = float(cleanup_tol) * float(np.max(np.abs(f)))
        support, weights, removed = _clean_up(z, f, support, self.weights, threshold, order)
        self.support_points = z[support]
        self.support_values = f[support]
        self.weights = weights
        self._reset_cache()
        self.n_spurious_removed += removed
        self.max_error = _max_error(z, f, self.support_points, self.support_values, self.weights)
        return removed


def _check_noise(noise):
    if noise is None or (isinstance(noise, str) and noise == "auto"):
        return noise
    if isinstance(noise, str):
        raise ValueError(f"noise must be 'auto', None or a float, got {noise!r}.")
    try:
        sigma = float(noise)
    except (TypeError, ValueError):
        raise TypeError(
            f"noise must be 'auto', None or a float, got {noise!r} of type {type(noise).__name__}."
        ) from None
    if not sigma >= 0:
        raise ValueError(f"noise must be a non-negative standard deviation, got {sigma!r}.")
    return sigma


def _noise_sigma(noise, ordered_values, target, scale, ordered_points):
    """Return the noise level for the discrepancy rule (0 when it does not apply)."""
    if noise is None:
        return 0.0
    if isinstance(noise, float):
        return noise
    estimate = difference_noise(ordered_values, ordered_points)
    expected_max = np.sqrt(2.0 * np.log(max(ordered_values.size, 2))) + 1.0
    above_rounding = estimate.sigma > ROUNDING_NOISE_RTOL * scale
    if estimate.is_noise and above_rounding and expected_max * estimate.sigma > target:
        logger.info(
            "AAA: samples carry white noise of sigma %.3g (difference autocorrelation "
            "%.3g); fitting to the noise level", estimate.sigma, estimate.autocorrelation,
        )
        return estimate.sigma
    return 0.0


def _max_error(z, f, nodes, values, weights):
    if z.size == 0:
        return 0.0
    error = np.abs(f - evaluate_barycentric(z, nodes, values, weights))
    return float(np.max(np.where(np.isfinite(error), error, np.inf)))


def polynomial_weights(nodes):
    """Return barycentric weights :math:`1/\\prod_{k\\ne j}(z_j - z_k)` (normalised).

    With these weights the barycentric form is the polynomial interpolant, which
    has no finite poles.
    """
    diff = np.subtract.outer(nodes, nodes)
    np.fill_diagonal(diff, 1.0)
    # Products of many differences under- or overflow; work with logarithms of
    # the magnitudes and keep the phases separately.
    log_magnitude = -np.sum(np.log(np.abs(diff)), axis=1)
    phase = np.prod(diff / np.abs(diff), axis=1).conj()
    weights = np.exp(log_magnitude - np.max(log_magnitude)) * phase
    if not np.iscomplexobj(nodes):
        weights = weights.real
    return weights / np.linalg.norm(weights)


def smallest_singular_vector(r):
    """Return the right singular vector of the smallest singular value of `r`.

    Ties (several singular values equal to the minimum, e.g. for constant data)
    are averaged so that no support point gets a zero weight by accident.
    """
    # gesvd computes V alone faster than gesdd for the small matrices met here.
    _, s, vh = scipy.linalg.svd(r, full_matrices=True, check_finite=False, lapack_driver="gesvd")
    if s.size < r.shape[1]:
        # Fewer rows than columns: the trailing rows of vh span the null space.
        s = np.concatenate([s, np.zeros(r.shape[1] - s.size)])
    tied = s == np.min(s)
    return vh[tied].conj().sum(axis=0) / np.sqrt(np.count_nonzero(tied))


def _underdetermined_weights(loewner_rows, nodes):
    """Weights when fewer non-support samples than support points remain.

    Every null vector of the Loewner rows interpolates all samples; the one
    closest to the polynomial weights is taken, so the result is the polynomial
    interpolant whenever that is in the null space.
    """
    null = scipy.linalg.null_space(loewner_rows, check_finite=False)
    reference = polynomial_weights(nodes)
    weights = null @ (null.conj().T @ reference)
    if np.linalg.norm(weights) == 0:
        weights = null.sum(axis=1)
    return weights / np.linalg.norm(weights)


def _greedy_aaa(z, f, target, max_terms, sigma, order, detect=False):
    """Run the greedy AAA loop; return support indices, weights, errors and flags.

    `sigma` is the noise level for the discrepancy rule, or 0 to run to
    `target` or `max_terms` only. With `detect`, the difference rule is also
    applied to the residual whenever the error stagnates while no noise is
    known. A signal too rough for the rule on the raw data (third differences
    of the signal above the noise) leaves a smooth residual once the fit has
    captured it, so the rule then sees the noise.
    """
    n_samples = z.size
    dtype = np.result_type(z, f, 1.0)

    # State: factorised Loewner matrix, Cauchy columns, support bookkeeping.
    qr = UpdatedQR(n_samples, dtype)
    cauchy = np.zeros((n_samples, min(INITIAL_COLUMNS, max_terms, n_samples)), dtype=dtype, order="F")
    is_support = np.zeros(n_samples, dtype=bool)
    support = []
    weights = np.ones(1, dtype=dtype)

    # Diagnostics: maximum error and robust residual scale per step.
    errors = []
    scales = []
    converged = False
    stopped_at_noise = False

    f_scale = float(np.max(np.abs(f))) if n_samples else 0.0
    residual = f - np.mean(f)
    for step in range(min(max_terms, n_samples)):
        # Step 1: the sample with the largest residual becomes a support point.
        candidates = np.where(is_support, -1.0, np.abs(residual))
        new = int(np.argmax(candidates))
        support.append(new)
        is_support[new] = True
        qr.delete_row(new)
        with np.errstate(divide="ignore", invalid="ignore"):
            column = 1.0 / (z - z[new])
        column[is_support] = 0
        if step == cauchy.shape[1]:
            grown = np.zeros((n_samples, min(2 * step, max_terms, n_samples)), dtype=dtype, order="F")
            grown[:, :step] = cauchy
            cauchy = grown
        cauchy[:, step] = column
        qr.append_column((f - f[new]) * column)

        # Step 2: weights from the smallest singular vector of the Loewner matrix.
        m = step + 1
        nodes = z[support]
        if qr.n_active_rows >= m:
            weights = smallest_singular_vector(qr.r)
        else:
            weights = _underdetermined_weights(qr.columns()[~is_support], nodes)

        # Step 3: residual on the non-support samples.
        c = cauchy[:, :m]
        with np.errstate(divide="ignore", invalid="ignore"):
            approx = (c @ (weights * f[support])) / (c @ weights)
        residual = np.where(is_support, 0.0, f - approx)
        residual[~np.isfinite(residual)] = np.inf
        error = float(np.max(np.abs(residual))) if n_samples > 0 else 0.0
        errors.append(error)

        # Step 4: stopping tests, first the tolerance, then the noise level.
        if error <= target:
            converged = True
            break
        # The residual test costs O(M log M), so it runs only when the error
        # stagnates (less than halved in a step), as it does at a noise floor.
        stagnating = len(errors) > 1 and errors[-1] > STAGNATION_RATIO * errors[-2]
        if sigma == 0 and detect and stagnating:
            keep = ~is_support[order]
            ordered = residual[order][keep]
            finite = np.isfinite(ordered)
            sigma = _noise_sigma(
                "auto", ordered[finite], target, f_scale, z[order][keep][finite]
            )
        if sigma > 0:
            active = residual[~is_support]
            finite = active[np.isfinite(active)]
            scale = robust_sigma(finite) if finite.size else 0.0
            scales.append(scale)
            if scale <= DISCREPANCY_FACTOR * sigma:
                converged = stopped_at_noise = True
                break

    if not errors:
        converged = True
    support = np.array(support, dtype=int)
    if sigma > 0 and not converged and scales:
        # The discrepancy level was never met: keep the first step whose
        # residual scale is within the same factor of the best one reached.
        scales = np.array(scales)
        best = int(np.argmax(scales <= DISCREPANCY_FACTOR * np.min(scales))) + 1
        support = support[:best]
        weights = refit_weights(z, f, support)
        stopped_at_noise = True
        logger.info(
            "AAA: residual scale never reached %.3g (noise %.3g); kept %d of %d steps",
            DISCREPANCY_FACTOR * sigma, sigma, best, len(errors),
        )
    return {
        "support": support,
        "weights": weights,
        "errors": np.array(errors, dtype=float),
        "converged": converged,
        "stopped_at_noise": stopped_at_noise,
        "sigma": sigma,
    }


def fit_residues(z, f, poles):
    r"""Least-squares constant and residues for fixed `poles`: :math:`f \approx c + \sum_j \rho_j/(z - p_j)`."""
    basis = np.empty((z.size, poles.size + 1), dtype=complex)
    basis[:, 0] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        basis[:, 1:] = 1.0 / np.subtract.outer(z, poles)
    # Column scaling makes the least-squares solve insensitive to the very
    # different sizes of the basis functions of near and far poles.
    norms = np.linalg.norm(basis, axis=0)
    norms[norms == 0] = 1.0
    coefficients = scipy.linalg.lstsq(basis / norms, f.astype(complex), check_finite=False)[0] / norms
    return coefficients[0], coefficients[1:]


def denoise_partial_fractions(z, f, poles, sigma, spacing, sorted_real):
    r"""Prune poles the noisy data cannot support and refit residues by least squares.

    A pole is dropped when it lies closer to the samples than their median
    spacing (it sits between samples and only models noise), or when its effect
    :math:`|\rho|/\max(\operatorname{dist}(p, x), h)` is below
    `NOISE_CLEANUP_FACTOR` times `sigma`. The residues of the remaining poles
    and the constant are refitted after each pruning pass. Returns
    ``(poles, residues, constant)``.
    """
    # NOTE: near a singularity finer than the noise can show (|x| sampled with
    # sigma = 1e-6), pruning also drops poles the signal needs: measured errors
    # there are 10^2..10^3 sigma against O(sigma) for smooth and meromorphic data.
    for _ in range(MAX_PRUNING_PASSES):
        constant, residues = fit_residues(z, f, poles)
        if poles.size == 0:
            break
        distance = distance_to_samples(poles, z, sorted_real)
        effect = np.abs(residues) / np.maximum(distance, spacing)
        keep = (distance >= spacing) & (effect >= NOISE_CLEANUP_FACTOR * sigma)
        if np.all(keep):
            break
        poles = poles[keep]
    else:
        constant, residues = fit_residues(z, f, poles)
    return poles, residues, constant


def distance_to_samples(points, z, sorted_real=None):
    """Return the distance from each of `points` to the nearest sample point.

    For real samples pass `sorted_real` (the samples sorted); the nearest
    sample is then found by bisection in :math:`O(\\log M)` per point.
    """
    points = np.asarray(points)
    if sorted_real is not None:
        position = np.searchsorted(sorted_real, points.real)
        left = sorted_real[np.clip(position - 1, 0, sorted_real.size - 1)]
        right = sorted_real[np.clip(position, 0, sorted_real.size - 1)]
        nearest = np.minimum(np.abs(points.real - left), np.abs(points.real - right))
        return np.hypot(nearest, points.imag)
    out = np.empty(points.size)
    # Blocks keep the temporary distance matrix near 8 MB.
    block = max(1, 1_000_000 // max(1, z.size))
    for start in range(0, points.size, block):
        chunk = points[start : start + block]
        out[start : start + block] = np.min(np.abs(np.subtract.outer(chunk, z)), axis=1)
    return out


def refit_weights(z, f, support):
    """Least-squares weights for fixed support points (one SVD of the Loewner matrix)."""
    is_support = np.zeros(z.size, dtype=bool)
    is_support[support] = True
    rows = ~is_support
    nodes = z[support]
    values = f[support]
    loewner = (f[rows, None] - values[None, :]) / (z[rows, None] - nodes[None, :])
    if loewner.shape[0] < loewner.shape[1]:
        return _underdetermined_weights(loewner, nodes)
    # Thin QR first: the SVD then works on an m-by-m matrix.
    r = scipy.linalg.qr(loewner, mode="r", check_finite=False)[0][: support.size]
    return smallest_singular_vector(r)


def _clean_up(z, f, support, weights, threshold, order):
    """Remove support points next to spurious poles and refit; return the new state."""
    sorted_real = None if np.iscomplexobj(z) else z[order]
    removed_total = 0
    for _ in range(MAX_CLEANUP_PASSES):
        nodes, values = z[support], f[support]
        poles = BarycentricRational(nodes, values, weights).poles()
        if poles.size == 0:
            break
        form = BarycentricRational(nodes, values, weights)
        residues = form.residues()
        roots = form.roots()
        distance = distance_to_samples(poles, z, sorted_real)
        with np.errstate(divide="ignore", invalid="ignore"):
            effect = np.abs(residues) / distance
        spurious = effect < threshold
        if roots.size:
            gap = np.min(np.abs(np.subtract.outer(poles, roots)), axis=1)
            spurious |= gap < DOUBLET_GAP_RTOL * distance
        spurious = np.nonzero(spurious)[0]
        if spurious.size == 0:
            break
        drop = set()
        for pole in poles[spurious]:
            # Nearest support point not already dropped.
            for candidate in np.argsort(np.abs(nodes - pole)):
                if int(candidate) not in drop:
                    drop.add(int(candidate))
                    break
        if len(drop) >= support.size:
            drop.discard(int(np.argmax(np.abs(weights))))
        if not drop:
            break
        keep = np.array([i for i in range(support.size) if i not in drop], dtype=int)
        support = support[keep]
        weights = refit_weights(z, f, support)
        removed_total += len(drop)
        logger.info(
            "AAA clean-up: removed %d support points next to spurious poles "
            "(effect below %.3g)", len(drop), threshold,
        )
    return support, weights, removed_total
