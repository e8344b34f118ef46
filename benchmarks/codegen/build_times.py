"""Time the code generator: ``codegen build``, Numba's first-call compilation, and the cached start.

For every built-in kernel (default d = 3, P = 10), three fresh processes run one after another:

1. ``codegen build --kernel=NAME --dim=3 --order=10`` with an empty cache folder
   (``FKT_CACHE_DIR``): symbolic derivation, rendering and the atomic write, plus the
   interpreter start and the imports a user pays on every call of the command;
2. a process that loads the new module with an empty Numba cache (``NUMBA_CACHE_DIR``) and
   calls each public function once, timing each first call (Numba compiles it and writes the
   machine code to the cache);
3. the same in a second process, which now loads the machine code from Numba's disk cache.

There is no peer to compare with, so the ratio printed is compile versus cached start.
Results go to ``benchmarks/results/codegen_build_times_d{d}_p{P}.json``.

Usage::

    python benchmarks/codegen/build_times.py                 # every built-in, d = 3, P = 10
    python benchmarks/codegen/build_times.py --kernels cauchy matern --dim 2 --order 8
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"

BUILD_GOAL_SECONDS = 10.0
"""Target for one ``codegen build`` of a built-in kernel at d = 3, P = 10."""

PROCESS_TIMEOUT_SECONDS = 900
"""Upper bound for one measured process; a larger value means something hangs."""

# Runs in the compile and cached-start processes. The clock starts before any import, so
# "load" covers the imports of numpy, numba and the code generator (for the freshness check).
_CALL_EVERY_FUNCTION = r"""
import time
started = time.perf_counter()
import json, sys
import numpy as np
import generated

kernel, dim, order = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
module = generated.load(kernel, dim, order)
timings = {"load": time.perf_counter() - started}

p = module.MAX_ORDER
dtype = module.VALUE_DTYPE
params = np.array(module.PARAMETER_DEFAULTS, dtype=np.float64)
rng = np.random.default_rng(0)
n = 64

# One source box about the origin and one target box about (3, ..., 3), far from each other.
sources = rng.uniform(-0.5, 0.5, (n, dim))
targets = rng.uniform(-0.5, 0.5, (n, dim)) + 3.0
weights = rng.standard_normal((n, 1)).astype(dtype)
node_order = np.array([p, p], dtype=np.int64)
node_source_range = np.array([[0, n], [0, 0]], dtype=np.int64)
node_target_range = np.array([[0, 0], [0, n]], dtype=np.int64)
node_center = np.array([[0.0] * dim, [3.0] * dim])
moment_start = np.zeros(2, dtype=np.int64)
moments = np.zeros((module.TERM_COUNT[p], 1), dtype=dtype)
leaves = np.array([1], dtype=np.int64)
empty = np.zeros(0, dtype=np.int64)
far_out = np.zeros((n, 1), dtype=dtype)
direct_out = np.zeros((n, 1), dtype=dtype)
unit = np.ones(dim) / np.sqrt(dim)
workspace = []

calls = [
    ("kernel", lambda: module.kernel(0.7, params)),
    ("derivatives", lambda: module.derivatives(0.7, p, params, np.empty(p + 1, dtype=dtype))),
    ("radial", lambda: module.radial(0.7, p, params, np.empty(p + 1, dtype=dtype), np.empty(len(module.SLOT_J), dtype=dtype))),
    ("source_coefficients", lambda: module.source_coefficients(params)),
    ("harmonic_workspace", lambda: workspace.extend(module.harmonic_workspace())),
    ("harmonics", lambda: module.harmonics(unit, p, *workspace, np.empty(module.HARMONIC_OFFSET[p + 1]))),
    ("kernel_matrix", lambda: module.kernel_matrix(targets, sources, params)),
    ("direct_sum", lambda: module.direct_sum(targets, sources, weights, params, direct_out)),
    ("expansion_values", lambda: module.expansion_values(targets, sources / 4, p, params)),
    ("compute_moments", lambda: module.compute_moments(
        params, sources, weights, np.array([0], dtype=np.int64), node_order, node_source_range, node_center,
        moment_start, moments)),
    ("apply_leaves", lambda: module.apply_leaves(
        params, targets, sources, weights, leaves, node_target_range, node_source_range, node_center, node_order,
        np.array([0, 1], dtype=np.int64), np.array([0], dtype=np.int64), np.array([0, 0], dtype=np.int64), empty,
        moment_start, moments, far_out)),
    ("near_blocks", lambda: module.near_blocks(
        params, targets, sources, leaves, node_target_range, node_source_range, np.array([0, 1], dtype=np.int64),
        np.array([0], dtype=np.int64), np.zeros(1, dtype=np.int64), np.empty(n * n, dtype=dtype))),
]
for name, call in calls:
    began = time.perf_counter()
    call()
    timings[name] = time.perf_counter() - began

