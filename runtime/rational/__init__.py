"""Rational approximation: AAA, trigonometric AAA and Prony-type exponential fitting.

`AAA` fits real or complex samples on any point set; `TrigAAA` fits periodic
samples on any grid; `fit_fourier` and `prony` fit sums of decaying
exponentials to Fourier coefficients (`ExpSum`), which convert exactly to the
pole–residue form `TrigRational` and back.
"""

from .aaa import AAA
from .barycentric import BarycentricRational
from .exceptions import ConvergenceWarning, DataWarning, NumericalWarning
from .prony import ExpSum, fit_fourier, prony
from .trig_aaa import TrigAAA
from .trig_rational import TrigRational

__all__ = [
    "AAA",
    "BarycentricRational",
    "ConvergenceWarning",
    "DataWarning",
    "ExpSum",
    "NumericalWarning",
    "TrigAAA",
    "TrigRational",
    "fit_fourier",
    "prony",
]
