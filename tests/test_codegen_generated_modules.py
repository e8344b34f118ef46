"""Generated Numba modules against the numpy reference path and the exact kernels.

Five small modules are rendered (real sympy derivation and Jinja rendering) into one
temporary folder, imported through ``generated.load`` and compiled by Numba on first call.
Compilation dominates the run time, so the modules are shared by every test in this file.
"""

import numpy as np
import pytest

import generated
from codegen.build import build_module
from codegen.expansion import build_expansion
from codegen.harmonics import harmonic_table, reference_harmonics
from codegen.reference import evaluate_expansion, lambdify_radial, source_coefficient_matrix
from codegen.specs import BUILTIN_KERNELS
from codegen_cases import ROUNDOFF_ATOL, exact_kernel, kernel_scale, separated_pairs, truncation_bound
from templates import generator_version

# (kernel, d, P): a reduced expansion, a complex kernel, a Bessel kernel, a 1-D kernel with a
# shape parameter, and the 2-D logarithm.
MODULE_CASES = [
    ("laplace", 3, 6),
    ("helmholtz", 3, 6),
    ("matern", 3, 6),
    ("rational_quadratic", 1, 8),
    ("laplace", 2, 8),
]
CASE_IDS = [f"{name}-d{dim}-p{order}" for name, dim, order in MODULE_CASES]

# Shape parameters away from the defaults, so that a parameter lost on the way to the
# compiled code shows up.
PARAMETER_OVERRIDES = {"helmholtz": {"k": 2.5}, "matern": {"nu": 2.5}, "rational_quadratic": {"alpha": 0.7}}

# The generated code evaluates the expansion with float64 coefficients and shared
# subexpressions, the reference path with lambdified sympy. Relative to the kernel scale they
# agree to a few units of 1e-16 (measured: at most 9e-16).
EXPANSION_RTOL = 1e-12

# K(r) in generated code against the hand-written formulas; the Matérn kernel goes through
# generated.special_functions.besselk, accurate to about 1e-14 relative.
KERNEL_RTOL = 1e-12

# Radial functions sum up to P terms of alternating sign. Relative to the largest value on
# the grid, the two paths agree to 6e-14 (Matérn, whose derivatives use Bessel recurrences).
RADIAL_RTOL = 1e-11

# Harmonics are products of Gegenbauer values up to C_P^(alpha)(1); recurrences in the
# generated code and scipy's eval_gegenbauer agree to about 2e-15 relative to the largest.
HARMONICS_RTOL = 1e-12

# Direct sums of n terms against a numpy matrix-vector product.
DIRECT_SUM_RTOL = 1e-12

SAMPLE_SIZE = 40
SEED = 11


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    """Build and load every module of MODULE_CASES; map (kernel, d, P) to (module, expansion)."""
    folder = tmp_path_factory.mktemp("modules")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FKT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        loaded = {}
        for name, dim, order in MODULE_CASES:
            path = build_module(name, dim, order, directory=folder)
            assert path.parent == folder
            module = generated.load(name, dim, order, directory=folder)
            loaded[(name, dim, order)] = (module, build_expansion(name, dim, order))
        yield loaded


@pytest.fixture(params=MODULE_CASES, ids=CASE_IDS)
def case(request, modules):
    name, dim, order = request.param
    module, expansion = modules[request.param]
    params = dict(BUILTIN_KERNELS[name].defaults)
    params.update(PARAMETER_OVERRIDES.get(name, {}))
    vector = np.array([params[parameter] for parameter in module.PARAMETER_NAMES], dtype=np.float64)
    return name, dim, order, module, expansion, params, vector


