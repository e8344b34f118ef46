"""Estimates of the extreme eigenvalues of a symmetric positive definite operator."""

import dataclasses
import logging
import warnings

import numpy as np

from .errors import NotPSDError, NumericalWarning
from .lanczos import lanczos
from .operators import as_operator, check_count, check_diagonal

__all__ = ["eigenvalue_bounds", "EigenvalueBounds"]

logger = logging.getLogger(__name__)

# Default Lanczos steps: the extreme Ritz values of a kernel matrix settle in
# about 20 steps, the setting of Pleiss et al. (2020) for contour quadrature.
DEFAULT_BOUNDS_ITERATIONS = 20

# Seed of the random starting vector when no generator is given, so repeated
# calls on the same operator return the same bounds.
DEFAULT_BOUNDS_SEED = 0

# When the smallest Ritz value is not yet resolved (its residual interval reaches
# zero) and no certified floor exists, the lower bound is this fraction of it.
# Contour quadrature error grows like exp(-c Q / log κ), so underestimating λ_min
# by 1e3 costs about log(1e3) / log(κ) more nodes, while overestimating it spoils
# the components along small eigenvalues.
UNRESOLVED_LOWER_FRACTION = 1e-3


@dataclasses.dataclass
class EigenvalueBounds:
    """Outcome of :func:`eigenvalue_bounds`.

    Attributes
    ----------
    lower, upper : float
        Interval ``[lower, upper]`` meant to contain the spectrum of ``K + D``.
    reliable : bool
        False when the smallest Ritz value was not resolved and the lower bound
        is a guess (``UNRESOLVED_LOWER_FRACTION`` times the smallest Ritz value).
    ritz_min, ritz_max : float
        Extreme Ritz values of ``K + D``.
    residual_min, residual_max : float
        Their residual norms: an eigenvalue lies within each of them.
    floor : float
        Certified lower bound ``min(D)`` from the diagonal, assuming ``K`` is
        positive semidefinite (zero without a positive diagonal).
    n_products : int
        Block products used.
    """

    lower: float
    upper: float
    reliable: bool
    ritz_min: float
    ritz_max: float
    residual_min: float
    residual_max: float
    floor: float
    n_products: int


def eigenvalue_bounds(op, *, diagonal=0.0, num_iter=DEFAULT_BOUNDS_ITERATIONS, rng=None,
                      warn=True):
    """Estimate an interval that holds the spectrum of ``K + D``.

    Runs ``num_iter`` steps of fully reorthogonalised Lanczos from a random
    Gaussian vector and widens the extreme Ritz values by their residual norms.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        Symmetric positive semidefinite ``K``.
    diagonal : float or array_like of shape (n,), default 0.0
        Diagonal ``D`` added to ``K``. Its minimum is a certified lower bound
        when ``K`` is positive semidefinite.
    num_iter : int, default 20
        Lanczos steps (capped at ``n``).
    rng : int or numpy.random.Generator, optional
        Source of the starting vector. Default ``default_rng(0)``, so results
        are reproducible.
    warn : bool, default True
        Emit a :class:`NumericalWarning` when the lower bound is a guess.

    Returns
    -------
    EigenvalueBounds
        The interval, a reliability flag, and the Ritz values behind it.

    Raises
    ------
    NotPSDError
        If a Ritz value is ``<= 0``: Ritz values lie inside ``[λ_min, λ_max]``, so
        ``K + D`` is then not positive definite.

    Warns
    -----
    NumericalWarning
        If the smallest Ritz value is unresolved (``θ_min - r_min ≤ 0``) and the
        diagonal gives no positive floor.

    Notes
    -----
    With Ritz values ``θ_1 ≤ … ≤ θ_m`` and residuals ``r_i = |β_m s_{m,i}|``,

    .. math::

        \\text{upper} = θ_m + r_m,\\qquad
        \\text{lower} = \\max(θ_1 - r_1, \\min D)

    when ``θ_1 - r_1 > 0``, and ``max(min D, 10⁻³ θ_1)`` otherwise. Each interval
    ``[θ_i - r_i, θ_i + r_i]`` contains an eigenvalue (residual bound), which
    makes the upper bound safe once the top Ritz value has settled. The lower
    bound is a heuristic: eigenvalues below ``θ_1`` that the Krylov space has not
    yet found are missed. Pass explicit bounds to the solvers when they are known.

    References
    ----------
    .. [1] B. N. Parlett, "The Symmetric Eigenvalue Problem", SIAM (1998).
       doi:10.1137/1.9781611971163
    """
    linear_operator = as_operator(op)
    n = linear_operator.shape[0]
    diagonal = check_diagonal(diagonal, n)
    num_iter = check_count(num_iter, "num_iter")
    generator = np.random.default_rng(DEFAULT_BOUNDS_SEED if rng is None else rng)

    # A scalar diagonal shifts every Ritz value, so Lanczos runs on K alone.
    scalar_shift = float(diagonal) if np.ndim(diagonal) == 0 else 0.0
    product_diagonal = 0.0 if np.ndim(diagonal) == 0 else diagonal
    floor = max(float(np.min(diagonal)), 0.0)
    start = generator.standard_normal(n)
    result = lanczos(linear_operator, start, num_iter, diagonal=product_diagonal,
                     reorthogonalize=True)
    values, _, residuals = result.ritz()
    values = values + scalar_shift
    ritz_min, ritz_max = float(values[0]), float(values[-1])
    residual_min, residual_max = float(residuals[0]), float(residuals[-1])

    if ritz_min <= 0:
        raise NotPSDError(
            f"the operator is not positive definite: Lanczos found the Ritz value "
            f"{ritz_min:.3e} <= 0; add a positive diagonal or check the operator",
            iteration=int(result.sizes[0]), value=ritz_min,
        )

    upper = ritz_max + residual_max
    resolved = ritz_min - residual_min > 0 or bool(result.breakdown[0])
    if resolved:
        lower = max(ritz_min - residual_min, floor)
        reliable = True
    elif floor > 0:
        lower = floor
        reliable = True
    else:
        lower = UNRESOLVED_LOWER_FRACTION * ritz_min
        reliable = False
        if warn:
            warnings.warn(NumericalWarning(
                f"the smallest eigenvalue is not resolved after {int(result.sizes[0])} "
                f"Lanczos steps (Ritz value {ritz_min:.3e} with residual "
                f"{residual_min:.3e}); using lower bound {lower:.3e}. Raise the "
                f"Lanczos steps for the bounds or pass eig_bounds=(lower, upper)",
                knob="eig_bounds",
            ), stacklevel=2)

    logger.debug("eigenvalue_bounds: n=%d steps=%d lower=%.3e upper=%.3e reliable=%s",
                 n, int(result.sizes[0]), lower, upper, reliable)
    return EigenvalueBounds(
        lower=lower, upper=upper, reliable=reliable, ritz_min=ritz_min, ritz_max=ritz_max,
        residual_min=residual_min, residual_max=residual_max, floor=floor,
        n_products=result.n_products,
    )
