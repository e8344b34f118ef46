"""K^{-1/2} b by contour-integral quadrature on an FKT operator, verified without a dense matrix.

K is a Matérn-3/2 FKT operator on N uniform points in the unit cube (d = 3) plus noise sigma^2.
For each (quadrature points, MINRES tolerance) the script reports the number of products
with K and the relative error of y = K^{-1/2} b, measured matrix-free: y is mapped again,
z = K^{-1/2} y, and compared with x from a tight block-Jacobi-preconditioned CG solve of
K x = b, since z = K^{-1} b exactly. (The map is applied twice, so the error of y alone is
about half of the reported one.)

    python benchmarks/krylov/ciq_fkt.py                       # N = 50,000, the recorded run
    python benchmarks/krylov/ciq_fkt.py --n 20000 --noise 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings

import numpy as np

from runtime import FKT
from runtime.krylov import ConvergenceWarning, cg, inv_sqrt_matvec

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(ROOT, "benchmarks", "results", "krylov_ciq_fkt.json")

REFERENCE_CG_TOL = 1e-10
"""CG tolerance of the reference solve, far below the CIQ errors measured."""

FKT_TOL = 1e-8
"""FKT accuracy, so the operator's own error stays below the quadrature errors."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--lengthscale", type=float, default=0.1)
    parser.add_argument("--noise", type=float, nargs="+", default=[1.0, 0.1], help="sigma^2 values")
    parser.add_argument("--quadrature", type=int, nargs="+", default=[8, 12, 15])
    parser.add_argument("--tols", type=float, nargs="+", default=[1e-3, 1e-4, 1e-5])
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()

    rng = np.random.default_rng(arguments.seed)
    points = rng.random((arguments.n, 3))
    rhs = rng.standard_normal(arguments.n)
    started = time.perf_counter()
    operator = FKT("matern32", points, tol=FKT_TOL, lengthscale=arguments.lengthscale)
    operator @ rhs  # first product stores the near blocks
    print(f"{operator}: build and first product {time.perf_counter() - started:.1f} s")

    rows = []
    for noise in arguments.noise:
        preconditioner = operator.block_jacobi(block_size=512, diagonal=noise)
        started = time.perf_counter()
        reference = cg(operator, rhs, diagonal=noise, tol=REFERENCE_CG_TOL, preconditioner=preconditioner)
        print(f"sigma^2={noise}: reference CG {reference.iterations} iterations, "
              f"{time.perf_counter() - started:.1f} s")
        for n_quad in arguments.quadrature:
            for tol in arguments.tols:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    started = time.perf_counter()
                    once, info = inv_sqrt_matvec(operator, rhs, diagonal=noise, n_quad=n_quad, tol=tol, return_info=True)
                    seconds = time.perf_counter() - started
                    twice = inv_sqrt_matvec(operator, once, diagonal=noise, n_quad=n_quad, tol=tol,
                                            eig_bounds=(info.lower, info.upper))
                error = float(np.linalg.norm(twice - reference.x) / np.linalg.norm(reference.x))
                row = {"noise": noise, "n_quad": n_quad, "tol": tol, "products": int(info.n_products),
                       "iterations": int(info.iterations), "seconds": seconds, "error_twice": error,
                       "lower": float(info.lower), "upper": float(info.upper)}
                rows.append(row)
                print(f"  Q={n_quad:2d} tol={tol:.0e}: {row['products']:4d} products, {seconds:6.1f} s, "
                      f"error of K^-1/2 K^-1/2 b {error:.1e}  (spectrum [{info.lower:.3g}, {info.upper:.3g}])",
                      flush=True)

    payload = {"command": " ".join(sys.argv), "operator": repr(operator), "n": arguments.n,
               "lengthscale": arguments.lengthscale, "load_average": os.getloadavg(), "rows": rows}
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(suffix=".json", dir=os.path.dirname(RESULTS))
    with os.fdopen(descriptor, "w") as handle:
        json.dump(payload, handle, indent=1)
    os.replace(temporary, RESULTS)
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
