"""Rational approximation: AAA, trigonometric AAA and Prony-type exponential fitting."""

from .aaa import AAA
from .barycentric import BarycentricRational
from .exceptions import ConvergenceWarning, DataWarning, NumericalWarning

__all__ = [
    "AAA",
    "BarycentricRational",
    "ConvergenceWarning",
    "DataWarning",
    "NumericalWarning",
]
