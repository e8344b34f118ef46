"""Adaptive binary box tree over sources and targets, with contiguous node ranges.

Every node is a box split at the midpoint of the longest side of its points' bounding box, until
it holds at most ``leaf_size`` points. Sources and targets are permuted so that the sources of
every node form one contiguous range of the permuted source array, and likewise for targets.
The expansion centre of a node is the centre of its points' bounding box; ``source_radius``
and ``target_radius`` are the largest distances from it to the node's sources and targets.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numba import njit

MAX_DEPTH = 128
"""Deepest tree built. Midpoint splits halve a box side each time, so only coincident or
nearly coincident points (closer than 2^-128 of the data extent) would go deeper."""


@dataclass
class Tree:
    """A box tree; all arrays are indexed by node number (root = 0) unless noted.

    Attributes
    ----------
    source_permutation, target_permutation : ndarray of int64
        Original index of each permuted source / target.
    source_range, target_range : ndarray (n_nodes, 2) of int64
        [start, stop) of each node in the permuted arrays.
    children : ndarray (n_nodes, 2) of int64
        Child node numbers, -1 for a leaf.
    parent, level : ndarray of int64
    center : ndarray (n_nodes, dim)
    source_radius, target_radius : ndarray of float64
        Largest distance from the centre to a source / target of the node (0 if none).
    square : bool
        True when sources and targets are the same points (one permutation).
    """

    source_permutation: np.ndarray
    target_permutation: np.ndarray
    source_range: np.ndarray
    target_range: np.ndarray
    children: np.ndarray
    parent: np.ndarray
    level: np.ndarray
    center: np.ndarray
    source_radius: np.ndarray
    target_radius: np.ndarray
    square: bool
    active: np.ndarray | None = None
    """Nodes reachable from the root (all of them unless the tree was truncated)."""

    @property
    def n_nodes(self) -> int:
        return self.children.shape[0]

    @property
    def is_leaf(self) -> np.ndarray:
        return self.children[:, 0] < 0

    @property
    def depth(self) -> int:
        return int(self.level.max()) if self.level.size else 0

    @property
    def leaves(self) -> np.ndarray:
        """Reachable leaves, in node order (which keeps neighbouring boxes close)."""
        mask = self.is_leaf if self.active is None else self.is_leaf & self.active
        return np.flatnonzero(mask).astype(np.int64)

    def point_counts(self) -> np.ndarray:
        """Points per node: sources plus targets, counted once when they are the same points."""
        counts = self.source_range[:, 1] - self.source_range[:, 0]
        if not self.square:
            counts = counts + self.target_range[:, 1] - self.target_range[:, 0]
        return counts

    def target_leaves(self) -> np.ndarray:
        """Reachable leaves that contain at least one target."""
        leaves = self.leaves
        counts = self.target_range[leaves, 1] - self.target_range[leaves, 0]
        return leaves[counts > 0]

    def leaf_source_blocks(self) -> list[np.ndarray]:
        """Original source indices of each leaf with sources (a partition of the sources)."""
        leaves = self.leaves
        leaves = leaves[self.source_range[leaves, 1] > self.source_range[leaves, 0]]
        return [self.source_permutation[self.source_range[n, 0] : self.source_range[n, 1]] for n in leaves]

    def truncated(self, leaf_size: int) -> "Tree":
        """The same tree with every node of at most ``leaf_size`` points made a leaf.

        Node numbers, ranges and centres are shared with this tree; nodes below the new
        leaves become unreachable (``active`` is False).
        """
        counts = self.point_counts()
        children = self.children.copy()
        children[counts <= leaf_size] = -1
        active = np.zeros(self.n_nodes, dtype=np.bool_)
        active[0] = True
        # Children are numbered after their parents, so one pass in node order suffices.
        for node in range(self.n_nodes):
            if active[node] and children[node, 0] >= 0:
                active[children[node]] = True
        return dataclasses.replace(self, children=children, active=active)


@njit(cache=True)
def _bounding_box(points, order, start, stop):
    dim = points.shape[1]
    low = np.full(dim, np.inf)
    high = np.full(dim, -np.inf)
    for i in range(start, stop):
        point = points[order[i]]
        for a in range(dim):
            if point[a] < low[a]:
                low[a] = point[a]
            if point[a] > high[a]:
                high[a] = point[a]
    return low, high


@njit(cache=True)
def _partition(points, order, start, stop, axis, split):
    """Move indices with points[., axis] <= split to the front of order[start:stop]; return the boundary."""
    i = start
    j = stop - 1
    while i <= j:
        if points[order[i], axis] <= split:
            i += 1
        else:
            order[i], order[j] = order[j], order[i]
            j -= 1
    return i


@njit(cache=True)
def _build(points, leaf_size):
    """Build the tree over ``points``; return (order, node ranges, children, parent, level, centres)."""
    n, dim = points.shape
    order = np.arange(n)
    capacity = 2 * n + 1
    node_range = np.empty((capacity, 2), dtype=np.int64)
    children = np.full((capacity, 2), -1, dtype=np.int64)
    parent = np.full(capacity, -1, dtype=np.int64)
    level = np.zeros(capacity, dtype=np.int64)
    center = np.zeros((capacity, dim))

    node_range[0, 0] = 0
    node_range[0, 1] = n
    n_nodes = 1
    stack = np.empty(capacity, dtype=np.int64)
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        start = node_range[node, 0]
        stop = node_range[node, 1]
        low, high = _bounding_box(points, order, start, stop)
        for a in range(dim):
            center[node, a] = 0.5 * (low[a] + high[a])
        if stop - start <= leaf_size or level[node] >= MAX_DEPTH:
            continue

        axis = 0
        for a in range(1, dim):
            if high[a] - low[a] > high[axis] - low[axis]:
                axis = a
        if not high[axis] > low[axis]:
            continue  # every point of the node coincides: it stays a leaf
        boundary = _partition(points, order, start, stop, axis, center[node, axis])
        if boundary == start or boundary == stop:
            # Rounding put all points on one side (a side near machine epsilon of the
            # coordinates): split at the median along the axis instead.
            keys = np.empty(stop - start)
            for i in range(start, stop):
                keys[i - start] = points[order[i], axis]
            sorted_positions = np.argsort(keys, kind="mergesort")
            segment = order[start:stop].copy()
            for i in range(stop - start):
                order[start + i] = segment[sorted_positions[i]]
            boundary = start + (stop - start) // 2
            if keys[sorted_positions[0]] == keys[sorted_positions[stop - start - 1]]:
                continue

        for side in range(2):
            child = n_nodes
            n_nodes += 1
            children[node, side] = child
            parent[child] = node
            level[child] = level[node] + 1
            node_range[child, 0] = start if side == 0 else boundary
            node_range[child, 1] = boundary if side == 0 else stop
            stack[top] = child
            top += 1

    return (
        order,
        node_range[:n_nodes].copy(),
        children[:n_nodes].copy(),
        parent[:n_nodes].copy(),
        level[:n_nodes].copy(),
        center[:n_nodes].copy(),
    )


@njit(cache=True)
def _split_ranges(order, node_range, is_source, n_sources):
    """Derive per-node source and target ranges from ranges over the combined point order."""
    n = order.shape[0]
    sources_before = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        sources_before[i + 1] = sources_before[i] + (1 if is_source[order[i]] else 0)
    source_permutation = np.empty(sources_before[n], dtype=np.int64)
    target_permutation = np.empty(n - sources_before[n], dtype=np.int64)
    s = 0
    t = 0
    for i in range(n):
        index = order[i]
        if is_source[index]:
            source_permutation[s] = index
            s += 1
        else:
            target_permutation[t] = index - n_sources
            t += 1
    n_nodes = node_range.shape[0]
    source_range = np.empty((n_nodes, 2), dtype=np.int64)
    target_range = np.empty((n_nodes, 2), dtype=np.int64)
    for node in range(n_nodes):
        start = node_range[node, 0]
        stop = node_range[node, 1]
        source_range[node, 0] = sources_before[start]
        source_range[node, 1] = sources_before[stop]
        target_range[node, 0] = start - sources_before[start]
        target_range[node, 1] = stop - sources_before[stop]
    return source_permutation, target_permutation, source_range, target_range


@njit(cache=True)
def _radii(points, permutation, node_range, center):
    n_nodes = node_range.shape[0]
    radius = np.zeros(n_nodes)
    for node in range(n_nodes):
        best = 0.0
        for i in range(node_range[node, 0], node_range[node, 1]):
            total = 0.0
            for a in range(points.shape[1]):
                difference = points[permutation[i], a] - center[node, a]
                total += difference * difference
            if total > best:
                best = total
        radius[node] = np.sqrt(best)
    return radius


def build_tree(sources: np.ndarray, targets: np.ndarray | None, leaf_size: int) -> Tree:
    """Build the tree over sources (and targets, when given) with at most ``leaf_size`` points per leaf.

    Inputs must already be validated: C-contiguous float64 arrays (n, dim) of finite values.
    """
    square = targets is None
    if square:
        order, node_range, children, parent, level, center = _build(sources, leaf_size)
        source_permutation = target_permutation = order
        source_range = target_range = node_range
        source_radius = target_radius = _radii(sources, order, node_range, center)
    else:
        combined = np.ascontiguousarray(np.vstack([sources, targets]))
        is_source = np.zeros(combined.shape[0], dtype=np.bool_)
        is_source[: sources.shape[0]] = True
        order, node_range, children, parent, level, center = _build(combined, leaf_size)
        source_permutation, target_permutation, source_range, target_range = _split_ranges(
            order, node_range, is_source, sources.shape[0]
        )
        source_radius = _radii(sources, source_permutation, source_range, center)
        target_radius = _radii(targets, target_permutation, target_range, center)
    return Tree(
        source_permutation=source_permutation,
        target_permutation=target_permutation,
        source_range=source_range,
        target_range=target_range,
        children=children,
        parent=parent,
        level=level,
        center=center,
        source_radius=source_radius,
        target_radius=target_radius,
        square=square,
    )
