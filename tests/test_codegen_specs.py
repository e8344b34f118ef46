"""Tests of kernel specs: the registry, TOML spec files and the validation of d and P."""

import numpy as np
import pytest

import generated
from codegen.build import build_module
from codegen.expansion import build_expansion
from codegen.specs import BUILTIN_KERNELS, MAX_SPEC_FILE_BYTES, KernelSpec, SpecError, get_spec, load_spec_file
from codegen.transform import MAX_DIMENSION, MAX_ORDER

VALID_SPEC = """\
name = "damped_cosine"
expression = "exp(-r) * cos(w*r)"
description = "Exponentially damped cosine"
[parameters]
w = 2.0
"""


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("FKT_CACHE_DIR", str(tmp_path / "cache"))


def _write(tmp_path, text, name="kernel.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_spec_unknown_kernel_lists_builtins():
    with pytest.raises(SpecError, match="unknown kernel 'gausian'") as error:
        get_spec("gausian")
    for name in BUILTIN_KERNELS:
        assert name in str(error.value)


def test_spec_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="kernel must be"):
        get_spec(42)


def test_spec_valid_file(tmp_path):
    spec = load_spec_file(_write(tmp_path, VALID_SPEC))
    assert spec.name == "damped_cosine"
    assert spec.parameters == (("w", 2.0),)
    assert spec.dimensions == tuple(range(1, MAX_DIMENSION + 1))
    assert get_spec(str(_write(tmp_path, VALID_SPEC))) == spec


# (file text, text the SpecError message must contain)
INVALID_FILES = [
    ('name = "x"\nexpression = exp(-r)\n', "not valid TOML"),
    ('name = "x"\nexpression = "exp(-r)"\nkernel = "y"\n', "unknown keys ['kernel']"),
    ('name = "x"\n', "missing required key 'expression'"),
    ('expression = "exp(-r)"\n', "missing required key 'name'"),
    ('name = "x"\nexpression = 3\n', "'expression' must be a string"),
    ('name = "gaussian"\nexpression = "exp(-r)"\n', "is a built-in kernel"),
    ('name = "Damped"\nexpression = "exp(-r)"\n', "use lowercase letters"),
    ('name = "1kernel"\nexpression = "exp(-r)"\n', "invalid kernel name '1kernel'"),
    ('name = "__init__"\nexpression = "exp(-r)"\n', "invalid kernel name '__init__'"),
    ('name = "x"\nexpression = "exp(-r)"\nparameters = [1, 2]\n', "[parameters] must be a table"),
    ('name = "x"\nexpression = "exp(-a*r)"\n[parameters]\na = -1.0\n', "positive finite number"),
    ('name = "x"\nexpression = "exp(-a*r)"\n[parameters]\na = 0.0\n', "positive finite number"),
    ('name = "x"\nexpression = "exp(-a*r)"\n[parameters]\na = inf\n', "positive finite number"),
    ('name = "x"\nexpression = "exp(-a*r)"\n[parameters]\na = "1"\n', "must be a number"),
    ('name = "x"\nexpression = "exp(-a*r)"\n[parameters]\na = true\n', "must be a number"),
    ('name = "x"\nexpression = "exp(-r)"\n[parameters]\nexp = 1.0\n', "reserved for a function"),
    ('name = "x"\nexpression = "exp(-r)"\n[parameters]\nr = 1.0\n', "reserved for the distance"),
    ('name = "x"\nexpression = "exp(-r)"\n[parameters]\nlambda = 1.0\n', "reserved Python name"),
    ('name = "x"\nexpression = "exp(-r)"\ncomplex = "yes"\n', "'complex' must be true or false"),
    ('name = "x"\nexpression = "1/r"\nvalue_at_zero = "0"\n', "'value_at_zero' must be a number"),
    ('name = "x"\nexpression = "1/r"\nvalue_at_zero = nan\n', "value_at_zero must be finite"),
    ('name = "x"\nexpression = "exp(-r)"\ndimensions = []\n', "non-empty list of integers"),
    ('name = "x"\nexpression = "exp(-r)"\ndimensions = ["3"]\n', "non-empty list of integers"),
    ('name = "x"\nexpression = "exp(-r)"\ndimensions = [7]\n', "dim must be between 1 and 6, got 7"),
    ('name = "x"\nexpression = "exp(I*r)/(1 + r^2)"\n', "set complex = true"),
    ('name = "../x"\nexpression = "exp(-r)"\n', "invalid kernel name '../x'"),
    ('name = "x"\nexpression = "exp(-r/ell)"\n', "unknown name 'ell'"),
    ('name = "x"\nexpression = "exp(-r"\n', "at column 7"),
]


