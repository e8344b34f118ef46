"""Kernel-independent products with stored near-field blocks."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def apply_near_stored(leaves, node_target_range, node_source_range, near_pointer, near_nodes, block_offset, values,
                      weights, out):
    """Add the stored dense near blocks times the weights to out (one leaf per iteration, no races)."""
    n_rhs = weights.shape[1]
    for i in prange(leaves.shape[0]):
        leaf = leaves[i]
        t0 = node_target_range[leaf, 0]
        t1 = node_target_range[leaf, 1]
        for q in range(near_pointer[i], near_pointer[i + 1]):
            node = near_nodes[q]
            s0 = node_source_range[node, 0]
            s1 = node_source_range[node, 1]
            position = block_offset[q]
            for t in range(t0, t1):
                if n_rhs == 1:
                    total = out[t, 0] * 0.0
                    for s in range(s0, s1):
                        total += values[position + s - s0] * weights[s, 0]
                    out[t, 0] += total
                else:
                    for s in range(s0, s1):
                        value = values[position + s - s0]
                        for c in range(n_rhs):
                            out[t, c] += value * weights[s, c]
                position += s1 - s0


def near_block_offsets(lists, tree) -> np.ndarray:
    """Start of each near block in the flat value array; the last entry is the total size."""
    sizes = np.empty(lists.near_nodes.shape[0], dtype=np.int64)
    leaf_of_entry = np.repeat(np.arange(lists.leaves.shape[0]), np.diff(lists.near_pointer))
    target_counts = np.diff(tree.target_range[lists.leaves], axis=1)[:, 0]
    source_counts = np.diff(tree.source_range[lists.near_nodes], axis=1)[:, 0]
    sizes[:] = target_counts[leaf_of_entry] * source_counts
    offsets = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets
