"""FKT build and apply times against direct summation, KeOps (CPU) and FMM3D, side by side.

For each dimension, kernel and N, one fresh subprocess (so peak memory is its own) warms up the
Numba code on a small problem, then measures on uniform points in the unit cube with length
scale 1: FKT build time, apply time, relative error against exact rows, the direct-sum time
(all rows up to --full-direct, sampled rows above, scaled to N), KeOps on the CPU where
installed (up to --max-keops), and FMM3D's Laplace FMM in 3-D at eps = tol, 10 tol and 100 tol
(the loosest eps whose error is at most FKT's is the run at matched accuracy).

    python benchmarks/fkt/scaling.py                          # the recorded run
    python benchmarks/fkt/scaling.py --sizes 10000 30000 --dims 3 --kernels laplace

Results go to benchmarks/results/fkt_scaling.json, a table to stdout, and a plot to
docs/fkt_scaling.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(ROOT, "benchmarks", "results", "fkt_scaling.json")
PLOT = os.path.join(ROOT, "docs", "fkt_scaling.png")

SAMPLED_ROWS = 1000
"""Rows used to measure errors and direct-sum time when N is above --full-direct."""

WARMUP_POINTS = 3000


def measure(kernel: str, dim: int, n: int, tol: float, full_direct: int, max_keops: int, seed: int) -> dict:
    """One configuration, in this process. Returns the measured numbers."""
    from runtime import FKT
    from runtime.kernels import parameter_array, resolve_module

    rng = np.random.default_rng(seed)
    warm = rng.random((WARMUP_POINTS, dim))
    FKT(kernel, warm, tol=tol) @ rng.standard_normal(WARMUP_POINTS)

    points = rng.random((n, dim))
    weights = rng.standard_normal(n)
    started = time.perf_counter()
    operator = FKT(kernel, points, tol=tol)
    build = time.perf_counter() - started
    started = time.perf_counter()
    result = operator @ weights
    first_apply = time.perf_counter() - started
    # The first product also stores the near blocks when they fit the memory budget; later
    # products (as in an iterative solver) reuse them.
    started = time.perf_counter()
    result = operator @ weights
    apply = time.perf_counter() - started
    record = {"kernel": kernel, "dim": dim, "n": n, "tol": tol, "build_s": build, "first_apply_s": first_apply,
              "apply_s": apply,
              "fkt": repr(operator), "stats": {k: v for k, v in operator.stats.items() if k != "shape"}}

    # Exact rows by direct summation; all of them up to full_direct.
    rows = np.arange(n) if n <= full_direct else np.sort(rng.choice(n, SAMPLED_ROWS, replace=False))
    module = resolve_module(kernel, dim)
    params = parameter_array(module, None)
    exact = np.zeros((rows.shape[0], 1))
    module.direct_sum(points[:10], points, weights[:, None], params, np.zeros((10, 1)))
    started = time.perf_counter()
    module.direct_sum(np.ascontiguousarray(points[rows]), points, weights[:, None], params, exact)
    record["direct_s"] = (time.perf_counter() - started) * n / rows.shape[0]
    record["direct_sampled"] = bool(n > full_direct)
    record["error"] = float(np.linalg.norm(result[rows] - exact[:, 0]) / np.linalg.norm(exact[:, 0]))
    record["speedup_vs_direct"] = record["direct_s"] / apply

    if n <= max_keops:
        record.update(_keops(kernel, points, weights, rows, exact[:, 0]))
    if kernel == "laplace" and dim == 3:
        record.update(_fmm3d(points, weights, tol, rows, exact[:, 0], record["error"]))
    record["max_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return record


def _keops(kernel, points, weights, rows, exact) -> dict:
    try:
        from pykeops.numpy import LazyTensor
    except ImportError:
        return {}
    x = LazyTensor(points[:, None, :])
    y = LazyTensor(points[None, :, :])
    squared = ((x - y) ** 2).sum(-1)
    if kernel == "matern32":
        distance = squared.sqrt()
        matrix = (1 + 3**0.5 * distance) * (-(3**0.5) * distance).exp()
    elif kernel == "cauchy":
        matrix = 1 / (1 + squared)
    elif kernel == "laplace" and points.shape[1] == 3:
        # KeOps defines rsqrt(0) = 0, matching fkt's value_at_zero = 0 on the diagonal.
        matrix = squared.rsqrt() / (4 * np.pi)
    else:
        return {}
    column = weights[:, None]
    matrix @ column  # compiles the reduction
    started = time.perf_counter()
    values = (matrix @ column)[:, 0]
    seconds = time.perf_counter() - started
    error = float(np.linalg.norm(values[rows] - exact) / np.linalg.norm(exact))
    return {"keops_s": seconds, "keops_error": error}


FMM3D_EPS_FACTORS = (100.0, 10.0, 1.0)
"""FMM3D runs at eps = factor * tol; the loosest one at least as accurate as FKT is the matched run."""


def _fmm3d(points, weights, tol, rows, exact, fkt_error) -> dict:
    try:
        import fmm3dpy
    except ImportError:
        return {}
    sources = np.asfortranarray(points.T)
    fmm3dpy.lfmm3d(eps=tol, sources=sources[:, :100], charges=weights[:100], pg=1)
    runs = []
    for factor in FMM3D_EPS_FACTORS:
        eps = factor * tol
        started = time.perf_counter()
        output = fmm3dpy.lfmm3d(eps=eps, sources=sources, charges=weights, pg=1)
        seconds = time.perf_counter() - started
        # fmm3dpy 2.1 returns sum_j q_j / (4 pi |x - x_j|), the normalisation of fkt's laplace.
        error = float(np.linalg.norm(output.pot[rows] - exact) / np.linalg.norm(exact))
        runs.append({"eps": eps, "seconds": seconds, "error": error})
    at_tol = runs[-1]
    matched = next((run for run in runs if run["error"] <= fkt_error), at_tol)
    return {"fmm3d_s": at_tol["seconds"], "fmm3d_error": at_tol["error"], "fmm3d_matched_eps": matched["eps"],
            "fmm3d_matched_s": matched["seconds"], "fmm3d_matched_error": matched["error"], "fmm3d_runs": runs}


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()}


def plot(records: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({(r["dim"], r["kernel"]) for r in records})
    figure, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.6), sharey=True, squeeze=False)
    for axis, (dim, kernel) in zip(axes[0], keys):
        rows = sorted((r for r in records if (r["dim"], r["kernel"]) == (dim, kernel)), key=lambda r: r["n"])
        sizes = [r["n"] for r in rows]
        axis.loglog(sizes, [r["apply_s"] for r in rows], "o-", label="FKT apply")
        axis.loglog(sizes, [r["first_apply_s"] for r in rows], "o:", label="FKT first apply")
        axis.loglog(sizes, [r["build_s"] for r in rows], "s--", label="FKT build")
        axis.loglog(sizes, [r["direct_s"] for r in rows], "k:", label="direct sum")
        keops = [(r["n"], r["keops_s"]) for r in rows if "keops_s" in r]
        if keops:
            axis.loglog(*zip(*keops), "^-", label="KeOps CPU")
        fmm = [(r["n"], r["fmm3d_s"]) for r in rows if "fmm3d_s" in r]
        if fmm:
            axis.loglog(*zip(*fmm), "v-", label="FMM3D, eps = tol")
        matched = [(r["n"], r["fmm3d_matched_s"]) for r in rows if "fmm3d_matched_s" in r]
        if matched:
            axis.loglog(*zip(*matched), "v:", label="FMM3D, FKT's error")
        axis.set_title(f"{kernel}, d={dim}")
        axis.set_xlabel("N")
        axis.legend(fontsize=6)
    axes[0][0].set_ylabel("seconds")
    figure.tight_layout()
    descriptor, temporary = tempfile.mkstemp(suffix=".png", dir=os.path.dirname(os.path.abspath(path)))
    os.close(descriptor)
    figure.savefig(temporary, dpi=100)
    os.replace(temporary, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--kernels", nargs="+", default=["matern32", "cauchy", "laplace"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000, 1_000_000])
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--full-direct", type=int, default=100_000, help="largest N with a full direct sum")
    parser.add_argument("--max-keops", type=int, default=100_000, help="largest N run with KeOps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=RESULTS, help="JSON file for the results")
    parser.add_argument("--plot", default=PLOT, help="PNG file for the plot")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.one:
        kernel, dim, n = arguments.one.split(",")
        record = measure(kernel, int(dim), int(n), arguments.tol, arguments.full_direct, arguments.max_keops,
                         arguments.seed)
        print(json.dumps(record))
        return

    records = []
    print(f"{'kernel':>9} {'d':>2} {'N':>9} {'build s':>8} {'1st ap s':>8} {'apply s':>8} {'direct s':>9} {'speedup':>8} "
          f"{'error':>8} {'KeOps s':>8} {'FMM3D s':>8} {'RSS GB':>7}")
    for dim in arguments.dims:
        for kernel in arguments.kernels:
            for n in arguments.sizes:
                command = [sys.executable, __file__, "--one", f"{kernel},{dim},{n}", "--tol", str(arguments.tol),
                           "--full-direct", str(arguments.full_direct), "--max-keops", str(arguments.max_keops),
                           "--seed", str(arguments.seed)]
                output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
                record = json.loads(output.strip().splitlines()[-1])
                records.append(record)
                print(f"{kernel:>9} {dim:>2} {n:>9,} {record['build_s']:>8.2f} {record['first_apply_s']:>8.2f} "
                      f"{record['apply_s']:>8.2f} "
                      f"{record['direct_s']:>9.1f} {record['speedup_vs_direct']:>8.1f} {record['error']:>8.1e} "
                      f"{record.get('keops_s', float('nan')):>8.2f} {record.get('fmm3d_s', float('nan')):>8.2f} "
                      f"{record['max_rss_gb']:>7.2f}", flush=True)
    payload = {"machine": machine(), "command": " ".join(sys.argv), "records": records}
    output = os.path.abspath(arguments.output)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(suffix=".json", dir=os.path.dirname(output))
    with os.fdopen(descriptor, "w") as handle:
        json.dump(payload, handle, indent=1)
    os.replace(temporary, output)
    plot(records, arguments.plot)
    print(f"saved {output} and {arguments.plot}")


if __name__ == "__main__":
    main()
