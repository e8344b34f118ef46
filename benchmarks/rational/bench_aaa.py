"""Side-by-side benchmark of runtime.rational against scipy.interpolate.AAA and baryrat.

Clean functions on [-1, 1] with 10^3..10^5 samples: wall time (best of
repeats, peers interleaved in the same process), support points and maximum
error on a finer grid. Noisy periodic signals: error against the clean signal
in units of sigma and the number of spurious poles near the sample interval.

Run from the repository root:

    PYTHONPATH=. .venv/bin/python benchmarks/rational/bench_aaa.py [--quick]

Results are printed as Markdown and saved to benchmarks/rational/results.json.
"""

import argparse
import json
import pathlib
import platform
import time
import warnings

import baryrat
import numpy as np
import scipy
import scipy.interpolate

from runtime.rational import AAA, TrigAAA, TrigRational, fit_fourier

RTOL = np.finfo(float).eps ** 0.75  # scipy's default, passed to every method
MAX_TERMS = 100
RESULTS = pathlib.Path(__file__).with_name("results.json")

CLEAN_FUNCTIONS = {
    "exp(x)": np.exp,
    "tanh(20x)": lambda x: np.tanh(20 * x),
    "|x|": np.abs,
}


def periodic_signal():
    """Real trigonometric rational with pole pairs 0.3 +- 0.05i and 0.7 +- 0.02i."""
    poles = np.array([0.3 - 0.05j, 0.7 - 0.02j])
    residues = np.array([0.01 + 0.02j, -0.005 + 0.003j])
    return TrigRational(
        0.5, np.concatenate([poles, poles.conj()]), np.concatenate([residues, residues.conj()]),
        real=True,
    )


def run_ours(x, y):
    return AAA(x, y, rtol=RTOL, max_terms=MAX_TERMS)


def run_scipy(x, y):
    return scipy.interpolate.AAA(x, y, rtol=RTOL, max_terms=MAX_TERMS)


def run_baryrat(x, y):
    return baryrat.aaa(x, y, tol=RTOL, mmax=MAX_TERMS)


def n_terms(fit):
    return int(np.asarray(fit.weights).size) if hasattr(fit, "weights") else int(fit.w.size)


def poles_of(fit):
    return np.asarray(fit.poles())


def timed(function, *args, repeats):
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def clean_rows(sizes, repeats):
    rows = []
    for size in sizes:
        x = np.linspace(-1, 1, size)
        xt = np.linspace(-1, 1, 3 * size + 1)
        for name, function in CLEAN_FUNCTIONS.items():
            y = function(x)
            row = {"function": name, "samples": size}
            peers = [("ours", run_ours), ("scipy", run_scipy), ("baryrat", run_baryrat)]
            if size >= 100_000:
                # baryrat recomputes a full SVD per step (O(M m^3)); at 10^5
                # samples one fit of |x| takes minutes, so it is skipped there.
                peers = peers[:2]
            for label, runner in peers:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    seconds, fit = timed(runner, x, y, repeats=repeats if size < 100_000 else 1)
                    error = float(np.max(np.abs(fit(xt) - function(xt))))
                row[label] = {"seconds": seconds, "terms": n_terms(fit), "error": error}
            rows.append(row)
            print(
                f"{name:10s} {size:7d} "
                + " ".join(
                    f"{label}: {row[label]['seconds']:.3f}s m={row[label]['terms']} "
                    f"err={row[label]['error']:.1e}"
                    for label, _ in peers
                ),
                flush=True,
            )
    return rows


def spurious_poles(poles, true_poles, interval=(0.0, 1.0), band=0.01, match=0.005):
    """Poles within `band` of the sample interval that are not one of the true poles."""
    poles = np.asarray(poles)
    inside = (poles.real >= interval[0] - band) & (poles.real <= interval[1] + band)
    near = inside & (np.abs(poles.imag) < band)
    genuine = np.array([np.min(np.abs(true_poles - p)) < match for p in poles], dtype=bool)
    return int(np.count_nonzero(near & ~genuine))


def noisy_rows(sizes, sigmas, seed=0):
    rng = np.random.default_rng(seed)
    signal = periodic_signal()
    rows = []
    for size in sizes:
        x = np.arange(size) / size
        xt = np.linspace(0, 1, 5001)
        for sigma in sigmas:
            y = signal(x) + sigma * rng.standard_normal(size)
            row = {"samples": size, "sigma": sigma}
            methods = [
                ("TrigAAA", lambda: TrigAAA(x, y)),
                ("fit_fourier", lambda: fit_fourier(y)),
                ("ours AAA", lambda: run_ours(x, y)),
                ("scipy", lambda: run_scipy(x, y)),
                ("baryrat", lambda: run_baryrat(x, y)),
            ]
            for label, runner in methods:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    seconds, fit = timed(runner, repeats=1)
                    values = fit(xt)
                error = float(np.max(np.abs(np.real(values) - signal(xt)))) / sigma
                raw_poles = fit.poles() if callable(getattr(fit, "poles", None)) else fit.poles
                row[label] = {
                    "seconds": seconds,
                    "error_over_sigma": error,
                    "spurious_poles": spurious_poles(raw_poles, signal.poles),
                }
            rows.append(row)
            print(
                f"periodic {size:6d} sigma={sigma:.0e} "
                + " ".join(
                    f"{label}: err/sig={row[label]['error_over_sigma']:.3g} "
                    f"spurious={row[label]['spurious_poles']}"
                    for label, _ in methods
                ),
                flush=True,
            )
    return rows


def markdown(clean, noisy):
    lines = [
        "| function | samples | ours s | scipy s | baryrat s | ours/scipy time | ours/baryrat time "
        "| terms ours/scipy/baryrat | error ours/scipy/baryrat |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in clean:
        ours, peer = row["ours"], row["scipy"]
        bary = row.get("baryrat")
        lines.append(
            f"| {row['function']} | {row['samples']} | {ours['seconds']:.3f} | {peer['seconds']:.3f} "
            f"| {bary['seconds']:.3f} | {ours['seconds'] / peer['seconds']:.2f} "
            f"| {ours['seconds'] / bary['seconds']:.2f} "
            f"| {ours['terms']}/{peer['terms']}/{bary['terms']} "
            f"| {ours['error']:.1e}/{peer['error']:.1e}/{bary['error']:.1e} |"
            if bary else
            f"| {row['function']} | {row['samples']} | {ours['seconds']:.3f} | {peer['seconds']:.3f} "
            f"| skipped | {ours['seconds'] / peer['seconds']:.2f} | - "
            f"| {ours['terms']}/{peer['terms']}/- | {ours['error']:.1e}/{peer['error']:.1e}/- |"
        )
    lines += [
        "",
        "| samples | sigma | method | error / sigma | spurious poles | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for row in noisy:
        for label in ("TrigAAA", "fit_fourier", "ours AAA", "scipy", "baryrat"):
            entry = row[label]
            lines.append(
                f"| {row['samples']} | {row['sigma']:.0e} | {label} | {entry['error_over_sigma']:.3g} "
                f"| {entry['spurious_poles']} | {entry['seconds']:.3f} |"
            )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 10^3 and 10^4 samples")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    clean = clean_rows(sizes, repeats=3)
    noisy = noisy_rows([1_000, 10_000], [1e-2, 1e-4])
    table = markdown(clean, noisy)
    print(table)
    RESULTS.write_text(json.dumps({
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "baryrat": getattr(baryrat, "__version__", "2.1.2"),
        "clean": clean,
        "noisy": noisy,
    }, indent=1))


if __name__ == "__main__":
    main()
