"""Numerical runtime of fkt: tree code, FKT operator, Krylov and rational-approximation tools."""

from runtime.direct import direct_sum
from runtime.fkt import FKT

__all__ = ["FKT", "direct_sum"]
