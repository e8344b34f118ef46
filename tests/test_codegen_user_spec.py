"""A user kernel from a TOML spec file, end to end: write, build, load, evaluate."""

import numpy as np
import pytest

import generated
from codegen.specs import load_spec_file
from codegen_cases import ROUNDOFF_ATOL, separated_pairs, truncation_bound
from generated.loader import DEFAULT_ORDERS, read_header
from templates import generator_version

DIM = 2

SPEC_TEMPLATE = """\
name = "damped_cosine"
expression = "exp(-r) * cos(w*r)"
description = "Exponentially damped cosine"
[parameters]
w = {w}
"""

# K(r) = exp(-r) cos(w r) in numpy against the generated code: a few ulps.
KERNEL_RTOL = 1e-13

SAMPLE_SIZE = 200
SEED = 3


def damped_cosine(r, w):
    return np.exp(-r) * np.cos(w * r)


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "damped_cosine.toml"
    path.write_text(SPEC_TEMPLATE.format(w=2.0), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FKT_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def module(spec_path, cache):
    return generated.load(spec_path, DIM)


def test_user_spec_module_built_in_cache(module, spec_path, cache):
    spec_hash = load_spec_file(spec_path).spec_hash
    path = cache / f"damped_cosine_{spec_hash[:8]}_d{DIM}_p{DEFAULT_ORDERS[DIM]}.py"
    assert module.__file__ == str(path)
    header = read_header(path)
    assert header["spec-hash"] == load_spec_file(spec_path).spec_hash
    assert header["generator-version"] == generator_version()


def test_user_spec_module_constants(module):
    assert module.KERNEL_NAME == "damped_cosine"
    assert module.DIMENSION == DIM
    assert module.MAX_ORDER == DEFAULT_ORDERS[DIM]
    assert module.PARAMETER_NAMES == ("w",)
    assert module.PARAMETER_DEFAULTS == (2.0,)
    assert module.EXPRESSION == "exp(-r) * cos(w*r)"


@pytest.mark.parametrize("w", [2.0, 0.5])
def test_user_spec_kernel_matches_formula(module, w):
    distances = np.linspace(0.0, 10.0, 101)
    values = np.array([module.kernel(distance, np.array([w])) for distance in distances])
    np.testing.assert_allclose(values, damped_cosine(distances, w), rtol=KERNEL_RTOL, atol=0)


@pytest.mark.parametrize("w", [2.0, 0.5])
def test_user_spec_expansion_matches_formula(module, w):
    targets, sources = separated_pairs(np.random.default_rng(SEED), DIM, SAMPLE_SIZE)
    radius = np.linalg.norm(targets, axis=1)
    source_radius = np.linalg.norm(sources, axis=1)
    exact = damped_cosine(np.linalg.norm(targets - sources, axis=1), w)
    values = module.expansion_values(targets, sources, module.MAX_ORDER, np.array([w]))

    # exp(-r) cos(w r) is the real part of exp(-(1 - i w) r), an exponential kernel with a
    # complex rate, so its expansion has the same singularities in eps and obeys the same
    # bound, scaled by the envelope exp(-(|x| - |y|)) (measured: at most 3 % of the bound).
    envelope = np.exp(-(radius - source_radius))
    bound = truncation_bound(DIM, module.MAX_ORDER, source_radius / radius) * envelope + ROUNDOFF_ATOL
    assert np.all(np.abs(values - exact) <= bound)


def test_user_spec_second_load_reuses_module(module, spec_path):
    written = read_header(module.__file__)
    assert generated.load(spec_path, DIM) is module
    assert read_header(module.__file__) == written


def test_user_spec_edit_rebuilds_module(tmp_path, monkeypatch):
    monkeypatch.setenv("FKT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "damped_cosine.toml"
    path.write_text(SPEC_TEMPLATE.format(w=2.0), encoding="utf-8")
    original = generated.load(path, DIM)

    # Same name and expression, new default: a new spec hash, hence a new module file (user
    # module names carry the hash, so two versions of a spec never overwrite each other).
    path.write_text(SPEC_TEMPLATE.format(w=3.0), encoding="utf-8")
    rebuilt = generated.load(path, DIM)
    assert rebuilt.__file__ != original.__file__
    assert original.PARAMETER_DEFAULTS == (2.0,)
    assert rebuilt.PARAMETER_DEFAULTS == (3.0,)
    assert read_header(rebuilt.__file__)["spec-hash"] == load_spec_file(path).spec_hash
