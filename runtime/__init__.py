"""Numerical runtime of fkt: tree code, FKT operator, Krylov and rational-approximation tools."""