def test_module_constants(case):
    name, dim, order, module, expansion, _, _ = case
    spec = BUILTIN_KERNELS[name]
    assert module.KERNEL_NAME == name
    assert module.DIMENSION == dim
    assert module.MAX_ORDER == order
    assert module.SPEC_HASH == spec.spec_hash
    assert module.GENERATOR_VERSION == generator_version()
    assert module.PARAMETER_NAMES == spec.parameter_names
    assert module.PARAMETER_DEFAULTS == tuple(spec.defaults.values())
    assert module.IS_COMPLEX == spec.is_complex
    assert module.REDUCED == expansion.reduced
    assert module.SLOT_J.tolist() == [slot.j for slot in expansion.slots]
    assert module.SLOT_K.tolist() == [slot.k for slot in expansion.slots]
    assert module.TERM_COUNT.tolist() == [expansion.term_count(p) for p in range(order + 1)]
    assert module.HARMONIC_OFFSET.tolist() == harmonic_table(dim, order)[1].tolist()


def test_module_file_header(case):
    name, dim, order, module, _, _, _ = case
    header = generated.loader.read_header(module.__file__)
    assert header == {
        "kernel": name,
        "dim": str(dim),
        "order": str(order),
        "spec-hash": BUILTIN_KERNELS[name].spec_hash,
        "generator-version": generator_version(),
    }


def test_module_expansion_matches_reference(case):
    name, dim, order, module, expansion, params, vector = case
    targets, sources = separated_pairs(np.random.default_rng(SEED), dim, SAMPLE_SIZE)
    scale = kernel_scale(name, dim, np.linalg.norm(targets, axis=1), np.linalg.norm(sources, axis=1), params)
    for p in range(order + 1):
        generated_values = module.expansion_values(targets, sources, p, vector)
        reference_values = evaluate_expansion(expansion, targets, sources, p, tuple(vector))
        assert np.max(np.abs(generated_values - reference_values) / scale) <= EXPANSION_RTOL, f"p={p}"


def test_module_expansion_matches_kernel(case):
    name, dim, order, module, _, _, _ = case
    # Default parameters: the truncation bound holds for them (Helmholtz with k r' > 1
    # needs more terms than P = 6).
    params = BUILTIN_KERNELS[name].defaults
    vector = np.array(module.PARAMETER_DEFAULTS, dtype=np.float64)
    targets, sources = separated_pairs(np.random.default_rng(SEED), dim, SAMPLE_SIZE)
    radius = np.linalg.norm(targets, axis=1)
    source_radius = np.linalg.norm(sources, axis=1)
    exact = exact_kernel(name, dim, np.linalg.norm(targets - sources, axis=1), params)
    scale = kernel_scale(name, dim, radius, source_radius, params)
    error = np.abs(module.expansion_values(targets, sources, order, vector) - exact)
    assert np.all(error <= truncation_bound(dim, order, source_radius / radius) * scale + ROUNDOFF_ATOL)


def test_module_kernel_matches_formula(case):
    name, dim, _, module, _, params, vector = case
    distances = np.concatenate([np.geomspace(1e-6, 0.1, 20), np.linspace(0.1, 8.0, 80)])
    values = np.array([module.kernel(distance, vector) for distance in distances])
    exact = exact_kernel(name, dim, distances, params)
    np.testing.assert_allclose(values, exact, rtol=KERNEL_RTOL, atol=0)


def test_module_kernel_at_zero(case):
    name, dim, _, module, _, _, vector = case
    spec = BUILTIN_KERNELS[name]
    assert module.kernel(0.0, vector) == spec.diagonal_value(dim)


def test_module_radial_matches_reference(case):
    _, _, order, module, expansion, _, vector = case
    distances = np.linspace(0.3, 3.0, 25)
    derivative_values = np.empty(2 * (module.MAX_ORDER + 1), dtype=module.VALUE_DTYPE)
    out = np.empty(len(expansion.slots), dtype=module.VALUE_DTYPE)
    reference_values = lambdify_radial(expansion)(distances, *vector)
    largest = np.max(np.abs(reference_values), axis=1)
    for p in range(order + 1):
        used = module.SLOT_COUNT[p]
        for index, distance in enumerate(distances):
            module.radial(distance, p, vector, derivative_values, out)
            error = np.abs(out[:used] - reference_values[:used, index]) / largest[:used]
            assert np.all(error <= RADIAL_RTOL), f"p={p}, r={distance}"


