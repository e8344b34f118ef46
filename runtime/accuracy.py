"""Error model of a kernel's expansion and the choice of FKT parameters for a tolerance.

The model is measured, not derived: for source radius rho (in length scales), separation
ratio eta and order p it records the relative error of the order-p expansion about a centre,
over sources at distance rho in random directions and targets at distances rho/eta,
1.5 rho/eta and 3 rho/eta: the root mean square over directions for d >= 2 (a product sums
many pairs in many directions), the maximum for d = 1 (where every pair is aligned). "Relative" means the error divided by the largest |K| over
the same pairs, so kernels with zeros (log r, Helmholtz) get a meaningful number. Heavy-tailed
kernels give nearly the same error for every rho; the Gaussian's error grows quickly with rho,
which is how the operator learns not to expand boxes many length scales wide.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
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

MODEL_VERSION = 2
"""Bump when the sampling or the error measure changes, so stored models are recomputed."""

MODEL_SEED = 20211
"""Seed of the sample directions, so the model (and every parameter choice) is reproducible."""

CUTOFF_FRACTION = 1e-3
"""Pairs are dropped only where |K| <= CUTOFF_FRACTION * tol * max|K| / n_sources."""

FAST_DECAY_PROBE = (8.0, 16.0, 32.0)
"""Distances (length scales) at which super-polynomial decay is detected before using a cutoff."""


@dataclass(frozen=True)
class ErrorModel:
    """errors[p, i, j]: relative error at order p, eta = ETAS[i], radius = RADII[j]."""

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
    worst = np.zeros((max_order + 1, len(ETAS), len(RADII)))
    mean_square = np.zeros_like(worst)
    for i, eta in enumerate(ETAS):
        for j, radius in enumerate(RADII):
            for factor in TARGET_DISTANCE_FACTORS:
                targets, sources = _sample_pairs(dim, radius, eta, factor, rng)
                distances = np.linalg.norm(targets - sources, axis=1)
                exact = np.array([module.kernel(float(r), params) for r in distances])
                scale = np.max(np.abs(exact))
                if not np.isfinite(scale) or scale == 0.0:
                    worst[:, i, j] = mean_square[:, i, j] = np.inf
                    continue
                for p in range(max_order + 1):
                    relative = np.abs(module.expansion_values(targets, sources, p, params) - exact) / scale
                    worst[p, i, j] = max(worst[p, i, j], relative.max())
                    mean_square[p, i, j] += np.mean(relative**2) / len(TARGET_DISTANCE_FACTORS)
    worst[~np.isfinite(worst)] = np.inf
    logger.debug("built the error model of %s for params %s", module.KERNEL_NAME, params_key)
    # In 1-D every pair is aligned (cos gamma = +-1), so the typical error is the worst error;
    # in higher dimensions a product averages over directions and the RMS error is the measure.
    errors = worst if dim == 1 else np.sqrt(mean_square)
    return ErrorModel(module.KERNEL_NAME, errors)


def error_model(module: ModuleType, params: np.ndarray) -> ErrorModel:
    """Return the error model of a generated module at the given shape parameters.

    Models are memoised in the process and stored as .npy files in the kernel cache folder,
    keyed by module, spec hash, generator version and parameters.
    """
    key = tuple(float(value) for value in params)
    path = _model_path(module, key)
    if (module, key) not in _loaded_models and path is not None and path.exists():
        try:
            errors = np.load(path)
            if errors.shape == (module.MAX_ORDER + 1, len(ETAS), len(RADII)):
                _loaded_models[(module, key)] = ErrorModel(module.KERNEL_NAME, errors)
        except (OSError, ValueError) as error:
            logger.warning("ignoring unreadable error model %s: %s", path, error)
    if (module, key) in _loaded_models:
        return _loaded_models[(module, key)]
    model = _error_model_cached(module, key)
    _loaded_models[(module, key)] = model
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(suffix=".npy", dir=path.parent)
            with os.fdopen(descriptor, "wb") as handle:
                np.save(handle, model.errors)
            os.replace(temporary, path)
        except OSError as error:
            logger.info("could not store the error model in %s: %s", path, error)
    return model


_loaded_models: dict = {}


def _model_path(module: ModuleType, key: tuple):
    from generated.loader import cache_directory

    digest = hashlib.sha256(
        repr((module.KERNEL_NAME, module.DIMENSION, module.MAX_ORDER, module.SPEC_HASH, module.GENERATOR_VERSION,
              key, MODEL_VERSION)).encode()
    ).hexdigest()[:16]
    return cache_directory() / "error_models" / f"{module.KERNEL_NAME}_d{module.DIMENSION}_{digest}.npy"


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


LEAF_SIZES = (24, 48, 96, 192, 384)
"""Leaf sizes the planner compares (on one tree, truncated at each size)."""

PAIR_TOLERANCE_FACTOR = {1: 0.25, 2: 0.5, 3: 0.5, 4: 0.5, 5: 0.5, 6: 0.5}
"""Modelled error allowed per dimension, as a multiple of tol. The errors of the far nodes of one
target add up, so a product can miss what each pair meets. Measured with
sweeps of every built-in kernel (d = 1, 2, 3; uniform, two-bump and ring
data; tol 1e-3 and 1e-6; standard normal weights; N = 6000): with a factor of 1 the worst
product error was 2.6 tol in 1-D (Matérn-3/2) and 0.87 tol in 2-D and 3-D (Cauchy), so these
factors leave a margin of about 2."""

NEAR_PAIR_COST = 4.0
NEAR_STORED_PAIR_COST = 0.6
FAR_EVALUATION_COST = 60.0
FAR_TERM_COST = 0.9
MOMENT_TERM_COST = 2.0
"""Costs in nanoseconds on 2 cores of: a direct kernel evaluation, a stored near-block entry, the
harmonics and radial functions of one far evaluation, one term of it, and one term accumulated
into moments. Measured on Matérn-3/2, d = 3, N = 1e5, and used to compare separation ratios and
leaf sizes; only their ratios matter."""
