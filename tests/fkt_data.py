"""Point sets shared by the FKT tests: uniform, two tight bumps, interlocking rings, SST coordinates."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def uniform(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    return rng.random((n, dim))


def two_bumps(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Half the points N(+1, 0.05^2 I), half N(-1, 0.05^2 I): two tight clusters far apart."""
    points = rng.normal(scale=0.05, size=(n, dim))
    points[: n // 2] += 1.0
    points[n // 2 :] -= 1.0
    return points


def interlocking_rings(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Two rings of radius 2 through each other's centre (x-y and x-z planes), with noise 0.1.

    In 1-D and 2-D the first coordinates of the 3-D rings are kept.
    """
    angle = rng.random(n) * 2 * np.pi
    points = np.zeros((n, 3))
    half = n // 2
    points[:half, 0] = 2 * np.cos(angle[:half])
    points[:half, 1] = 2 * np.sin(angle[:half])
    points[half:, 0] = 2 + 2 * np.cos(angle[half:])
    points[half:, 2] = 2 * np.sin(angle[half:])
    points += rng.normal(scale=0.1, size=points.shape)
    return points[:, :dim]


@lru_cache(maxsize=1)
def _sst_coordinates() -> np.ndarray:
    from runtime.data import load_sst

    field = load_sst()
    return field.coordinates


def sst(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Random ocean points (longitude/30, latitude/30, months/6) of the OSTIA SST field; first dim columns."""
    coordinates = _sst_coordinates()
    chosen = rng.choice(coordinates.shape[0], size=n, replace=False)
    scaled = coordinates[chosen] / np.array([30.0, 30.0, 6.0])
    return np.ascontiguousarray(scaled[:, :dim])


DISTRIBUTIONS = {"uniform": uniform, "two_bumps": two_bumps, "rings": interlocking_rings, "sst": sst}
