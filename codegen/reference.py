"""Slow reference evaluation of an expansion with numpy and scipy, for tests and error studies.

This path lambdifies the symbolic radial functions and uses the explicit-angle harmonics of
:func:`codegen.harmonics.reference_harmonics`, so it shares no code with the generated Numba
modules it checks.
"""

from __future__ import annotations

import numpy as np
import sympy
from scipy import special

from codegen.expansion import Expansion
from codegen.harmonics import harmonic_table, reference_harmonics
from codegen.specs import R

_MODULES = [{"BesselK": special.kv}, "scipy", "numpy"]


def lambdify_radial(expansion: Expansion):
    """Return f(r, *params) -> array (n_slots, len(r)) evaluating every radial function."""
    symbols = (R, *expansion.spec.parameter_symbols)
    functions = [sympy.lambdify(symbols, expression, modules=_MODULES) for expression in expansion.radial]

    def evaluate(r, *params):
        r = np.asarray(r, dtype=float)
        return np.array([np.broadcast_to(function(r, *params), r.shape) for function in functions])

    return evaluate


def source_coefficient_matrix(expansion: Expansion, params) -> np.ndarray:
    """Return the (n_slots, P + 1) matrix of source-polynomial coefficients at the given parameters."""
    substitution = dict(zip(expansion.spec.parameter_symbols, params))
    dtype = complex if expansion.spec.is_complex else float
    matrix = np.zeros((len(expansion.slots), expansion.order + 1), dtype=dtype)
    for index, coefficients in enumerate(expansion.source_coefficients):
        for power, value in coefficients.items():
            number = complex(sympy.sympify(value).subs(substitution).evalf())
            matrix[index, power] = number if expansion.spec.is_complex else number.real
    return matrix


def evaluate_expansion(expansion: Expansion, targets, sources, p: int, params=None) -> np.ndarray:
    """Evaluate the order-p expansion of K(|t - s|) about the origin for paired rows of t and s.

    Parameters
    ----------
    targets, sources : array_like, shape (n, d)
        Pairs (t_i, s_i) with |s_i| < |t_i| for convergence.
    p : int
        Truncation order, at most ``expansion.order``.
    params : sequence of float, optional
        Shape parameters (defaults from the spec).

    Returns
    -------
    ndarray, shape (n,)
    """
    if params is None:
        params = tuple(expansion.spec.defaults.values())
    targets = np.atleast_2d(np.asarray(targets, dtype=float))
    sources = np.atleast_2d(np.asarray(sources, dtype=float))
    dim = expansion.dim
    _, offsets, scale = harmonic_table(dim, expansion.order)

    r = np.linalg.norm(targets, axis=1)
    rp = np.linalg.norm(sources, axis=1)
    unit_t = targets / r[:, None]
    unit_s = np.where(rp[:, None] > 0, sources / np.where(rp > 0, rp, 1)[:, None], 0.0)
    unit_s[rp == 0, -1] = 1.0
    harm_t = reference_harmonics(dim, expansion.order, unit_t)
    harm_s = reference_harmonics(dim, expansion.order, unit_s)
    radial = lambdify_radial(expansion)(r, *params)
    coefficients = source_coefficient_matrix(expansion, params)

    total = np.zeros(len(r), dtype=complex if expansion.spec.is_complex else float)
    for index, slot in enumerate(expansion.slots):
        if slot.j > p:
            continue
        powers = np.arange(expansion.order + 1)
        used = powers <= p
        source_poly = (coefficients[index, used][None, :] * rp[:, None] ** powers[used][None, :]).sum(axis=1)
        harmonics = slice(offsets[slot.k], offsets[slot.k + 1])
        angular = (harm_t[:, harmonics] * harm_s[:, harmonics] * scale[harmonics]).sum(axis=1)
        total += radial[index] * source_poly * angular
    return total
