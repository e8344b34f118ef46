"""Coercion of operators and validation of solver arguments.

Every public solver in :mod:`runtime.krylov` takes its operator through
:func:`as_operator`, so a dense array, a sparse matrix, any
:class:`scipy.sparse.linalg.LinearOperator` (the FKT operator included) or a
plain block-product callable plugs in unchanged. Products go through
:class:`CountingProduct`, which applies ``matmat`` once per block, counts
products and rejects non-finite output.
"""

import logging
import numbers
import operator

import numpy as np
from scipy.sparse.linalg import LinearOperator, aslinearoperator

__all__ = ["as_operator", "CountingProduct"]

logger = logging.getLogger(__name__)


def as_operator(op, shape=None, *, name="op"):
    """Convert ``op`` to a square real :class:`~scipy.sparse.linalg.LinearOperator`.

    Parameters
    ----------
    op : array_like, sparse matrix, LinearOperator or callable
        The operator. Anything :func:`scipy.sparse.linalg.aslinearoperator`
        accepts is passed to it. A callable that is not a ``LinearOperator`` is
        taken as a block product ``X -> K @ X`` that maps an ``(n, k)`` array to
        an ``(n, k)`` array, and needs ``shape``.
    shape : tuple of int, optional
        ``(n, n)``. Required for a callable; checked against ``op.shape``
        otherwise.
    name : str, default "op"
        Argument name used in error messages.

    Returns
    -------
    LinearOperator
        The operator, unchanged if it already is a ``LinearOperator``.

    Raises
    ------
    TypeError
        If ``op`` is of an unsupported type, a callable comes without ``shape``,
        or the operator has a complex dtype (the solvers assume a real symmetric
        operator).
    ValueError
        If the operator is not square or ``shape`` disagrees with it.
    """
    if isinstance(op, LinearOperator):
        linear_operator = op
    elif callable(op) and not hasattr(op, "shape"):
        if shape is None:
            raise TypeError(
                f"{name} is a callable, so its shape is unknown; pass shape=(n, n) "
                f"along with it, or pass a scipy LinearOperator instead"
            )
        linear_operator = _callable_operator(op, _check_shape(shape, name), name)
    else:
        try:
            linear_operator = aslinearoperator(op)
        except TypeError as error:
            raise TypeError(
                f"{name} must be an array, a sparse matrix, a LinearOperator or a "
                f"block-product callable with shape=..., got {type(op).__name__}"
            ) from error

    rows, cols = linear_operator.shape
    if rows != cols:
        raise ValueError(
            f"{name} must be square, got shape {linear_operator.shape}; the solvers "
            f"need a symmetric (n, n) operator"
        )
    if shape is not None and tuple(shape) != tuple(linear_operator.shape):
        raise ValueError(
            f"shape={tuple(shape)} disagrees with {name}.shape="
            f"{tuple(linear_operator.shape)}; drop shape or fix it"
        )
    if linear_operator.dtype is not None and np.issubdtype(
        linear_operator.dtype, np.complexfloating
    ):
        raise TypeError(
            f"{name} has complex dtype {linear_operator.dtype}; the solvers support "
            f"real symmetric operators only (complex shifts and right-hand sides "
            f"are allowed)"
        )
    return linear_operator


def _check_shape(shape, name):
    try:
        rows, cols = (operator.index(size) for size in shape)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"shape of {name} must be a pair of integers (n, n), got {shape!r}"
        ) from error
    if rows < 1 or rows != cols:
        raise ValueError(f"{name} must be square with n >= 1, got shape {shape!r}")
    return rows, cols


def _callable_operator(function, shape, name):
    n = shape[0]

    def matmat(block):
        result = np.asarray(function(block))
        if result.shape != block.shape:
            raise ValueError(
                f"{name} returned shape {result.shape} for an input of shape "
                f"{block.shape}; a block-product callable must map (n, k) to (n, k)"
            )
        return result

    def matvec(vector):
        return matmat(np.reshape(vector, (n, 1)))[:, 0]

    return LinearOperator(shape, matvec=matvec, matmat=matmat, rmatvec=matvec,
                          dtype=np.float64)


