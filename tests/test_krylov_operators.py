"""Tests of operator coercion and argument validation shared by the Krylov solvers."""

import numpy as np
import pytest
import scipy.sparse
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from runtime.krylov import as_operator, cg, lanczos, minres_shifted, sqrt_matvec


def test_as_operator_keeps_linear_operator():
    operator = aslinearoperator(np.eye(3))
    assert as_operator(operator) is operator


@pytest.mark.parametrize("value", [np.eye(4), scipy.sparse.identity(4, format="csr")])
def test_as_operator_converts_arrays(value):
    operator = as_operator(value)
    assert operator.shape == (4, 4)
    assert np.allclose(operator @ np.arange(4.0), np.arange(4.0))


def test_as_operator_callable_needs_shape():
    with pytest.raises(TypeError, match="pass shape"):
        as_operator(lambda block: block)


def test_as_operator_callable_block_product():
    operator = as_operator(lambda block: 2.0 * block, shape=(3, 3))
    assert np.allclose(operator.matmat(np.ones((3, 2))), 2.0)
    assert np.allclose(operator.matvec(np.ones(3)), 2.0)


def test_as_operator_callable_wrong_output_shape():
    operator = as_operator(lambda block: block[:2], shape=(3, 3))
    with pytest.raises(ValueError, match="must map"):
        cg(operator, np.ones(3))


def test_as_operator_shape_mismatch():
    with pytest.raises(ValueError, match="disagrees"):
        as_operator(np.eye(3), shape=(4, 4))


def test_as_operator_complex_rejected():
    with pytest.raises(TypeError, match="complex dtype"):
        as_operator(1j * np.eye(3))


def test_as_operator_bad_type():
    with pytest.raises(TypeError, match="op must be"):
        as_operator("matrix")


@pytest.mark.parametrize("function", [cg, lambda op, b: lanczos(op, b, 3),
                                      lambda op, b: minres_shifted(op, b, [0.0]), sqrt_matvec])
def test_solvers_reject_non_square(function):
    with pytest.raises(ValueError, match="op must be square"):
        function(np.ones((3, 4)), np.ones(3))


def test_non_finite_product_raises():
    operator = LinearOperator((3, 3), matvec=lambda x: np.full(3, np.nan), dtype=float)
    with pytest.raises(FloatingPointError, match="non-finite"):
        cg(operator, np.ones(3))


def test_rhs_wrong_ndim():
    with pytest.raises(ValueError, match="shape"):
        cg(np.eye(3), np.ones((3, 1, 1)))


def test_diagonal_wrong_shape():
    with pytest.raises(ValueError, match="diagonal must be a scalar or have shape"):
        cg(np.eye(3), np.ones(3), diagonal=np.ones(4))


def test_max_iter_not_integer():
    with pytest.raises(TypeError, match="max_iter must be an integer"):
        cg(np.eye(3), np.ones(3), max_iter=2.5)
