"""Tests of the ``codegen`` command (list, show, build, check) through click's CliRunner."""

import shutil

import pytest
from click.testing import CliRunner

import codegen.cli
import generated.loader
from codegen.cli import main, shipped_modules
from codegen.specs import BUILTIN_KERNELS
from templates import generator_version

USER_SPEC = """\
name = "damped_cosine"
expression = "exp(-r) * cos(w*r)"
[parameters]
w = 2.0
"""

# click reports usage errors with exit code 2; codegen uses 2 for invalid arguments too.
USAGE_ERROR = 2


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("FKT_CACHE_DIR", str(tmp_path / "cache"))


def _invoke(*arguments):
    return CliRunner().invoke(main, list(arguments), catch_exceptions=False)


def test_cli_list():
    result = _invoke("list")
    assert result.exit_code == 0
    for name, spec in BUILTIN_KERNELS.items():
        assert name in result.output
        assert spec.description in result.output
    assert f"Shipped modules in {generated.loader.PACKAGE_DIR}: {len(shipped_modules())}" in result.output


def test_cli_show():
    result = _invoke("show", "cauchy", "--dim", "2", "--order", "4")
    assert result.exit_code == 0
    assert "K(r) = 1/(1 + r^2)   [d=2]" in result.output
    assert f"spec hash:     {BUILTIN_KERNELS['cauchy'].spec_hash}" in result.output
    # binom(p + 2, 2) terms at p = 4, and Cauchy does not reduce.
    assert "p=4       15 / 15" in result.output
    assert "A_0,0(r) = 1/(r**2 + 1)" in result.output


def test_cli_show_reduced_counts():
    result = _invoke("show", "laplace", "--dim", "3", "--order", "3")
    assert result.exit_code == 0
    assert "reduced:       True" in result.output
    assert "p=3       16 / 20" in result.output


def test_cli_build_spec_file(tmp_path):
    spec_path = tmp_path / "damped_cosine.toml"
    spec_path.write_text(USER_SPEC, encoding="utf-8")
    out = tmp_path / "out"
    result = _invoke("build", f"--kernel={spec_path}", "--dim=2", "--order=4", f"--out={out}")
    assert result.exit_code == 0
    module_path = out / "damped_cosine_d2_p4.py"
    assert str(module_path) in result.output
    header = generated.loader.read_header(module_path)
    assert header["kernel"] == "damped_cosine"
    assert header["generator-version"] == generator_version()
    # The header's rebuild command names the spec file, so it can be run as is.
    assert f"codegen build --kernel={spec_path} --dim=2 --order=4" in module_path.read_text(encoding="utf-8")


def test_cli_build_default_folder(tmp_path):
    result = _invoke("build", "--kernel=cauchy", "--dim=1", "--order=3")
    assert result.exit_code == 0
    assert (tmp_path / "cache" / "cauchy_d1_p3.py").exists()


# (arguments, text the error output must contain)
BAD_BUILD_ARGUMENTS = [
    (["--kernel=nope", "--dim=2"], "unknown kernel 'nope'; built-in kernels are: cauchy"),
    (["--kernel=cauchy", "--dim=0"], "dim must be between 1 and 6, got 0"),
    (["--kernel=cauchy", "--dim=7", "--order=4"], "dim must be between 1 and 6, got 7"),
    (["--kernel=cauchy", "--dim=abc"], "Invalid value for '--dim': 'abc' is not a valid integer"),
    (["--kernel=cauchy", "--dim=2", "--order=-1"], "order must be between 0 and 40, got -1"),
    (["--kernel=cauchy", "--dim=2", "--order=41"], "order must be between 0 and 40, got 41"),
    (["--kernel=cauchy", "--dim=2", "--order=2.5"], "Invalid value for '--order': '2.5' is not a valid integer"),
    (["--kernel=helmholtz", "--dim=2"], "defined for dimensions [3], not dim=2"),
    (["--kernel=missing.toml", "--dim=2"], "kernel spec file not found: missing.toml"),
    (["--dim=2"], "Missing option '--kernel'"),
    (["--kernel=cauchy"], "Missing option '--dim'"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_BUILD_ARGUMENTS)
def test_cli_build_bad_arguments(tmp_path, arguments, message):
    result = _invoke("build", *arguments, f"--out={tmp_path / 'out'}")
    assert result.exit_code == USAGE_ERROR
    assert message in result.output
    assert not list((tmp_path / "out").glob("*.py"))


def test_cli_build_bad_spec_file(tmp_path):
    spec_path = tmp_path / "bad.toml"
    spec_path.write_text('name = "bad"\nexpression = "exp(-r) + os.system(1)"\n', encoding="utf-8")
    result = _invoke("build", f"--kernel={spec_path}", "--dim=2", f"--out={tmp_path}")
    assert result.exit_code == USAGE_ERROR
    assert "unexpected character '.' at column 13" in result.output
    assert str(spec_path) in result.output


def test_cli_check_shipped_modules():
    result = _invoke("check")
    assert result.exit_code == 0
    assert f"{len(shipped_modules())} shipped modules are up to date (generator {generator_version()})" in result.output


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """Point ``codegen check`` at a copy of the shipped modules; the real files are never edited."""
    copy = tmp_path / "shipped"
    copy.mkdir()
    for path in generated.loader.PACKAGE_DIR.glob("*_d*_p*.py"):
        shutil.copy2(path, copy / path.name)
    monkeypatch.setattr(codegen.cli, "PACKAGE_DIR", copy)
    return copy


def test_cli_check_passes_on_copy(shipped_copy):
    assert _invoke("check").exit_code == 0


def test_cli_check_detects_stale_spec(shipped_copy):
    path = shipped_copy / "cauchy_d2_p24.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(BUILTIN_KERNELS["cauchy"].spec_hash, "0123456789abcdef", 1), encoding="utf-8")
    result = _invoke("check")
    assert result.exit_code == 1
    assert "stale spec: cauchy_d2_p24.py has 0123456789abcdef" in result.output
    assert "1 shipped module(s) out of date; rebuild with: codegen ship" in result.output


def test_cli_check_detects_stale_generator(shipped_copy):
    path = shipped_copy / "gaussian_d3_p20.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"# generator-version: {generator_version()}", "# generator-version: 0.0", 1), encoding="utf-8")
    result = _invoke("check")
    assert result.exit_code == 1
    assert "stale generator: gaussian_d3_p20.py has 0.0" in result.output


def test_cli_check_detects_missing_module(shipped_copy):
    (shipped_copy / "laplace_d1_p24.py").unlink()
    result = _invoke("check")
    assert result.exit_code == 1
    assert "missing: laplace_d1_p24.py" in result.output