class CountingProduct:
    """Block products with ``K + D`` that count calls and reject bad output.

    Parameters
    ----------
    op : LinearOperator
        Real symmetric ``(n, n)`` operator ``K``.
    diagonal : float or ndarray of shape (n,), default 0.0
        Diagonal ``D`` added to ``K`` in every product.
    name : str, default "op"
        Name used in error messages.

    Attributes
    ----------
    n_products : int
        Calls of ``op.matmat`` (one per block, whatever its width), or of
        ``op.matvec`` for a block of one column.
    n_matvecs : int
        Columns multiplied, summed over calls (the "MVM" count of the
        literature).
    """

    def __init__(self, op, diagonal=0.0, *, name="op"):
        self.op = op
        self.diagonal = diagonal
        self.name = name
        self.n_products = 0
        self.n_matvecs = 0

    def __call__(self, block):
        """Return ``(K + D) @ block`` for a real or complex ``(n, k)`` block.

        A complex block is multiplied as one real block of its real and imaginary
        parts, so the operator only ever sees real input.
        """
        if block.shape[1] == 0:
            return np.zeros_like(block)
        if np.iscomplexobj(block):
            width = block.shape[1]
            stacked = self._real_product(np.concatenate([block.real, block.imag], axis=1))
            product = stacked[:, :width] + 1j * stacked[:, width:]
        else:
            product = self._real_product(block)
        if np.ndim(self.diagonal) == 0:
            if self.diagonal != 0.0:
                product = product + self.diagonal * block
        else:
            product = product + self.diagonal[:, None] * block
        return product

    def _real_product(self, block):
        # One column goes through matvec: for dense arrays that is gemv, which
        # OpenBLAS runs several times faster than gemm on an (n, 1) block.
        if block.shape[1] == 1:
            result = np.asarray(self.op.matvec(block[:, 0])).reshape(-1, 1)
        else:
            result = np.asarray(self.op.matmat(np.ascontiguousarray(block)))
        self.n_products += 1
        self.n_matvecs += block.shape[1]
        if result.shape != block.shape:
            raise ValueError(
                f"{self.name}.matmat returned shape {result.shape} for a block of "
                f"shape {block.shape}"
            )
        if not np.all(np.isfinite(result)):
            raise FloatingPointError(
                f"{self.name}.matmat returned non-finite values in product "
                f"{self.n_products}; check the operator and its inputs"
            )
        return result


def check_tolerance(tol, name="tol"):
    """Return ``tol`` as a float after checking it lies in (0, 1)."""
    if not isinstance(tol, numbers.Real) or isinstance(tol, bool):
        raise TypeError(f"{name} must be a real number in (0, 1), got {tol!r}")
    tol = float(tol)
    if not 0.0 < tol < 1.0:
        raise ValueError(
            f"{name} must lie in (0, 1) because it is a relative residual, got {tol!r}"
        )
    return tol


def check_count(value, name, minimum=1):
    """Return ``value`` as an int after checking ``value >= minimum``."""
    try:
        count = operator.index(value)
    except TypeError as error:
        raise TypeError(f"{name} must be an integer, got {value!r}") from error
    if count < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {count}")
    return count


def check_rhs(b, n, name="b"):
    """Return ``b`` as a 2-D float or complex array and whether it was 1-D.

    Raises
    ------
    ValueError
        If ``b`` is not 1-D or 2-D, its length differs from ``n``, or it
        contains NaN or infinity.
    """
    array = np.asarray(b)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (n,) or (n, k), got shape {array.shape}"
        )
    if array.shape[0] != n:
        raise ValueError(
            f"{name} has {array.shape[0]} rows but the operator has n={n}; "
            f"pass a right-hand side of length {n}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity; remove them before solving")
    was_vector = array.ndim == 1
    dtype = np.complex128 if np.iscomplexobj(array) else np.float64
    block = np.array(array.reshape(n, -1), dtype=dtype)
    return block, was_vector


def check_diagonal(diagonal, n, name="diagonal"):
    """Return ``diagonal`` as a float or a float array of shape (n,)."""
    if np.ndim(diagonal) == 0:
        if not isinstance(diagonal, numbers.Real) and not (
            isinstance(diagonal, np.ndarray) and np.isrealobj(diagonal)
        ):
            raise TypeError(f"{name} must be a real scalar or array of shape (n,), got {diagonal!r}")
        value = float(diagonal)
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return value
    array = np.asarray(diagonal, dtype=np.float64)
    if array.shape != (n,):
        raise ValueError(
            f"{name} must be a scalar or have shape ({n},), got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def as_operator_list(derivatives, n, name="derivatives"):
    """Return ``derivatives`` as a list of operators and whether one was given."""
    single = not isinstance(derivatives, (list, tuple))
    items = [derivatives] if single else list(derivatives)
    operators = []
    for index, item in enumerate(items):
        label = name if single else f"{name}[{index}]"
        derivative = as_operator(item, name=label)
        if derivative.shape != (n, n):
            raise ValueError(
                f"{label} has shape {derivative.shape} but the operator has shape "
                f"{(n, n)}; derivative operators must match it"
            )
        operators.append(derivative)
    return operators, single