@pytest.mark.parametrize(("text", "message"), INVALID_FILES)
def test_spec_invalid_file(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(SpecError) as error:
        load_spec_file(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_spec_malicious_expression_runs_nothing(tmp_path):
    marker = tmp_path / "marker"
    text = f"name = \"x\"\nexpression = \"__import__('os').system('touch {marker}')\"\n"
    with pytest.raises(SpecError, match="at column 12"):
        load_spec_file(_write(tmp_path, text))
    assert not marker.exists()


def test_spec_missing_file(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_spec_file(tmp_path / "absent.toml")


def test_spec_file_too_large(tmp_path):
    path = _write(tmp_path, VALID_SPEC + "#" * MAX_SPEC_FILE_BYTES)
    with pytest.raises(SpecError, match="larger than"):
        load_spec_file(path)


def test_spec_file_not_utf8(tmp_path):
    path = tmp_path / "kernel.toml"
    path.write_bytes(b'name = "x"\nexpression = "\xff"\n')
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec_file(path)


def test_spec_singular_without_value_at_zero():
    spec = KernelSpec(name="coulomb", expression="1/r")
    with pytest.raises(SpecError, match="value_at_zero"):
        spec.diagonal_value(3)


def test_spec_dimension_outside_kernel_domain():
    with pytest.raises(SpecError, match=r"defined for dimensions \[3\], not dim=2"):
        build_expansion("helmholtz", 2, 4)


def test_spec_hash_changes_with_parameters():
    base = KernelSpec(name="x", expression="exp(-a*r)", parameters=(("a", 1.0),))
    changed = KernelSpec(name="x", expression="exp(-a*r)", parameters=(("a", 2.0),))
    assert base.spec_hash != changed.spec_hash
    assert base.spec_hash == KernelSpec(name="x", expression="exp(-a*r)", parameters=(("a", 1.0),)).spec_hash


# (dim, exception type, text the message must contain)
INVALID_DIMENSIONS = [
    (0, ValueError, "dim must be between 1 and 6, got 0"),
    (MAX_DIMENSION + 1, ValueError, f"dim must be between 1 and 6, got {MAX_DIMENSION + 1}"),
    (-1, ValueError, "got -1"),
    (3.0, TypeError, "dim must be an integer, got 3.0 of type float"),
    ("3", TypeError, "dim must be an integer, got '3' of type str"),
    (None, TypeError, "dim must be an integer, got None"),
]

INVALID_ORDERS = [
    (-1, ValueError, "order must be between 0 and 40, got -1"),
    (MAX_ORDER + 1, ValueError, f"order must be between 0 and 40, got {MAX_ORDER + 1}"),
    (2.5, TypeError, "order must be an integer, got 2.5 of type float"),
    ("4", TypeError, "order must be an integer, got '4' of type str"),
]


@pytest.mark.parametrize(("dim", "error_type", "message"), INVALID_DIMENSIONS)
def test_expansion_invalid_dimension(dim, error_type, message):
    with pytest.raises(error_type) as error:
        build_expansion("cauchy", dim, 4)
    assert message in str(error.value)


@pytest.mark.parametrize(("order", "error_type", "message"), INVALID_ORDERS)
def test_expansion_invalid_order(order, error_type, message):
    with pytest.raises(error_type) as error:
        build_expansion("cauchy", 2, order)
    assert message in str(error.value)


@pytest.mark.parametrize(("dim", "error_type", "message"), INVALID_DIMENSIONS)
def test_build_invalid_dimension(tmp_path, dim, error_type, message):
    with pytest.raises(error_type) as error:
        build_module("cauchy", dim, 4, directory=tmp_path)
    assert message in str(error.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("order", "error_type", "message"), INVALID_ORDERS)
def test_build_invalid_order(tmp_path, order, error_type, message):
    with pytest.raises(error_type) as error:
        build_module("cauchy", 2, order, directory=tmp_path)
    assert message in str(error.value)
    assert not list(tmp_path.iterdir())


def test_build_accepts_numpy_integers(tmp_path):
    path = build_module("cauchy", np.int64(1), np.int32(2), directory=tmp_path)
    assert path.name == "cauchy_d1_p2.py"


@pytest.mark.parametrize("dim", [0, 7])
def test_load_invalid_dimension(dim):
    with pytest.raises(ValueError, match=f"dim must be one of .*, got {dim}"):
        generated.load("cauchy", dim)


def test_load_float_dimension():
    with pytest.raises(TypeError, match="dim must be an integer, got 2.0"):
        generated.load("cauchy", 2.0)


@pytest.mark.parametrize(("order", "error_type"), [(-1, ValueError), (2.5, TypeError)])
def test_load_invalid_order(tmp_path, order, error_type):
    with pytest.raises(error_type, match="order must be"):
        generated.load("cauchy", 2, order, directory=tmp_path)
