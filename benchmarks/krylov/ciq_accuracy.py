"""Accuracy of K^{-1/2} b by CIQ against quadrature nodes, tolerance and iterations.

Operator: dense Matérn-3/2 kernel matrix (d = 3) plus a noise diagonal, wrapped
as a LinearOperator (pass any other operator to `run_sweeps`). Errors are
measured two ways: against a dense eigendecomposition (small N only), and
matrix-free as ‖K^{-1/2}(K^{-1/2} b) - x‖ / ‖x‖ with x from a tight CG solve of
(K + σ²I) x = b, which needs no factorisation.

Run:  python benchmarks/krylov/ciq_accuracy.py [--n 3000] [--no-eigh]
"""

import argparse
import logging
import sys
import time
import warnings

import numpy as np
import scipy.linalg

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from common import (  # noqa: E402
    DEFAULT_LENGTHSCALE,
    DEFAULT_N,
    DEFAULT_NOISE,
    DenseOperator,
    machine_summary,
    make_problem,
    save_results,
)

from runtime.krylov import ConvergenceWarning, cg, inv_sqrt_matvec  # noqa: E402

logger = logging.getLogger("benchmarks.krylov.ciq_accuracy")

QUADRATURE_POINTS = (4, 6, 8, 10, 15, 20)
MINRES_TOLERANCES = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
ITERATION_CAPS = (10, 20, 30, 40, 60, 80, 100, 150)
# Reference CG tolerance for the matrix-free check: far below every CIQ error.
REFERENCE_CG_TOL = 1e-12


def relative_error(approximation, reference):
    return float(np.linalg.norm(approximation - reference) / np.linalg.norm(reference))


def run_one(operator, rhs, noise, reference, cg_solution, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        result, info = inv_sqrt_matvec(operator, rhs, diagonal=noise, return_info=True, **options)
        seconds = time.perf_counter() - start
        twice = inv_sqrt_matvec(operator, result, diagonal=noise,
                                eig_bounds=(info.lower, info.upper), **options)
    row = {
        **{key: value for key, value in options.items()},
        "products": info.n_products,
        "iterations": info.iterations,
        "seconds": seconds,
        "converged": info.success,
        "error_matrix_free": relative_error(twice, cg_solution),
    }
    if reference is not None:
        row["error_eigh"] = relative_error(result, reference)
    return row


def run_sweeps(operator, rhs, noise, reference=None):
    """Return rows of both sweeps (nodes x tolerance, and iteration caps) and the reference CG."""
    cg_result = cg(operator, rhs, diagonal=noise, tol=REFERENCE_CG_TOL)
    rows = []
    for n_quad in QUADRATURE_POINTS:
        for tol in MINRES_TOLERANCES:
            rows.append({"sweep": "quadrature_x_tol",
                         **run_one(operator, rhs, noise, reference, cg_result.x, n_quad=n_quad,
                                   tol=tol)})
    for max_iter in ITERATION_CAPS:
        rows.append({"sweep": "iterations",
                     **run_one(operator, rhs, noise, reference, cg_result.x, n_quad=15,
                               tol=1e-10, max_iter=max_iter)})
    return rows, cg_result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="number of points")
    parser.add_argument("--lengthscale", type=float, default=DEFAULT_LENGTHSCALE)
    parser.add_argument("--noise", type=float, default=DEFAULT_NOISE, help="σ² added to K")
    parser.add_argument("--no-eigh", action="store_true",
                        help="skip the dense eigendecomposition reference")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    _, matrix, rhs = make_problem(arguments.n, arguments.lengthscale)
    operator = DenseOperator(matrix)
    reference = None
    condition = None
    if not arguments.no_eigh:
        eigenvalues, eigenvectors = scipy.linalg.eigh(matrix)
        eigenvalues = eigenvalues + arguments.noise
        condition = float(eigenvalues[-1] / eigenvalues[0])
        reference = eigenvectors @ ((eigenvectors.T @ rhs) / np.sqrt(eigenvalues))

    rows, cg_result = run_sweeps(operator, rhs, arguments.noise, reference)
    header = f"{'sweep':<17}{'Q':>4}{'tol':>9}{'max_iter':>9}{'products':>9}{'err eigh':>11}{'err mf':>11}"
    print(f"N={arguments.n} lengthscale={arguments.lengthscale} noise={arguments.noise} "
          f"cond={condition if condition is None else f'{condition:.3e}'} "
          f"reference CG iterations={cg_result.iterations}")
    print(header)
    for row in rows:
        print(f"{row['sweep']:<17}{row['n_quad']:>4}{row['tol']:>9.0e}"
              f"{row.get('max_iter', '-'):>9}{row['products']:>9}"
              f"{row.get('error_eigh', float('nan')):>11.2e}{row['error_matrix_free']:>11.2e}")
    path = save_results(f"krylov_ciq_accuracy_n{arguments.n}", {
        "command": " ".join(["python"] + sys.argv),
        "n": arguments.n, "lengthscale": arguments.lengthscale, "noise": arguments.noise,
        "condition_number": condition, "reference_cg_iterations": cg_result.iterations,
        "machine": machine_summary(), "rows": rows,
    })
    print(f"saved {path}")


if __name__ == "__main__":
    main()
