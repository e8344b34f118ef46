"""Near and far interaction lists of every target leaf.

For a target leaf L (centre c_L, target radius rho_L) and a source node S (centre c_S,
source radius rho_S), S is *admissible* for L when every target t of L satisfies
|t - c_S| >= rho_S / eta, that is |c_L - c_S| - rho_L >= rho_S / eta. Then every ratio r'/r in
the expansion about c_S is at most eta. An admissible S goes to L's far list when its expansion
meets the accuracy target at its radius (``expandable``) and has enough sources that evaluating
its moments beats summing them (``worthwhile``); an admissible but small S goes to the near
list. A non-admissible or non-expandable S is split, and such a leaf goes to the near list. Source
nodes whose nearest possible point of L is beyond ``cutoff`` are dropped (fast-decaying kernels
only). Every (target, source) pair is thus counted exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from runtime.tree import MAX_DEPTH, Tree


@dataclass
class InteractionLists:
    """CSR lists per target leaf: leaf i uses far_nodes[far_pointer[i]:far_pointer[i + 1]], same for near."""

    leaves: np.ndarray
    far_pointer: np.ndarray
    far_nodes: np.ndarray
    near_pointer: np.ndarray
    near_nodes: np.ndarray

    @property
    def far_count(self) -> int:
        return int(self.far_nodes.shape[0])

    @property
    def near_count(self) -> int:
        return int(self.near_nodes.shape[0])


@njit(cache=True)
def _classify(leaf, center, target_radius, source_range, source_radius, children, eta, expandable,
              worthwhile, cutoff, far_out, near_out, write, node_terms, used):
    """Walk the source tree for one target leaf.

    Returns (n_far, n_near, near source count, far term count); fills the lists if ``write``,
    and marks far nodes in ``used`` when it is not empty.
    """
    dim = center.shape[1]
    stack = np.empty(2 * MAX_DEPTH + 2, dtype=np.int64)
    stack[0] = 0
    top = 1
    n_far = 0
    n_near = 0
    near_sources = 0
    far_terms = 0
    while top > 0:
        top -= 1
        node = stack[top]
        n_sources = source_range[node, 1] - source_range[node, 0]
        if n_sources == 0:
            continue
        total = 0.0
        for a in range(dim):
            difference = center[leaf, a] - center[node, a]
            total += difference * difference
        distance = np.sqrt(total)
        if cutoff > 0.0 and distance - target_radius[leaf] - source_radius[node] >= cutoff:
            continue
        # Strict positivity keeps targets off the centre of a zero-radius (single-point) node.
        gap = distance - target_radius[leaf]
        admissible = gap > 0.0 and gap >= source_radius[node] / eta
        if admissible and expandable[node] and worthwhile[node]:
            if write:
                far_out[n_far] = node
            if used.shape[0] > 0:
                used[node] = True
            n_far += 1
            if node_terms.shape[0] > 0:
                far_terms += node_terms[node]
        elif (admissible and expandable[node]) or children[node, 0] < 0:
            if write:
                near_out[n_near] = node
            n_near += 1
            near_sources += n_sources
        else:
            stack[top] = children[node, 0]
            stack[top + 1] = children[node, 1]
            top += 2
    return n_far, n_near, near_sources, far_terms


@njit(parallel=True, cache=True)
def _count(leaves, center, target_radius, source_range, source_radius, children, eta, expandable, worthwhile,
           cutoff):
    far_counts = np.zeros(leaves.shape[0], dtype=np.int64)
    near_counts = np.zeros(leaves.shape[0], dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    no_marks = np.empty(0, dtype=np.bool_)
    for i in prange(leaves.shape[0]):
        n_far, n_near, _, _ = _classify(leaves[i], center, target_radius, source_range, source_radius, children,
                                        eta, expandable, worthwhile, cutoff, empty, empty, False, empty, no_marks)
        far_counts[i] = n_far
        near_counts[i] = n_near
    return far_counts, near_counts


@njit(parallel=True, cache=True)
def _fill(leaves, center, target_radius, source_range, source_radius, children, eta, expandable, worthwhile,
          cutoff, far_pointer, near_pointer, far_nodes, near_nodes):
    empty = np.empty(0, dtype=np.int64)
    no_marks = np.empty(0, dtype=np.bool_)
    for i in prange(leaves.shape[0]):
        _classify(leaves[i], center, target_radius, source_range, source_radius, children, eta, expandable,
                  worthwhile, cutoff, far_nodes[far_pointer[i]:far_pointer[i + 1]],
                  near_nodes[near_pointer[i]:near_pointer[i + 1]], True, empty, no_marks)


def build_interactions(
    tree: Tree,
    eta: float,
    expandable: np.ndarray,
    worthwhile: np.ndarray,
    cutoff: float = 0.0,
    leaves: np.ndarray | None = None,
) -> InteractionLists:
    """Build the near and far lists of every target leaf (see the module docstring).

    Parameters
    ----------
    tree : Tree
    eta : float
        Separation ratio in (0, 1): the largest r'/r of any far evaluation.
    expandable : ndarray of bool, one per node
        Whether the expansion about this node meets the accuracy target at some order.
    worthwhile : ndarray of bool, one per node
        Whether evaluating the node's moments at a target is cheaper than summing its sources.
    cutoff : float
        Gap beyond which the kernel is negligible; 0 disables dropping.
    leaves : ndarray of int64, optional
        Target leaves to build lists for, in the order the apply loop visits them.
    """
    if leaves is None:
        leaves = tree.target_leaves()
    arguments = (
        leaves,
        tree.center,
        tree.target_radius,
        tree.source_range,
        tree.source_radius,
        tree.children,
        float(eta),
        np.ascontiguousarray(expandable, dtype=np.bool_),
        np.ascontiguousarray(worthwhile, dtype=np.bool_),
        float(cutoff),
    )
    far_counts, near_counts = _count(*arguments)
    far_pointer = np.zeros(leaves.shape[0] + 1, dtype=np.int64)
    near_pointer = np.zeros(leaves.shape[0] + 1, dtype=np.int64)
    np.cumsum(far_counts, out=far_pointer[1:])
    np.cumsum(near_counts, out=near_pointer[1:])
    far_nodes = np.empty(far_pointer[-1], dtype=np.int64)
    near_nodes = np.empty(near_pointer[-1], dtype=np.int64)
    _fill(*arguments, far_pointer, near_pointer, far_nodes, near_nodes)
    return InteractionLists(leaves, far_pointer, far_nodes, near_pointer, near_nodes)


@njit(parallel=True, cache=True)
def estimate_work(leaves, center, target_radius, target_range, source_range, source_radius, children, eta,
                  expandable, worthwhile, node_terms, cutoff):
    """Return (near pairs, far evaluations, far terms, moment terms) of one product.

    Traverses like :func:`build_interactions` without keeping the lists, so several separation
    ratios and leaf sizes can be compared before building one.
    """
    n_leaves = leaves.shape[0]
    near_pairs = np.zeros(n_leaves)
    far_evaluations = np.zeros(n_leaves)
    far_terms = np.zeros(n_leaves)
    empty = np.empty(0, dtype=np.int64)
    # Concurrent writes of True to one entry are benign: every writer stores the same value.
    used = np.zeros(children.shape[0], dtype=np.bool_)
    for i in prange(n_leaves):
        leaf = leaves[i]
        n_targets = target_range[leaf, 1] - target_range[leaf, 0]
        n_far, _, near_sources, terms = _classify(leaf, center, target_radius, source_range, source_radius,
                                                  children, eta, expandable, worthwhile, cutoff, empty, empty,
                                                  False, node_terms, used)
        near_pairs[i] = n_targets * near_sources
        far_evaluations[i] = n_targets * n_far
        far_terms[i] = n_targets * terms
    moment_terms = 0.0
    for node in range(children.shape[0]):
        if used[node]:
            moment_terms += (source_range[node, 1] - source_range[node, 0]) * node_terms[node]
    return near_pairs.sum(), far_evaluations.sum(), far_terms.sum(), moment_terms
