"""Accuracy of the truncated expansion of every built-in kernel, through the numpy reference path.

Each expansion is derived symbolically once per test module (real sympy derivation) and
evaluated with ``codegen.reference.evaluate_expansion`` against the hand-written kernels of
``codegen_cases``.
"""

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import codegen.reference as reference
from codegen.expansion import build_expansion
from codegen.specs import BUILTIN_KERNELS
from codegen_cases import (
    BUILTIN_CASES,
    RADIUS_MAX,
    RADIUS_MIN,
    ROUNDOFF_ATOL,
    SEPARATION_RATIO,
    exact_kernel,
    gegenbauer_at_one,
    kernel_scale,
    separated_pairs,
    truncation_bound,
)

# Maximum order P of the expansions checked against the kernel, by dimension. The reference
# path evaluates every harmonic of degree <= P by explicit angles, and there are
# binom(P + d - 1, d - 1) + binom(P + d - 2, d - 1) of them (2079 for d = 6, P = 8), so
# higher dimensions use lower orders.
ORDER_BY_DIM = {1: 8, 2: 8, 3: 8, 4: 6, 5: 5, 6: 4}

# Order of the convergence check in every dimension: it compares P with P/2, and in d = 6
# the Gegenbauer growth C_{P+1}(1) / C_{P/2+1}(1) eats most of the gain 2^(P/2) below P = 8.
CONVERGENCE_ORDER = 8

# The reduced and the unreduced expansion are equal in exact arithmetic at every order. In
# float64 they sum different radial functions, so they differ by rounding only.
REDUCTION_RTOL = 1e-12

# Going from order P/2 to P at |y|/|x| = 1/2 multiplies the leading tail term by
# 2^-(P/2) * C_{P+1}(1) / C_{P/2+1}(1). The measured error oscillates around that model from
# one order to the next (parity, and the phase of the complex singularities of Cauchy-type
# kernels): the largest measured excess is a factor 1.5 (Cauchy, d = 1), so allow 2.
CONVERGENCE_SLACK = 2.0

# Pairs per case in the convergence and reduction checks, and their seed.
SAMPLE_SIZE = 64
SEED = 20261204


@pytest.fixture(scope="module", autouse=True)
def _reuse_lambdified_radial_functions():
    """Lambdify each expansion once: evaluate_expansion does it on every call (~1 s for RQ)."""
    original = reference.lambdify_radial
    memo = {}

    def memoized(expansion):
        # Keep the expansion alive with its functions so that its id is never reused.
        if id(expansion) not in memo:
            memo[id(expansion)] = (expansion, original(expansion))
        return memo[id(expansion)][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reference, "lambdify_radial", memoized)
        yield


@lru_cache(maxsize=None)
def _expansion(name, dim, order, reduce=True):
    return build_expansion(name, dim, order, reduce=reduce)


def _exact_and_scale(name, dim, targets, sources):
    params = BUILTIN_KERNELS[name].defaults
    exact = exact_kernel(name, dim, np.linalg.norm(targets - sources, axis=1), params)
    radius = np.linalg.norm(targets, axis=1)
    source_radius = np.linalg.norm(sources, axis=1)
    return exact, kernel_scale(name, dim, radius, source_radius, params)


@st.composite
def _separated_pair(draw, dim):
    def direction():
        components = st.lists(st.floats(-1.0, 1.0), min_size=dim, max_size=dim)
        vector = np.array(draw(components.filter(lambda v: np.linalg.norm(v) > 0.1)))
        return vector / np.linalg.norm(vector)

    radius = draw(st.floats(RADIUS_MIN, RADIUS_MAX))
    ratio = draw(st.floats(0.0, SEPARATION_RATIO))
    target = direction() * radius
    source = direction() * radius * ratio
    return target[None, :], source[None, :], ratio


