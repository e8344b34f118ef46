"""Generated modules in other processes: without sympy, and with Numba's disk cache.

Each check runs ``python -c`` in a subprocess, because both properties are about what a fresh
interpreter does: whether a module imports when sympy cannot be imported, and whether a second
process reuses the machine code the first one compiled.
"""

import json
import os
import subprocess
import sys

import pytest

from codegen.build import build_module

# Seconds for one subprocess: importing numba and compiling kernel + expansion_values of a
# small module takes about 6 s on 2 cores.
SUBPROCESS_TIMEOUT = 300

# Make "import sympy" raise ImportError, as in an environment without it.
_NO_SYMPY = "import sys\nsys.modules['sympy'] = None\n"

_RUN_MODULE = """
import json, sys
import numpy as np
import generated

arguments = json.loads(sys.argv[1])
module = generated.load(arguments["kernel"], arguments["dim"], arguments["order"], directory=arguments["directory"])
params = np.array(module.PARAMETER_DEFAULTS, dtype=np.float64)
targets = np.array([[1.5] + [0.0] * (module.DIMENSION - 1)])
sources = np.array([[0.25] * module.DIMENSION])
result = {
    "module": module.__name__,
    "kernel": module.kernel(0.5, params),
    "expansion": float(module.expansion_values(targets, sources, module.MAX_ORDER, params)[0]),
    "exact": module.kernel(float(np.linalg.norm(targets - sources)), params),
    "sympy_blocked": sys.modules.get("sympy", "missing") is None,
    "codegen_imported": any(name.startswith("codegen.") for name in sys.modules),
    "cache_hits": sum(module.kernel.stats.cache_hits.values()) + sum(module.expansion_values.stats.cache_hits.values()),
    "cache_misses": sum(module.kernel.stats.cache_misses.values())
    + sum(module.expansion_values.stats.cache_misses.values()),
}
print(json.dumps(result))
"""

_LOAD_SPEC_FILE = """
import json, sys
import generated
try:
    generated.load(sys.argv[1], 2)
except ImportError as error:
    print(json.dumps(str(error)))
"""

# The order-4 expansion of the Cauchy kernel at |x| = 1.5, |y| = 0.25 sqrt(d) differs from
# K by about (|y|/|x|)^5 ~ 1e-3 at most; this only checks that the compiled code ran sensibly.
EXPANSION_SANITY_RTOL = 1e-2


def _run(code, arguments, numba_cache):
    environment = dict(os.environ, NUMBA_CACHE_DIR=str(numba_cache), FKT_CACHE_DIR=str(numba_cache / "fkt"))
    completed = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        env=environment,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_shipped_module_runs_without_sympy(tmp_path):
    arguments = json.dumps({"kernel": "cauchy", "dim": 2, "order": None, "directory": None})
    result = _run(_NO_SYMPY + _RUN_MODULE, [arguments], tmp_path / "numba")
    assert result["sympy_blocked"]
    assert not result["codegen_imported"]
    assert result["module"] == "generated.cauchy_d2_p24"
    assert result["kernel"] == pytest.approx(1 / (1 + 0.5**2), rel=1e-15)
    assert result["expansion"] == pytest.approx(result["exact"], rel=EXPANSION_SANITY_RTOL)


def test_spec_file_without_sympy_raises_import_error(tmp_path):
    message = _run(_NO_SYMPY + _LOAD_SPEC_FILE, [str(tmp_path / "kernel.toml")], tmp_path / "numba")
    assert "needs the code generator" in message


@pytest.fixture(scope="module")
def small_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("modules")
    build_module("cauchy", 2, 4, directory=folder)
    return folder


def test_numba_cache_reused_by_second_process(small_module, tmp_path):
    arguments = json.dumps({"kernel": "cauchy", "dim": 2, "order": 4, "directory": str(small_module)})
    numba_cache = tmp_path / "numba"
    first = _run(_NO_SYMPY + _RUN_MODULE, [arguments], numba_cache)
    second = _run(_NO_SYMPY + _RUN_MODULE, [arguments], numba_cache)

    assert first["module"] == second["module"]
    assert first["module"].startswith("fkt_kernels_cauchy_d2_p4_")
    assert first["cache_hits"] == 0
    assert first["cache_misses"] >= 2
    assert second["cache_hits"] >= 2
    assert second["cache_misses"] == 0
    assert second["expansion"] == first["expansion"]
    assert any(numba_cache.rglob("*.nbi"))
