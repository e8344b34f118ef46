"""Dense symmetric positive definite test matrices for the Krylov tests.

Kernel matrices on random points in the unit cube plus a noise diagonal σ²,
with σ² chosen so that the condition number of K + σ²I is close to a target,
and a diagonal matrix with a clustered spectrum. Dense eigendecompositions
(scipy.linalg.eigh) give the references.
"""

import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist

# Size of the dense test matrices: big enough for Krylov effects (loss of
# orthogonality, clustered small eigenvalues), small enough for eigh in ms.
CASE_SIZE = 160

# (kernel, target condition number of K + σ²I) pairs. The Matérn-3/2 matrix
# with ℓ = 2 has condition number about 7e6 without noise, so 1e8 uses the
# Gaussian kernel, which is numerically singular at ℓ = 0.6.
KERNEL_CASES = (
    ("matern32", 1e2),
    ("matern32", 1e4),
    ("matern32", 1e6),
    ("gaussian", 1e4),
    ("gaussian", 1e8),
)
KERNEL_LENGTHSCALES = {"matern32": 2.0, "gaussian": 0.6}


def matern32(points, lengthscale):
    """Matérn-3/2 kernel matrix (1 + √3 r/ℓ) exp(-√3 r/ℓ)."""
    scaled = np.sqrt(3.0) * cdist(points, points) / lengthscale
    return (1.0 + scaled) * np.exp(-scaled)


def matern32_lengthscale_derivative(points, lengthscale):
    """∂/∂ℓ of :func:`matern32`: (3 r² / ℓ³) exp(-√3 r/ℓ)."""
    scaled = np.sqrt(3.0) * cdist(points, points) / lengthscale
    return scaled**2 * np.exp(-scaled) / lengthscale


def gaussian(points, lengthscale):
    """Gaussian kernel matrix exp(-r² / (2ℓ²))."""
    return np.exp(-cdist(points, points, "sqeuclidean") / (2.0 * lengthscale**2))


def random_points(rng, n=CASE_SIZE, dim=3):
    return rng.random((n, dim))


def kernel_case(name, condition, rng, n=CASE_SIZE):
    """Return ``(K, sigma2)`` with cond(K + sigma2 I) close to ``condition``.

    ``sigma2 = (λ_max - κ λ_min) / (κ - 1)`` solves ``(λ_max + σ²) / (λ_min + σ²) = κ``
    and is positive because the noise-free kernel matrices are worse conditioned
    than every target.
    """
    points = random_points(rng, n)
    if name == "matern32":
        kernel = matern32(points, KERNEL_LENGTHSCALES[name])
    elif name == "gaussian":
        kernel = gaussian(points, KERNEL_LENGTHSCALES[name])
    else:
        raise ValueError(f"unknown kernel case {name!r}")
    eigenvalues = scipy.linalg.eigvalsh(kernel)
    sigma2 = (eigenvalues[-1] - condition * max(eigenvalues[0], 0.0)) / (condition - 1.0)
    assert sigma2 > 0, "the noise-free kernel is better conditioned than the target"
    return kernel, float(sigma2)


def clustered_diagonal(rng, n=CASE_SIZE):
    """Diagonal matrix whose eigenvalues form three tight clusters and a spread tail."""
    centres = np.array([1e-3, 1.0, 1e2])
    clustered = rng.choice(centres, size=n - 10) * (1.0 + 1e-6 * rng.standard_normal(n - 10))
    spread = np.geomspace(1e-3, 1e2, 10)
    return np.diag(rng.permutation(np.concatenate([clustered, spread])))


def matrix_power_apply(matrix, power, block):
    """Return ``matrix**power @ block`` by a dense symmetric eigendecomposition."""
    eigenvalues, eigenvectors = scipy.linalg.eigh(matrix)
    scaled = eigenvalues**power
    if np.ndim(block) == 1:
        return eigenvectors @ (scaled * (eigenvectors.T @ block))
    return eigenvectors @ (scaled[:, None] * (eigenvectors.T @ block))


def matrix_function_apply(matrix, function, block):
    """Return ``function(matrix) @ block`` by a dense symmetric eigendecomposition."""
    eigenvalues, eigenvectors = scipy.linalg.eigh(matrix)
    values = function(eigenvalues)
    if np.ndim(block) == 1:
        return eigenvectors @ (values * (eigenvectors.T @ block))
    return eigenvectors @ (values[:, None] * (eigenvectors.T @ block))


def relative_error(approximation, reference):
    return float(np.linalg.norm(approximation - reference) / np.linalg.norm(reference))
