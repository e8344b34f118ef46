"""Krylov solvers and matrix functions for matrix-free symmetric operators.

Every routine takes the operator ``K`` as anything
:func:`scipy.sparse.linalg.aslinearoperator` accepts (dense array, sparse
matrix, ``LinearOperator`` such as the FKT operator) or as a block-product
callable with ``shape``, plus an optional diagonal ``D`` so that ``K + σ²I``
never needs to be formed. Products go through ``matmat`` on blocks of columns.

- :func:`cg` — preconditioned conjugate gradients, many right-hand sides;
  :class:`BlockJacobi` preconditioner from dense diagonal blocks.
- :func:`lanczos` — Lanczos tridiagonalisation; :func:`eigenvalue_bounds`.
- :func:`logdet`, :func:`trace_inv_product` — stochastic Lanczos quadrature and
  Hutchinson estimates of ``log det`` and ``tr(K⁻¹ ∂K)``.
- :func:`minres_shifted` — multi-shift MINRES, real and complex shifts.
- :func:`sqrt_matvec`, :func:`inv_sqrt_matvec`, :func:`ciq_backward`,
  :func:`sample_gaussian` — contour-integral quadrature (CIQ).
- :func:`matrix_function` — ``f(K) b`` through a rational (AAA) fit of ``f``.
"""

from .cg import CGResult, cg
from .ciq import CIQGradient, CIQInfo, ciq_backward, inv_sqrt_matvec, sqrt_matvec
from .contour import inv_sqrt_quadrature
from .errors import ConvergenceWarning, NotPSDError, NumericalWarning
from .lanczos import LanczosResult, lanczos
from .matfunc import MatrixFunctionInfo, matrix_function
from .minres import ShiftedSolveResult, minres_shifted
from .operators import as_operator
from .preconditioners import BlockJacobi
from .sampling import sample_gaussian
from .slq import LogdetResult, TraceResult, logdet, probe_vectors, trace_inv_product
from .spectrum import EigenvalueBounds, eigenvalue_bounds

__all__ = [
    "BlockJacobi",
    "CGResult",
    "CIQGradient",
    "CIQInfo",
    "ConvergenceWarning",
    "EigenvalueBounds",
    "LanczosResult",
    "LogdetResult",
    "MatrixFunctionInfo",
    "NotPSDError",
    "NumericalWarning",
    "ShiftedSolveResult",
    "TraceResult",
    "as_operator",
    "cg",
    "ciq_backward",
    "eigenvalue_bounds",
    "inv_sqrt_matvec",
    "inv_sqrt_quadrature",
    "lanczos",
    "logdet",
    "matrix_function",
    "minres_shifted",
    "probe_vectors",
    "sample_gaussian",
    "sqrt_matvec",
    "trace_inv_product",
]
