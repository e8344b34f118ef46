"""runtime.krylov against linear_operator (GPyTorch) on the same dense kernel matrix.

Compares, in one process on the CPU, error against a dense eigendecomposition,
number of products with K (columns) and wall time for:
  * K^{-1/2} b: `inv_sqrt_matvec` vs `linear_operator.sqrt_inv_matmul` (both CIQ
    with msMINRES, 15 quadrature nodes, MINRES tolerance 1e-4);
  * K^{-1} b: `cg` vs `linear_operator.solve` (CG, no preconditioner);
  * log det K: `logdet` vs `linear_operator.inv_quad_logdet` (stochastic Lanczos
    quadrature, same number of probes and Lanczos steps, no preconditioner).
K is the Matérn-3/2 matrix of benchmarks/krylov/common.py plus σ²I.

Run:  python benchmarks/krylov/vs_linear_operator.py [--n 3000] [--repeats 3]
Needs the `bench` extra (torch 2.13.0 CPU, gpytorch, linear-operator).
"""

import argparse
import sys
import time
import warnings

import numpy as np
import scipy.linalg
import torch
import linear_operator
from linear_operator import settings
from linear_operator.operators import DenseLinearOperator

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

from runtime.krylov import cg, inv_sqrt_matvec, logdet  # noqa: E402

# Shared settings of both libraries.
QUADRATURE_POINTS = 15          # linear_operator 0.6.1 default num_contour_quadrature
MINRES_TOL = 1e-4               # linear_operator 0.6.1 default minres_tolerance
# CG relative residual for the solve comparison. linear_operator 0.6.1's CG
# stalls at 1.09e-6 on the N = 2000 case and then runs to its iteration cap,
# so 1e-6 would time a non-converged run.
SOLVE_TOL = 1e-5
# Tighter MINRES tolerance for linear_operator, whose stopping rule (mean
# relative change of the solutions) stops earlier than ours at equal tolerance.
TIGHT_MINRES_TOL = 1e-6
PROBES = 30
LANCZOS_STEPS = 50
THREADS = 2
PRODUCT_TIMING_REPEATS = 20


class CountingDenseOperator(DenseLinearOperator):
    """linear_operator dense operator that counts products (calls and columns)."""

    counter = {"calls": 0, "columns": 0}

    def _matmul(self, rhs):
        CountingDenseOperator.counter["calls"] += 1
        CountingDenseOperator.counter["columns"] += rhs.shape[-1] if rhs.dim() > 1 else 1
        return super()._matmul(rhs)


def best_time(function, repeats):
    """Return (last result, minimum seconds) over `repeats` calls."""
    timings = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
    return result, min(timings)


def relative_error(approximation, reference):
    return float(np.linalg.norm(approximation - reference) / np.linalg.norm(reference))


