"""Tests of runtime.krylov.matrix_function against dense eigh references.

``runtime.rational.AAA`` is not on this branch yet, so the tests inject
:class:`scipy.interpolate.AAA`, which has the same interface.
"""

import numpy as np
import pytest
import scipy.interpolate

from krylov_cases import clustered_diagonal, kernel_case, matrix_function_apply, relative_error
from runtime.krylov import NumericalWarning, matrix_function

# f(K)b error relative to the shifted-solve target `tol` when the AAA fit error
# is near eps: the observed ratio is at most about 4 on these cases.
MATFUNC_ERROR_FACTOR = 20.0
SOLVE_TOL = 1e-9
BLOCK_RTOL = 1e-8

FUNCTIONS = {
    "sqrt": np.sqrt,
    "inv_sqrt": lambda x: 1.0 / np.sqrt(x),
    "exp_short": lambda x: np.exp(-0.5 * x),
    "exp_long": lambda x: np.exp(-5.0 * x),
}


def _kernel_system(condition=1e4, seed=0):
    rng = np.random.default_rng(seed)
    matrix, sigma2 = kernel_case("matern32", condition, rng)
    system = matrix + sigma2 * np.eye(matrix.shape[0])
    return matrix, sigma2, system, rng


@pytest.mark.parametrize("name", list(FUNCTIONS))
@pytest.mark.parametrize("condition", [1e2, 1e4])
def test_matrix_function_kernel_matches_eigh(name, condition):
    matrix, sigma2, system, rng = _kernel_system(condition)
    eigenvalues = np.linalg.eigvalsh(system)
    rhs = rng.standard_normal((matrix.shape[0], 2))
    function = FUNCTIONS[name]
    # sqrt-type functions are fitted on a bracket of the true spectrum: their
    # Ritz interval may reach below zero.
    bounds = (0.9 * eigenvalues[0], 1.1 * eigenvalues[-1]) if "sqrt" in name else None
    result, info = matrix_function(matrix, function, rhs, diagonal=sigma2, eig_bounds=bounds,
                                   tol=SOLVE_TOL, approximator=scipy.interpolate.AAA,
                                   return_info=True)
    reference = matrix_function_apply(system, function, rhs)
    # `tol` targets the error relative to max|f| ‖b‖ over the fit interval
    # (exp(-5x) makes ‖f(A)b‖ much smaller than that).
    interval = np.linspace(info.lower, info.upper, 1000)
    scale = np.max(np.abs(function(interval))) * np.linalg.norm(rhs)
    assert np.isrealobj(result)
    assert info.fit_error <= SOLVE_TOL
    assert np.linalg.norm(result - reference) / scale <= MATFUNC_ERROR_FACTOR * SOLVE_TOL


def test_matrix_function_exp_uses_complex_shifts():
    matrix, sigma2, _, rng = _kernel_system()
    _, info = matrix_function(matrix, FUNCTIONS["exp_long"], rng.standard_normal(matrix.shape[0]),
                              diagonal=sigma2, approximator=scipy.interpolate.AAA,
                              return_info=True)
    assert np.any(np.abs(info.poles.imag) > 0)
    assert info.converged.all()


def test_matrix_function_clustered_diagonal():
    rng = np.random.default_rng(1)
    matrix = clustered_diagonal(rng)
    rhs = rng.standard_normal(matrix.shape[0])
    diagonal = np.diag(matrix)
    result = matrix_function(matrix, np.sqrt, rhs, eig_bounds=(0.5 * diagonal.min(), 2 * diagonal.max()),
                             tol=SOLVE_TOL, approximator=scipy.interpolate.AAA)
    assert relative_error(result, np.sqrt(diagonal) * rhs) <= MATFUNC_ERROR_FACTOR * SOLVE_TOL


def test_matrix_function_block_equals_columns():
    matrix, sigma2, _, rng = _kernel_system(1e2)
    rhs = rng.standard_normal((matrix.shape[0], 2))
    block = matrix_function(matrix, FUNCTIONS["exp_short"], rhs, diagonal=sigma2,
                            approximator=scipy.interpolate.AAA)
    for column in range(2):
        single = matrix_function(matrix, FUNCTIONS["exp_short"], rhs[:, column], diagonal=sigma2,
                                 approximator=scipy.interpolate.AAA)
        assert relative_error(block[:, column], single) <= BLOCK_RTOL


def test_matrix_function_non_finite_f():
    with np.errstate(invalid="ignore"), pytest.raises(ValueError, match="f is not finite"):
        matrix_function(np.diag([1.0, 2.0]), np.log, np.ones(2), eig_bounds=(-1.0, 3.0),
                        approximator=scipy.interpolate.AAA)


@pytest.mark.filterwarnings("ignore:AAA failed to converge:RuntimeWarning")
def test_matrix_function_poor_fit_warns():
    matrix = np.diag(np.linspace(1.0, 2.0, 10))
    with pytest.warns(NumericalWarning, match="max_terms") as record:
        matrix_function(matrix, np.abs, np.ones(10), eig_bounds=(-1.0, 2.0), max_terms=3,
                        approximator=scipy.interpolate.AAA)
    ours = [item.message for item in record if isinstance(item.message, NumericalWarning)]
    assert ours[0].knob == "max_terms"


def test_matrix_function_not_vectorised():
    with pytest.raises(ValueError, match="vectorised"):
        matrix_function(np.eye(3), lambda x: 1.0, np.ones(3), eig_bounds=(0.5, 2.0),
                        approximator=scipy.interpolate.AAA)


def test_matrix_function_bad_bounds():
    with pytest.raises(ValueError, match="eig_bounds"):
        matrix_function(np.eye(3), np.exp, np.ones(3), eig_bounds=(2.0, 1.0),
                        approximator=scipy.interpolate.AAA)


def test_matrix_function_nan_rhs():
    with pytest.raises(ValueError, match="b contains NaN"):
        matrix_function(np.eye(3), np.exp, np.array([np.nan, 1.0, 1.0]),
                        approximator=scipy.interpolate.AAA)


def test_matrix_function_default_approximator():
    # runtime.rational.AAA once merged; until then a clear ImportError.
    try:
        import runtime.rational  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="approximator=scipy.interpolate.AAA"):
            matrix_function(np.eye(3), np.exp, np.ones(3), eig_bounds=(0.5, 2.0))
    else:
        result = matrix_function(np.eye(3), np.exp, np.ones(3), eig_bounds=(0.5, 2.0), tol=SOLVE_TOL)
        assert np.allclose(result, np.e, rtol=MATFUNC_ERROR_FACTOR * SOLVE_TOL)
