"""Dense Matérn-3/2 kernel operator shared by the Krylov benchmarks.

The operator is any ``scipy.sparse.linalg.LinearOperator``; the benchmarks take
it as a parameter so an FKT operator can replace the dense one without other
changes.
"""

import json
import pathlib
import platform

import numpy as np
from scipy.sparse.linalg import LinearOperator
from scipy.spatial.distance import cdist

RESULTS_DIR = pathlib.Path(__file__).resolve().parents[1] / "results"

# Problem defaults: points uniform in the unit cube (d = 3), lengthscale and
# noise of a typical GP on standardised data.
DEFAULT_N = 3000
DEFAULT_LENGTHSCALE = 0.2
DEFAULT_NOISE = 1e-2
DEFAULT_SEED = 0


def matern32_matrix(points, lengthscale):
    """Dense Matérn-3/2 kernel matrix (1 + √3 r/ℓ) exp(-√3 r/ℓ)."""
    scaled = np.sqrt(3.0) * cdist(points, points) / lengthscale
    return (1.0 + scaled) * np.exp(-scaled)


class DenseOperator(LinearOperator):
    """Dense symmetric matrix as a LinearOperator that counts products."""

    def __init__(self, matrix):
        super().__init__(dtype=np.float64, shape=matrix.shape)
        self.matrix = matrix
        self.n_calls = 0
        self.n_columns = 0

    def _matmat(self, block):
        self.n_calls += 1
        self.n_columns += block.shape[1]
        return self.matrix @ block

    def _matvec(self, vector):
        # gemv, not gemm on an (n, 1) block: OpenBLAS 0.3.31 runs it 3.5x faster.
        self.n_calls += 1
        self.n_columns += 1
        return self.matrix @ np.ravel(vector)

    def _adjoint(self):
        return self


def make_problem(n=DEFAULT_N, lengthscale=DEFAULT_LENGTHSCALE, seed=DEFAULT_SEED):
    """Return (points, dense kernel matrix, right-hand side b)."""
    rng = np.random.default_rng(seed)
    points = rng.random((n, 3))
    matrix = matern32_matrix(points, lengthscale)
    rhs = rng.standard_normal(n)
    return points, matrix, rhs


def machine_summary():
    return {"python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor()}


def save_results(name, payload):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    return path