def compare(matrix, rhs, noise, repeats):
    n = matrix.shape[0]
    system = matrix + noise * np.eye(n)
    eigenvalues, eigenvectors = scipy.linalg.eigh(system)
    reference_inv_sqrt = eigenvectors @ ((eigenvectors.T @ rhs) / np.sqrt(eigenvalues))
    reference_solve = eigenvectors @ ((eigenvectors.T @ rhs) / eigenvalues)
    reference_logdet = float(np.sum(np.log(eigenvalues)))
    operator = DenseOperator(matrix)
    torch_system = CountingDenseOperator(torch.from_numpy(system))
    torch_rhs = torch.from_numpy(rhs).reshape(n, 1)
    rows = []

    def ours(name, function, reference, error=relative_error):
        operator.n_columns = 0
        result, seconds = best_time(function, repeats)
        rows.append({"task": name, "library": "runtime.krylov", "error": error(result, reference),
                     "products": operator.n_columns // repeats, "seconds": seconds})

    def theirs(name, function, reference, error=relative_error, library="linear_operator"):
        CountingDenseOperator.counter.update(calls=0, columns=0)
        result, seconds = best_time(function, repeats)
        rows.append({"task": name, "library": library, "error": error(result, reference),
                     "products": CountingDenseOperator.counter["columns"] // repeats,
                     "seconds": seconds})

    # K^{-1/2} b by CIQ.
    ours("inv_sqrt", lambda: inv_sqrt_matvec(operator, rhs, diagonal=noise, n_quad=QUADRATURE_POINTS,
                                             tol=MINRES_TOL), reference_inv_sqrt)
    with settings.num_contour_quadrature(QUADRATURE_POINTS), settings.minres_tolerance(MINRES_TOL):
        theirs("inv_sqrt",
               lambda: linear_operator.sqrt_inv_matmul(torch_system, torch_rhs).numpy()[:, 0],
               reference_inv_sqrt)
    with settings.num_contour_quadrature(QUADRATURE_POINTS), \
            settings.minres_tolerance(TIGHT_MINRES_TOL):
        theirs("inv_sqrt",
               lambda: linear_operator.sqrt_inv_matmul(torch_system, torch_rhs).numpy()[:, 0],
               reference_inv_sqrt, library=f"linear_operator tol={TIGHT_MINRES_TOL:.0e}")

    # K^{-1} b by CG without preconditioner.
    ours("solve", lambda: cg(operator, rhs, diagonal=noise, tol=SOLVE_TOL).x, reference_solve)
    with settings.max_cholesky_size(0), settings.max_preconditioner_size(0), \
            settings.cg_tolerance(SOLVE_TOL), \
            settings.max_cg_iterations(10 * n):
        theirs("solve", lambda: torch_system.solve(torch_rhs).numpy()[:, 0], reference_solve)

    # log det K by stochastic Lanczos quadrature.
    def absolute_over_n(estimate, reference):
        return abs(estimate - reference) / n

    ours("logdet", lambda: logdet(operator, diagonal=noise, n_probes=PROBES, num_iter=LANCZOS_STEPS,
                                  rng=1, warn=False).logdet, reference_logdet, absolute_over_n)
    with settings.max_cholesky_size(0), settings.max_preconditioner_size(0), \
            settings.num_trace_samples(PROBES), \
            settings.max_lanczos_quadrature_iterations(LANCZOS_STEPS), \
            settings.cg_tolerance(1e-10), settings.max_cg_iterations(LANCZOS_STEPS):
        torch.manual_seed(1)
        theirs("logdet",
               lambda: float(linear_operator.inv_quad_logdet(torch_system, logdet=True)[1]),
               reference_logdet, absolute_over_n)
    # Raw product time of each backend, to separate BLAS speed from solver overhead.
    _, numpy_seconds = best_time(lambda: system @ rhs, PRODUCT_TIMING_REPEATS)
    torch_matrix = torch.from_numpy(system)
    torch_vector = torch.from_numpy(rhs)
    _, torch_seconds = best_time(lambda: torch_matrix @ torch_vector, PRODUCT_TIMING_REPEATS)
    product_seconds = {"numpy": numpy_seconds, "torch": torch_seconds}
    condition = float(eigenvalues[-1] / eigenvalues[0])
    return rows, condition, product_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="number of points")
    parser.add_argument("--lengthscale", type=float, default=DEFAULT_LENGTHSCALE)
    parser.add_argument("--noise", type=float, default=DEFAULT_NOISE, help="σ² added to K")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats (best is kept)")
    arguments = parser.parse_args()
    torch.set_num_threads(THREADS)
    torch.set_default_dtype(torch.float64)

    _, matrix, rhs = make_problem(arguments.n, arguments.lengthscale)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows, condition, product_seconds = compare(matrix, rhs, arguments.noise,
                                                   arguments.repeats)

    print(f"N={arguments.n} lengthscale={arguments.lengthscale} noise={arguments.noise} "
          f"cond={condition:.3e} torch={torch.__version__} "
          f"linear_operator={linear_operator.__version__}")
    print(f"one product K @ b: numpy {1e3 * product_seconds['numpy']:.2f} ms, "
          f"torch {1e3 * product_seconds['torch']:.2f} ms (best of {PRODUCT_TIMING_REPEATS})")
    print(f"{'task':<10}{'library':<28}{'error':>11}{'products':>10}{'seconds':>10}")
    for row in rows:
        print(f"{row['task']:<10}{row['library']:<28}{row['error']:>11.2e}{row['products']:>10}"
              f"{row['seconds']:>10.3f}")
    ratios = {}
    for task in ("inv_sqrt", "solve", "logdet"):
        ours_row, *their_rows = [row for row in rows if row["task"] == task]
        for theirs_row in their_rows:
            key = f"{task} [{theirs_row['library']}]"
            ratios[key] = {
                "time_theirs_over_ours": theirs_row["seconds"] / ours_row["seconds"],
                "products_theirs_over_ours": theirs_row["products"] / max(ours_row["products"], 1),
                "error_theirs_over_ours": theirs_row["error"] / max(ours_row["error"], 1e-300),
            }
            print(f"{key:<40} time ratio (theirs / ours) "
                  f"{ratios[key]['time_theirs_over_ours']:.2f}, products ratio "
                  f"{ratios[key]['products_theirs_over_ours']:.2f}, error ratio "
                  f"{ratios[key]['error_theirs_over_ours']:.2f}")
    path = save_results(f"krylov_vs_linear_operator_n{arguments.n}", {
        "command": " ".join(["python"] + sys.argv), "n": arguments.n,
        "lengthscale": arguments.lengthscale, "noise": arguments.noise,
        "condition_number": condition, "torch": torch.__version__,
        "linear_operator": linear_operator.__version__, "machine": machine_summary(),
        "product_seconds": product_seconds, "rows": rows, "ratios": ratios,
    })
    print(f"saved {path}")


if __name__ == "__main__":
    main()