def test_module_source_coefficients_match_reference(case):
    _, _, _, module, expansion, _, vector = case
    np.testing.assert_allclose(
        module.source_coefficients(vector), source_coefficient_matrix(expansion, tuple(vector)), rtol=EXPANSION_RTOL, atol=0
    )


def test_module_harmonics_match_reference(case):
    _, dim, order, module, _, _, _ = case
    rng = np.random.default_rng(SEED)
    units = rng.standard_normal((SAMPLE_SIZE, dim))
    # Directions along the last axis, where the generated code takes its rho = 0 branches.
    units[0] = 0.0
    units[0, -1] = 1.0
    units[1] = -units[0]
    units /= np.linalg.norm(units, axis=1)[:, None]

    reference_values = reference_harmonics(dim, order, units)
    largest = np.max(np.abs(reference_values), axis=0)
    gegenbauer, sine_powers, azimuth = module.harmonic_workspace()
    out = np.empty(module.HARMONIC_OFFSET[order + 1])
    for p in range(order + 1):
        count = module.HARMONIC_OFFSET[p + 1]
        for index, unit in enumerate(units):
            module.harmonics(unit, p, gegenbauer, sine_powers, azimuth, out)
            error = np.abs(out[:count] - reference_values[index, :count]) / largest[:count]
            assert np.all(error <= HARMONICS_RTOL), f"p={p}, unit={unit}"


def _points_with_duplicates(dim):
    rng = np.random.default_rng(SEED)
    targets = rng.uniform(-2.0, 2.0, (30, dim))
    sources = rng.uniform(-2.0, 2.0, (20, dim))
    # Shared points put r = 0 (the diagonal value) into the sums.
    sources[:5] = targets[:5]
    return targets, sources


def _dense_matrix(name, dim, params, targets, sources, diagonal):
    distances = np.linalg.norm(targets[:, None, :] - sources[None, :, :], axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        matrix = exact_kernel(name, dim, distances, params)
    return np.where(distances == 0.0, diagonal, matrix)


def test_module_kernel_matrix_matches_numpy(case):
    name, dim, _, module, _, params, vector = case
    targets, sources = _points_with_duplicates(dim)
    expected = _dense_matrix(name, dim, params, targets, sources, BUILTIN_KERNELS[name].diagonal_value(dim))
    matrix = module.kernel_matrix(targets, sources, vector)
    assert matrix.dtype == module.VALUE_DTYPE
    np.testing.assert_allclose(matrix, expected, rtol=KERNEL_RTOL, atol=0)


@pytest.mark.parametrize("n_rhs", [1, 3])
def test_module_direct_sum_matches_numpy(case, n_rhs):
    name, dim, _, module, _, params, vector = case
    targets, sources = _points_with_duplicates(dim)
    rng = np.random.default_rng(SEED + n_rhs)
    weights = rng.standard_normal((sources.shape[0], n_rhs)).astype(module.VALUE_DTYPE)
    if module.IS_COMPLEX:
        weights += 1j * rng.standard_normal(weights.shape)
    matrix = _dense_matrix(name, dim, params, targets, sources, BUILTIN_KERNELS[name].diagonal_value(dim))

    # direct_sum adds to ``out``, so start from nonzero values.
    start = rng.standard_normal((targets.shape[0], n_rhs)).astype(module.VALUE_DTYPE)
    out = start.copy()
    module.direct_sum(targets, sources, weights, vector, out)
    expected = start + matrix @ weights
    bound = DIRECT_SUM_RTOL * (np.abs(start) + np.abs(matrix) @ np.abs(weights))
    assert np.all(np.abs(out - expected) <= bound)
