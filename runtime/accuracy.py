"""Error model of a kernel's expansion and the choice of FKT parameters for a tolerance.

The model is measured, not derived: for source radius rho (in length scales), separation
ratio eta and order p it records the worst relative error of the order-p expansion about a
centre, over sources at distance rho in random directions and targets at distances
rho/eta, 1.5 rho/eta and 3 rho/eta. "Relative" means the error divided by the largest |K| over
the same pairs, so kernels with zeros (log r, Helmholtz) get a meaningful number. Heavy-tailed
kernels give nearly the same error for every rho; the Gaussian's error grows quickly with rho,
which is how the operator learns not to expand boxes many length scales wide.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

import numpy as np

logger = logging.getLogger(__name__)

RADII = 2.0 ** np.arange(-10.0, 10.01, 0.5)
"""Source radii (in length scales) at which the error model is sampled, a factor sqrt(2) apart."""

ETAS = (0.3, 0.4, 0.5, 0.6)
"""Separation ratios the parameter choice considers."""

TARGET_DISTANCE_FACTORS = (1.0, 1.5, 3.0)
"""Target distances sampled, as multiples of rho/eta."""

DIRECTIONS = 48
"""Random source and target directions per (radius, eta, distance)."""

MODEL_SEED = 20211
"""Seed of the sample directions, so the model (and every parameter choice) is reproducible."""

CUTOFF_FRACTION = 1e-3
"""Pairs are dropped only where |K| <= CUTOFF_FRACTION * tol * max|K| / n_sources."""

FAST_DECAY_PROBE = (8.0, 16.0, 32.0)
"""Distances (length scales) at which super-polynomial decay is detected before using a cutoff."""


@dataclass(frozen=True)
class ErrorModel:
    """errors[p, i, j]: worst relative error at order p, eta = ETAS[i], radius = RADII[j]."""

    kernel_name: str
    errors: np.ndarray

    def error(self, p: int, eta: float, radius) -> np.ndarray:
        """Modelled error at order p and each radius (see :meth:`errors_by_order`)."""
        return self.errors_by_order(eta, radius)[p]

    def errors_by_order(self, eta: float, radius) -> np.ndarray:
        """Modelled errors (P + 1, n) for all orders at each radius.

        Each radius reads the next larger sampled radius (a factor at most sqrt(2) above), which
        over-estimates the error of kernels whose error grows with the radius, never under.
        """
        if eta not in ETAS:
            raise ValueError(f"eta must be one of the modelled separation ratios {ETAS}, got {eta!r}")
        table = self.errors[:, ETAS.index(eta), :]
        position = np.searchsorted(RADII, np.atleast_1d(np.asarray(radius, dtype=float)), side="left")
        return table[:, np.clip(position, 0, len(RADII) - 1)]

    def orders_for(self, eta: float, radius, target: float, order: int | None = None) -> np.ndarray:
        """Smallest order (or the given ``order``) whose error at each radius is <= target; -1 if none."""
        errors = self.errors_by_order(eta, radius)
        if order is not None:
            return np.where(errors[order] <= target, order, -1).astype(np.int64)
        good = errors <= target
        orders = np.argmax(good, axis=0).astype(np.int64)
        orders[~good.any(axis=0)] = -1
        return orders


def _sample_pairs(dim: int, radius: float, eta: float, factor: float, rng: np.random.Generator):
    sources = rng.normal(size=(DIRECTIONS, dim))
    targets = rng.normal(size=(DIRECTIONS, dim))
    sources *= radius / np.linalg.norm(sources, axis=1)[:, None]
    targets *= factor * radius / eta / np.linalg.norm(targets, axis=1)[:, None]
    # Include the aligned worst case cos(gamma) = 1, where every term of the series adds up.
    targets[0] = sources[0] * (factor / eta)
    return np.ascontiguousarray(targets), np.ascontiguousarray(sources)


@lru_cache(maxsize=64)
def _error_model_cached(module: ModuleType, params_key: tuple) -> ErrorModel:
    params = np.array(params_key, dtype=np.float64)
    dim, max_order = module.DIMENSION, module.MAX_ORDER
    rng = np.random.default_rng(MODEL_SEED)
    errors = np.zeros((max_order + 1, len(ETAS), len(RADII)))
    for i, eta in enumerate(ETAS):
        for j, radius in enumerate(RADII):
            for factor in TARGET_DISTANCE_FACTORS:
                targets, sources = _sample_pairs(dim, radius, eta, factor, rng)
                distances = np.linalg.norm(targets - sources, axis=1)
                exact = np.array([module.kernel(float(r), params) for r in distances])
                scale = np.max(np.abs(exact))
                if not np.isfinite(scale) or scale == 0.0:
                    errors[:, i, j] = np.inf
                    continue
                for p in range(max_order + 1):
                    approximate = module.expansion_values(targets, sources, p, params)
                    worst = np.max(np.abs(approximate - exact)) / scale
                    errors[p, i, j] = max(errors[p, i, j], worst) if np.isfinite(worst) else np.inf
    logger.debug("built the error model of %s for params %s", module.KERNEL_NAME, params_key)
    return ErrorModel(module.KERNEL_NAME, errors)


def error_model(module: ModuleType, params: np.ndarray) -> ErrorModel:
    """Return the (cached) error model of a generated module at the given shape parameters."""
    return _error_model_cached(module, tuple(float(value) for value in params))


def cutoff_radius(module: ModuleType, params: np.ndarray, tol: float, n_sources: int) -> float:
    """Distance beyond which |K| is negligible, or 0 when the kernel does not decay super-polynomially.

    The kernel must fall by more than a factor 2^(d + 8) per doubling of r at each probe
    distance (faster than any power a sum over a d-dimensional volume could compensate).
    """
    values = [abs(module.kernel(r, params)) for r in FAST_DECAY_PROBE]
    dim = module.DIMENSION
    decaying = all(values[i + 1] <= values[i] * 2.0 ** -(dim + 8) for i in range(len(values) - 1))
    if not decaying:
        return 0.0
    grid = np.concatenate([np.linspace(0.0, 1.0, 65), np.geomspace(1.0, 1e4, 400)])
    magnitudes = np.array([abs(module.kernel(float(r), params)) for r in grid])
    threshold = CUTOFF_FRACTION * tol * magnitudes.max() / max(n_sources, 1)
    above = np.flatnonzero(magnitudes > threshold)
    if above.size == 0:
        return float(grid[1])
    last = above[-1]
    if last + 1 >= grid.size:
        return 0.0
    return float(grid[last + 1])


LEAF_TERMS_FACTOR = 1.0
"""Leaf size as a multiple of the number of terms M at the leaves' parents: near work per target
grows with the leaf size, far work with M, and this ratio balanced them in the benchmarks."""

MIN_LEAF_SIZE = 32
MAX_LEAF_SIZE = 1024

PAIR_TOLERANCE_FACTOR = 0.25
"""Worst-case pair error allowed, as a multiple of tol. Errors of the far nodes of one target can
add up, so the product error can exceed the worst pair error: with a factor of 0.5, a sweep of
every built-in kernel (d = 1, 2, 3; uniform, two-bump and ring data; tol 1e-3 and 1e-6;
standard normal weights) reached 1.3 tol for Matérn-3/2 in 1-D; 0.25 keeps that below tol."""

NEAR_PAIR_COST = 1.0
FAR_TERM_COST = 0.5
MOMENT_TERM_COST = 0.5
"""Relative costs of one direct kernel evaluation, one expansion term evaluated at a target and
one term accumulated into moments; they weigh the estimated work of each separation ratio."""


def leaf_size_for(term_count: int) -> int:
    """Leaf size that balances near and far work for expansions of ``term_count`` terms."""
    return int(min(MAX_LEAF_SIZE, max(MIN_LEAF_SIZE, math.ceil(LEAF_TERMS_FACTOR * term_count))))
