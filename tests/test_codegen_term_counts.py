"""Tests of the number of multipole terms, with and without the exact rank reduction."""

from collections import Counter
from math import comb

import pytest

from codegen.expansion import build_expansion, unreduced_term_count
from codegen.specs import KernelSpec

# Term counts binom(p + d, d) of the unreduced expansion, as tabulated for the FKT method
# (rows d = 2..6, columns p = 2, 4, 5, 6, 8, 10).
TERM_TABLE_ORDERS = (2, 4, 5, 6, 8, 10)
TERM_TABLE = {
    2: (6, 15, 21, 28, 45, 66),
    3: (10, 35, 56, 84, 165, 286),
    4: (15, 70, 126, 210, 495, 1001),
    5: (21, 126, 252, 462, 1287, 3003),
    6: (28, 210, 462, 924, 3003, 8008),
}


@pytest.mark.parametrize("dim", sorted(TERM_TABLE))
def test_term_count_table(dim):
    for order, expected in zip(TERM_TABLE_ORDERS, TERM_TABLE[dim]):
        assert unreduced_term_count(dim, order) == expected


@pytest.mark.parametrize("dim", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("order", [0, 1, 4, 7])
def test_term_count_unreduced(dim, order):
    # Cauchy never reduces; build without reduction all the same, so the count is the full one.
    expansion = build_expansion("cauchy", dim, order, reduce=False)
    for p in range(order + 1):
        assert expansion.term_count(p) == comb(p + dim, dim), f"p={p}"


@pytest.mark.parametrize("order", [0, 1, 2, 5, 8])
def test_term_count_laplace_3d(order):
    expansion = build_expansion("laplace", 3, order, reduce=True)
    for p in range(order + 1):
        assert expansion.term_count(p) == (p + 1) ** 2, f"p={p}"


@pytest.mark.parametrize("order", [0, 1, 2, 5, 8])
def test_term_count_laplace_2d(order):
    expansion = build_expansion("laplace", 2, order, reduce=True)
    for p in range(order + 1):
        assert expansion.term_count(p) == 2 * p + 1, f"p={p}"


def _ranks(expansion):
    slots_per_degree = Counter(slot.k for slot in expansion.slots)
    return [slots_per_degree[k] for k in range(expansion.order + 1)]


# Ranks per degree k = 0..6 at P = 6, d = 3, from an exact rank factorization computed outside
# this code base for the FKT method. Without reduction they are floor((P - k)/2) + 1, which
# the Matérn-5/2 and Gaussian kernels keep.
REFERENCE_RANKS = {
    "laplace": [1, 1, 1, 1, 1, 1, 1],
    "exponential": [2, 2, 2, 2, 2, 1, 1],
    "matern32": [3, 3, 3, 2, 2, 1, 1],
    "matern52": [4, 3, 3, 2, 2, 1, 1],
    "gaussian": [4, 3, 3, 2, 2, 1, 1],
}


@pytest.mark.parametrize("name", sorted(REFERENCE_RANKS))
def test_reduced_ranks_3d(name):
    assert _ranks(build_expansion(name, 3, 6, reduce=True)) == REFERENCE_RANKS[name]


def test_reduced_term_count_exponential_3d():
    assert build_expansion("exponential", 3, 6, reduce=True).term_count() == 74


def test_reduced_ranks_coulomb_in_5d():
    # 1/r is not the Green's function in d = 5 (r^-3 is), so it keeps rank 2 in low degrees.
    coulomb = KernelSpec(name="coulomb", expression="1/r", value_at_zero=0.0)
    assert _ranks(build_expansion(coulomb, 5, 6, reduce=True)) == [2, 2, 2, 2, 2, 1, 1]
    assert _ranks(build_expansion("laplace", 5, 6, reduce=True)) == [1] * 7


@pytest.mark.parametrize("dim", [1, 2, 3, 4, 5, 6])
def test_reduced_laplace_one_slot_per_degree(dim):
    order = 6
    expansion = build_expansion("laplace", dim, order, reduce=True)
    # In d = 1 the "harmonics" are 1 and sign(x y), so only degrees 0 and 1 exist.
    degrees = 2 if dim == 1 else order + 1
    assert _ranks(expansion)[:degrees] == [1] * degrees