dispatchers = [getattr(module, name) for name, _ in calls]
print(json.dumps({
    "timings": timings,
    "total": time.perf_counter() - started,
    "cache_hits": sum(sum(f.stats.cache_hits.values()) for f in dispatchers),
    "cache_misses": sum(sum(f.stats.cache_misses.values()) for f in dispatchers),
    # Far field through moments against the direct sum: a check that the calls did real work.
    "far_field_relative_error": float(np.linalg.norm(far_out - direct_out) / np.linalg.norm(direct_out)),
    "terms": int(module.TERM_COUNT[p]),
}))
"""


def _codegen_command() -> list[str]:
    """Return the ``codegen`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("codegen")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from codegen.cli import main; main()"]


def _run(command: list[str], environment: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=PROCESS_TIMEOUT_SECONDS
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed with exit code {completed.returncode}:\n{completed.stderr}")
    return elapsed, completed.stdout


def measure_kernel(kernel: str, dim: int, order: int, workspace: Path) -> dict:
    """Run the build, compile and cached-start processes for one kernel and return their timings."""
    cache = workspace / f"{kernel}_modules"
    numba_cache = workspace / f"{kernel}_numba"
    environment = dict(os.environ, FKT_CACHE_DIR=str(cache), NUMBA_CACHE_DIR=str(numba_cache))

    # Step 1: codegen build in a fresh process with an empty cache folder.
    build_wall, output = _run(
        [*_codegen_command(), "build", f"--kernel={kernel}", f"--dim={dim}", f"--order={order}"], environment
    )
    reported = re.search(r"\(([0-9.]+) s\)", output)
    module_path = cache / f"{kernel}_d{dim}_p{order}.py"
    source = module_path.read_text(encoding="utf-8")

    # Steps 2 and 3: first calls with an empty Numba cache, then again from the disk cache.
    call = [sys.executable, "-c", _CALL_EVERY_FUNCTION, kernel, str(dim), str(order)]
    compile_wall, compile_output = _run(call, environment)
    cached_wall, cached_output = _run(call, environment)
    compiled = json.loads(compile_output)
    cached = json.loads(cached_output)

    return {
        "kernel": kernel,
        "build_process_seconds": build_wall,
        "build_reported_seconds": float(reported.group(1)) if reported else None,
        "module_lines": source.count("\n"),
        "module_bytes": len(source.encode("utf-8")),
        "terms": compiled["terms"],
        "compile_total_seconds": compiled["total"],
        "compile_process_seconds": compile_wall,
        "compile_first_calls": compiled["timings"],
        "compile_cache_hits": compiled["cache_hits"],
        "cached_total_seconds": cached["total"],
        "cached_process_seconds": cached_wall,
        "cached_first_calls": cached["timings"],
        "cached_cache_hits": cached["cache_hits"],
        "cached_cache_misses": cached["cache_misses"],
        "far_field_relative_error": compiled["far_field_relative_error"],
    }


def _versions() -> dict:
    import numba
    import numpy
    import sympy

    return {"numba": numba.__version__, "numpy": numpy.__version__, "sympy": sympy.__version__}


def main() -> None:
    from codegen.specs import BUILTIN_KERNELS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", nargs="+", default=None, help="Built-in kernels to time (default: all defined in --dim).")
    parser.add_argument("--dim", type=int, default=3, help="Dimension of the modules (default 3).")
    parser.add_argument("--order", type=int, default=10, help="Maximum expansion order P (default 10).")
    arguments = parser.parse_args()
    kernels = arguments.kernels or [name for name, spec in BUILTIN_KERNELS.items() if arguments.dim in spec.dimensions]

    workspace = Path(tempfile.mkdtemp(prefix="fkt_codegen_bench_"))
    rows = []
    try:
        for kernel in kernels:
            row = measure_kernel(kernel, arguments.dim, arguments.order, workspace)
            rows.append(row)
            print(
                f"{kernel:22s} build {row['build_process_seconds']:5.1f} s  compile {row['compile_total_seconds']:5.1f} s  "
                f"cached {row['cached_total_seconds']:4.1f} s",
                flush=True,
            )
    finally:
        shutil.rmtree(workspace, ignore_errors=True)

    print()
    print(f"d = {arguments.dim}, P = {arguments.order}; seconds, each column a fresh process")
    header = f"{'kernel':22s} {'terms':>5s} {'lines':>6s} {'build':>6s} {'goal':>5s} {'compile':>8s} {'cached':>7s} {'ratio':>6s}"
    print(header)
    for row in rows:
        goal = "ok" if row["build_process_seconds"] < BUILD_GOAL_SECONDS else "SLOW"
        ratio = row["compile_total_seconds"] / row["cached_total_seconds"]
        print(
            f"{row['kernel']:22s} {row['terms']:5d} {row['module_lines']:6d} {row['build_process_seconds']:6.1f} "
            f"{goal:>5s} {row['compile_total_seconds']:8.1f} {row['cached_total_seconds']:7.1f} {ratio:6.1f}"
        )

    payload = {
        "command": "python benchmarks/codegen/build_times.py " + " ".join(sys.argv[1:]),
        "dim": arguments.dim,
        "order": arguments.order,
        "build_goal_seconds": BUILD_GOAL_SECONDS,
        "machine": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "versions": _versions(),
        "rows": rows,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"codegen_build_times_d{arguments.dim}_p{arguments.order}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