@pytest.mark.parametrize(("name", "dim"), BUILTIN_CASES)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_expansion_matches_kernel(name, dim, data):
    targets, sources, ratio = data.draw(_separated_pair(dim))
    order = ORDER_BY_DIM[dim]
    expansion = _expansion(name, dim, order)
    approximation = reference.evaluate_expansion(expansion, targets, sources, order)
    exact, scale = _exact_and_scale(name, dim, targets, sources)
    error = np.abs(approximation - exact)
    assert np.all(error <= truncation_bound(dim, order, ratio) * scale + ROUNDOFF_ATOL)


@pytest.mark.parametrize(("name", "dim"), BUILTIN_CASES)
def test_expansion_error_falls_with_order(name, dim):
    rng = np.random.default_rng(SEED)
    targets, sources = separated_pairs(rng, dim, SAMPLE_SIZE, ratio=SEPARATION_RATIO)
    order = CONVERGENCE_ORDER
    half = order // 2
    expansion = _expansion(name, dim, order)
    exact, scale = _exact_and_scale(name, dim, targets, sources)

    errors = {}
    for p in (half, order):
        approximation = reference.evaluate_expansion(expansion, targets, sources, p)
        errors[p] = np.max(np.abs(approximation - exact) / scale)

    growth = gegenbauer_at_one(dim, order + 1) / gegenbauer_at_one(dim, half + 1)
    model_factor = SEPARATION_RATIO ** (order - half) * growth
    # The 1-D Laplace kernel -r/2 is linear, so its expansion is exact from order 1 on.
    roundoff = ROUNDOFF_ATOL / np.min(scale)
    assert errors[order] <= CONVERGENCE_SLACK * model_factor * errors[half] + roundoff


# Expansions that the exact rank reduction shrinks at the orders of ORDER_BY_DIM: Laplace in
# every d, and the poly(r) exp(-c r) kernels in d = 1 and 3, whose radial parts are finite sums
# of powers of r times exp(-c r) there. Measured with codegen.expansion: in d = 5 the
# exponential, Matérn-3/2 and Matérn-5/2 kernels reduce only from P = 6, 8 and 10.
REDUCED_CASES = {("laplace", dim) for dim in range(1, 7)} | {
    (name, dim) for name in ("exponential", "matern32", "matern52") for dim in (1, 3)
} | {("helmholtz", 3)}

# (kernel, d, P) of the reduced-versus-unreduced comparison: the cases above plus two in d = 5.
REDUCTION_AGREEMENT_CASES = sorted(
    [(name, dim, ORDER_BY_DIM[dim]) for name, dim in REDUCED_CASES] + [("exponential", 5, 6), ("matern32", 5, 8)]
)


@pytest.mark.parametrize(("name", "dim", "order"), REDUCTION_AGREEMENT_CASES)
def test_reduced_matches_unreduced(name, dim, order):
    rng = np.random.default_rng(SEED)
    targets, sources = separated_pairs(rng, dim, SAMPLE_SIZE)
    reduced = _expansion(name, dim, order, reduce=True)
    unreduced = _expansion(name, dim, order, reduce=False)
    _, scale = _exact_and_scale(name, dim, targets, sources)
    assert len(reduced.slots) < len(unreduced.slots)
    for p in range(order + 1):
        difference = reference.evaluate_expansion(reduced, targets, sources, p) - reference.evaluate_expansion(
            unreduced, targets, sources, p
        )
        assert np.max(np.abs(difference) / scale) <= REDUCTION_RTOL, f"order {p}"


@pytest.mark.parametrize(("name", "dim"), BUILTIN_CASES)
def test_reduction_applies_where_expected(name, dim):
    order = ORDER_BY_DIM[dim]
    reduced = _expansion(name, dim, order, reduce=True)
    unreduced = _expansion(name, dim, order, reduce=False)
    assert not unreduced.reduced
    assert reduced.reduced == ((name, dim) in REDUCED_CASES)
    if not reduced.reduced:
        # Nothing to compare numerically: both expansions keep the same radial functions.
        assert reduced.slots == unreduced.slots
        assert reduced.radial == unreduced.radial
