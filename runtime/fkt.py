"""The Fast Kernel Transform as a scipy LinearOperator.

Matrix entries are K[i, j] = variance * K(|(t_i - s_j) / lengthscale|), plus ``diagonal`` on a
square problem. Products run the tree code of Ryan, Ament, Gomes and Damle, "The Fast Kernel
Transform" (AISTATS 2022, arXiv:2106.04487). Each source node that is far from some target leaf
gets moments, which are evaluated at every target of those leaves; the near field is summed
directly.
"""

from __future__ import annotations

import logging
import os
import time

import numpy as np
from scipy.sparse.linalg import LinearOperator

from runtime import accuracy
from runtime.apply_stored import apply_near_stored, near_block_offsets
from runtime.interactions import InteractionLists, build_interactions, estimate_work
from runtime.kernels import parameter_array, resolve_module
from runtime.tree import Tree, build_tree
from runtime.validation import (
    as_points,
    as_weights,
    check_scaled_extent,
    lengthscales,
    optional_int,
    positive_scalar,
    tolerance,
)

logger = logging.getLogger(__name__)

DENSE_PAIRS = 2_000_000
"""Problems with at most this many (target, source) pairs are stored as a dense matrix: at this
size one dense product costs a few milliseconds, less than building a tree."""

DEFAULT_MEMORY_BUDGET = 2 * 1024**3
"""Bytes of stored near-field blocks allowed by default (also capped at a quarter of the RAM)."""

LEAF_ORDER_SEED = 7
"""Seed of the shuffles that balance the parallel loops."""

PLAN_SAMPLE_LEAVES = 1024
"""Target leaves sampled to estimate the work of each candidate plan."""

LEAF_CHUNK = 16
"""Target leaves are processed in runs of this many neighbours (sharing far nodes, so their
moments stay in cache), and the runs are shuffled to balance the static parallel split."""


def _chunk_shuffled(leaves: np.ndarray) -> np.ndarray:
    chunks = [leaves[start : start + LEAF_CHUNK] for start in range(0, leaves.shape[0], LEAF_CHUNK)]
    order = np.random.default_rng(LEAF_ORDER_SEED).permutation(len(chunks))
    return np.concatenate([chunks[i] for i in order]) if chunks else leaves


def _available_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


class FKT(LinearOperator):
    """Fast kernel matrix-vector products K @ w with a chosen accuracy.

    Parameters
    ----------
    kernel : str, path, KernelSpec or module
        Built-in kernel name (``codegen list``), a ``.toml`` spec, a spec, or a generated module.
    sources : array_like, shape (n_sources, dim) or (n_sources,)
        Source points (columns of the matrix).
    targets : array_like, shape (n_targets, dim), optional
        Target points (rows). Default: the sources (square, symmetric matrix).
    tol : float, default 1e-6
        Relative accuracy target for products, in (0, 1). Order, separation ratio and leaf size
        are chosen from the kernel's measured error model unless given explicitly.
    order, eta, leaf_size : optional
        Expansion order p, separation ratio in (0, 1) (far means r'/r <= eta), and maximum
        points per leaf. Each overrides the automatic choice.
    lengthscale : float or array of dim floats, default 1
        Distances are measured in units of the length scale (per axis when an array).
    variance : float, default 1
        Output scale multiplying every kernel value.
    params : dict or sequence, optional
        Shape parameters of the kernel (e.g. ``{"alpha": 2.0}`` for the rational quadratic).
    diagonal : float or array of n, optional
        Added to the diagonal of a square matrix: K + diag(diagonal).
    memory_budget : int, optional
        Bytes allowed for stored near-field blocks; when they do not fit, they are recomputed
        at every product. Default: min(2 GiB, a quarter of the physical memory).

    Raises
    ------
    ValueError, TypeError
        For invalid points (empty, NaN/Inf, mismatched dimension), parameters or tolerances.

    Notes
    -----
    Real kernels applied to complex vectors act on the real and imaginary parts separately.
    """

    def __init__(
        self,
        kernel,
        sources,
        targets=None,
        *,
        tol=1e-6,
        order=None,
        eta=None,
        leaf_size=None,
        lengthscale=1.0,
        variance=1.0,
        params=None,
        diagonal=None,
        memory_budget=None,
    ):
        started = time.perf_counter()
        sources = as_points(sources, "sources")
        dim = sources.shape[1]
        square = targets is None
        targets = sources if square else as_points(targets, "targets", dim)
        self.tol = tolerance(tol, "tol")
        order = optional_int(order, "order", 0)
        leaf_size = optional_int(leaf_size, "leaf_size", 1)
        if eta is not None:
            eta = tolerance(eta, "eta")
        self._kernel_argument = kernel
        self.module = resolve_module(kernel, dim, order)
        self.kernel_name = self.module.KERNEL_NAME
        self.params = parameter_array(self.module, params)
        self.lengthscale = lengthscales(lengthscale, dim)
        self.variance = positive_scalar(variance, "variance")
        self.diagonal = self._diagonal(diagonal, square, sources.shape[0])
        self.memory_budget = (
            min(DEFAULT_MEMORY_BUDGET, _available_memory() // 4)
            if memory_budget is None
            else optional_int(memory_budget, "memory_budget", 0)
        )
        self.square = square
        self.dim = dim
        dtype = np.complex128 if self.module.IS_COMPLEX else np.float64
        super().__init__(dtype=dtype, shape=(targets.shape[0], sources.shape[0]))

        # Centre the cloud and scale by the length scale, so coordinates near 1e8 keep their
        # relative precision and every distance below is in length-scale units.
        low = np.minimum(sources.min(axis=0), targets.min(axis=0))
        high = np.maximum(sources.max(axis=0), targets.max(axis=0))
        check_scaled_extent(high - low, self.lengthscale)
        self._shift = 0.5 * (low + high)
        self._sources = np.ascontiguousarray((sources - self._shift) / self.lengthscale)
        self._targets = (
            self._sources if square else np.ascontiguousarray((targets - self._shift) / self.lengthscale)
        )
        self._requested = {"order": order, "eta": eta, "leaf_size": leaf_size}
        self._dense = None
        self.tree: Tree | None = None
        self.lists: InteractionLists | None = None

        if self.shape[0] * self.shape[1] <= DENSE_PAIRS:
            self._dense = self.module.kernel_matrix(self._targets, self._sources, self.params)
            self.order = self.eta = self.leaf_size = None
        else:
            self._build_tree_code(order, eta, leaf_size)
        self.build_seconds = time.perf_counter() - started
        logger.info("built %r in %.2f s", self, self.build_seconds)

    # ------------------------------------------------------------------ construction

    def _diagonal(self, diagonal, square, n):
        if diagonal is None:
            return None
        if not square:
            raise ValueError("diagonal needs a square problem (targets=None); it is undefined for targets != sources")
        array = np.asarray(diagonal, dtype=np.float64) if np.isrealobj(diagonal) else None
        if array is None:
            raise TypeError(f"diagonal must be real, got {np.asarray(diagonal).dtype}")
        if array.ndim == 0:
            array = np.full(n, float(array))
        if array.shape != (n,):
            raise ValueError(f"diagonal must be a scalar or have shape ({n},), got shape {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError("diagonal contains NaN or Inf")
        return array

    def _build_tree_code(self, order, eta, leaf_size):
        module = self.module
        model = accuracy.error_model(module, self.params)
        self.cutoff = accuracy.cutoff_radius(module, self.params, self.tol, self.shape[1])
        target = self.tol * accuracy.PAIR_TOLERANCE_FACTOR[self.dim]
        targets = None if self.square else self._targets

        # One tree with small leaves; each candidate leaf size truncates it. The estimated work of
        # every (separation ratio, leaf size) pair decides.
        if eta is not None and eta not in accuracy.ETAS:
            raise ValueError(f"eta must be one of {accuracy.ETAS} (the separation ratios of the error model), got {eta}")
        sizes = [leaf_size] if leaf_size is not None else list(accuracy.LEAF_SIZES)
        full_tree = build_tree(self._sources, targets, min(sizes))
        itemsize = np.dtype(self.dtype).itemsize
        planning_rng = np.random.default_rng(LEAF_ORDER_SEED)
        best = None
        for candidate_eta in [eta] if eta is not None else list(accuracy.ETAS):
            plan = self._plan(full_tree, model, candidate_eta, target, order)
            for size in sizes:
                tree = full_tree.truncated(size)
                leaves = tree.target_leaves()
                sample = leaves
                if leaves.shape[0] > PLAN_SAMPLE_LEAVES:
                    sample = np.sort(planning_rng.choice(leaves, PLAN_SAMPLE_LEAVES, replace=False))
                near, evaluations, terms, moments = estimate_work(
                    sample, tree.center, tree.target_radius, tree.target_range, tree.source_range,
                    tree.source_radius, tree.children, candidate_eta, plan[1], plan[2], plan[3], self.cutoff,
                )
                # Scale the sampled leaves' work to all leaves (moments are shared, so not them).
                scale = leaves.shape[0] / sample.shape[0]
                near, evaluations, terms = near * scale, evaluations * scale, terms * scale
                near_cost = (
                    accuracy.NEAR_STORED_PAIR_COST if near * itemsize <= self.memory_budget else accuracy.NEAR_PAIR_COST
                )
                cost = (
                    near * near_cost
                    + evaluations * accuracy.FAR_EVALUATION_COST
                    + terms * accuracy.FAR_TERM_COST
                    + moments * accuracy.MOMENT_TERM_COST
                )
                logger.debug(
                    "eta=%.2f leaf=%d: %.3g near pairs, %.3g far evaluations, %.3g far terms, %.3g moment terms",
                    candidate_eta, size, near, evaluations, terms, moments,
                )
                if best is None or cost < best[0]:
                    best = (cost, candidate_eta, size, plan)
        _, self.eta, self.leaf_size, plan = best
        node_order, expandable, worthwhile, _ = plan
        tree = full_tree.truncated(self.leaf_size)
        self.node_order = node_order
        active_orders = node_order[tree.active & (node_order >= 0)]
        self.order = int(active_orders.max()) if active_orders.size else None

        leaves = _chunk_shuffled(tree.target_leaves())
        lists = build_interactions(tree, self.eta, expandable, worthwhile, self.cutoff, leaves)
        self.tree, self.lists = tree, lists

        # Moments of node n occupy rows moment_start[n]:moment_start[n] + TERM_COUNT[order[n]].
        # Nodes are shuffled so the static split of the parallel loop gets big and small nodes alike.
        self._moment_nodes = np.unique(lists.far_nodes)
        np.random.default_rng(LEAF_ORDER_SEED).shuffle(self._moment_nodes)
        self._moment_start = np.full(tree.n_nodes, -1, dtype=np.int64)
        sizes = module.TERM_COUNT[node_order[self._moment_nodes]] if self._moment_nodes.size else np.zeros(0, int)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        self._moment_start[self._moment_nodes] = starts[:-1]
        self._moment_rows = int(starts[-1])
        self._permuted_sources = np.ascontiguousarray(self._sources[tree.source_permutation])
        self._permuted_targets = (
            self._permuted_sources if self.square else np.ascontiguousarray(self._targets[tree.target_permutation])
        )

        # Near blocks are stored at the first product when they fit the budget (so building stays
        # cheap), else recomputed at every product.
        self._near_offsets = near_block_offsets(lists, tree)
        itemsize = np.dtype(self.dtype).itemsize
        self.stored_bytes = int(self._near_offsets[-1]) * itemsize
        self._near_values = None
        self._store_near = self.stored_bytes <= self.memory_budget
        if not self._store_near:
            logger.info(
                "near blocks need %.2f GB, above the %.2f GB budget; recomputing them at each product",
                self.stored_bytes / 1e9, self.memory_budget / 1e9,
            )
            self.stored_bytes = 0
        self._empty_pointer = np.zeros(lists.leaves.shape[0] + 1, dtype=np.int64)

    def _plan(self, tree, model, eta, target, order):
        """Per-node order, expandability, worth of a far evaluation, and term count for one eta."""
        node_order = model.orders_for(eta, tree.source_radius, target, order)
        expandable = node_order >= 0
        node_terms = np.where(expandable, self.module.TERM_COUNT[np.maximum(node_order, 0)], 0).astype(np.int64)
        source_counts = tree.source_range[:, 1] - tree.source_range[:, 0]
        worthwhile = expandable & (source_counts * accuracy.NEAR_PAIR_COST > accuracy.FAR_TERM_COST * node_terms)
        return node_order, expandable, worthwhile, node_terms

    # ------------------------------------------------------------------ products

    # scipy's LinearOperator reports a wrong shape as a bare "dimension mismatch"; check the
    # weights first so the message gives the sizes.
    def dot(self, x):
        if not isinstance(x, LinearOperator) and not np.isscalar(x):
            as_weights(x, "weights", self.shape[1])
        return super().dot(x)

    def matvec(self, x):
        as_weights(x, "weights", self.shape[1])
        return super().matvec(x)

    def matmat(self, X):
        as_weights(X, "weights", self.shape[1])
        return super().matmat(X)

    def _matmat(self, x):
        weights, _ = as_weights(x, "weights", self.shape[1])
        if np.iscomplexobj(weights) and not self.module.IS_COMPLEX:
            return self._matmat(weights.real) + 1j * self._matmat(weights.imag)
        weights = np.ascontiguousarray(weights, dtype=self.dtype)
        if self._dense is not None:
            result = self._dense @ weights
        else:
            result = self._tree_product(weights)
        result *= self.variance
        if self.diagonal is not None:
            result += self.diagonal[:, None] * weights
        if not np.isfinite(result).all():
            raise FloatingPointError(
                f"{self!r} produced NaN or Inf from finite weights; this is a bug in fkt, please report it "
                "with the points (or use runtime.direct_sum meanwhile)"
            )
        return result

    def _tree_product(self, weights):
        tree, lists, module = self.tree, self.lists, self.module
        permuted = np.ascontiguousarray(weights[tree.source_permutation])
        n_rhs = weights.shape[1]

        moments = np.empty((self._moment_rows, n_rhs), dtype=self.dtype)
        module.compute_moments(
            self.params, self._permuted_sources, permuted, self._moment_nodes, self.node_order, tree.source_range,
            tree.center, self._moment_start, moments,
        )

        out = np.zeros((self.shape[0], n_rhs), dtype=self.dtype)
        if self._store_near and self._near_values is None:
            values = np.empty(int(self._near_offsets[-1]), dtype=self.dtype)
            module.near_blocks(
                self.params, self._permuted_targets, self._permuted_sources, lists.leaves, tree.target_range,
                tree.source_range, lists.near_pointer, lists.near_nodes, self._near_offsets, values,
            )
            self._near_values = values
        if self._near_values is not None:
            apply_near_stored(
                lists.leaves, tree.target_range, tree.source_range, lists.near_pointer, lists.near_nodes,
                self._near_offsets, self._near_values, permuted, out,
            )
            near_pointer, near_nodes = self._empty_pointer, lists.near_nodes[:0]
        else:
            near_pointer, near_nodes = lists.near_pointer, lists.near_nodes
        module.apply_leaves(
            self.params, self._permuted_targets, self._permuted_sources, permuted, lists.leaves, tree.target_range,
            tree.source_range, tree.center, self.node_order, lists.far_pointer, lists.far_nodes, near_pointer,
            near_nodes, self._moment_start, moments, out,
        )

        result = np.empty_like(out)
        result[tree.target_permutation] = out
        return result

    def _adjoint(self):
        if self.square:
            if not self.module.IS_COMPLEX:
                return self
            return _ConjugateOperator(self)
        transposed = getattr(self, "_transposed", None)
        if transposed is None:
            sources = self._targets * self.lengthscale + self._shift
            targets = self._sources * self.lengthscale + self._shift
            transposed = FKT(
                self.module, sources, targets, tol=self.tol, lengthscale=self.lengthscale, variance=self.variance,
                params=self.params, memory_budget=self.memory_budget, **{
                    key: value for key, value in self._requested.items() if value is not None
                },
            )
            self._transposed = transposed
        return transposed if not self.module.IS_COMPLEX else _ConjugateOperator(transposed)

    # ------------------------------------------------------------------ solvers and gradients

    def kernel_block(self, rows, columns) -> np.ndarray:
        """Return the dense block variance * K[rows, columns] (without the diagonal term)."""
        rows = np.asarray(rows, dtype=np.int64)
        columns = np.asarray(columns, dtype=np.int64)
        block = self.module.kernel_matrix(
            np.ascontiguousarray(self._targets[rows]), np.ascontiguousarray(self._sources[columns]), self.params
        )
        return self.variance * block

    def block_jacobi(self, block_size: int = 512, diagonal=None, on_not_pd: str = "jitter"):
        """Build a block-Jacobi preconditioner over the tree's boxes of at most ``block_size`` points.

        Each block is the dense kernel block of one box plus ``diagonal`` (default: the
        operator's own diagonal term), Cholesky-factorised; see
        :class:`runtime.krylov.BlockJacobi`.
        """
        from runtime.krylov import BlockJacobi

        if not self.square:
            raise ValueError("block_jacobi needs a square operator (targets=None)")
        block_size = optional_int(block_size, "block_size", 1)
        if self.tree is not None and block_size >= self.leaf_size:
            tree = self.tree.truncated(block_size)
        else:
            tree = build_tree(self._sources, None, block_size)
        blocks = tree.leaf_source_blocks()
        return BlockJacobi(
            blocks,
            lambda indices: self.kernel_block(indices, indices),
            diagonal=self.diagonal if diagonal is None else diagonal,
            on_not_pd=on_not_pd,
        )

    def derivative(self, parameter: str) -> LinearOperator:
        """Return dK/d(parameter) as an operator, for ``"variance"``, ``"lengthscale"`` or a shape parameter.

        The length-scale derivative uses the derived kernel g(u) = -u k'(u), built and compiled
        on first use (see :mod:`codegen.derived`); it needs an isotropic length scale.
        """
        if parameter == "variance":
            return _AffineOperator(self, scale=1.0 / self.variance, subtract_diagonal=True)
        if parameter != "lengthscale" and parameter not in self.module.PARAMETER_NAMES:
            choices = ", ".join(["variance", "lengthscale", *self.module.PARAMETER_NAMES])
            raise ValueError(f"unknown hyperparameter {parameter!r} of {self.kernel_name!r}; choose from {choices}")
        if parameter == "lengthscale" and not np.all(self.lengthscale == self.lengthscale[0]):
            raise ValueError("the lengthscale derivative needs an isotropic (scalar) length scale")
        from codegen.derived import derivative_spec

        spec = derivative_spec(self._kernel_argument, parameter, self.dim)
        variance = self.variance / self.lengthscale[0] if parameter == "lengthscale" else self.variance
        sources = self._sources * self.lengthscale + self._shift
        targets = None if self.square else self._targets * self.lengthscale + self._shift
        return FKT(
            spec, sources, targets, tol=self.tol, lengthscale=self.lengthscale, variance=variance,
            params=self.params, memory_budget=self.memory_budget,
        )

    # ------------------------------------------------------------------ diagnostics

    def exact_rows(self, rows, weights) -> np.ndarray:
        """Return the exact product rows (K @ weights)[rows] by direct summation."""
        rows = np.asarray(rows, dtype=np.int64)
        weights, vector = as_weights(weights, "weights", self.shape[1])
        if np.iscomplexobj(weights) and not self.module.IS_COMPLEX:
            real = self.exact_rows(rows, weights.real)
            return real + 1j * self.exact_rows(rows, weights.imag)
        weights = np.ascontiguousarray(weights, dtype=self.dtype)
        out = np.zeros((rows.shape[0], weights.shape[1]), dtype=self.dtype)
        targets = np.ascontiguousarray(self._targets[rows])
        self.module.direct_sum(targets, self._sources, weights, self.params, out)
        out *= self.variance
        if self.diagonal is not None:
            out += self.diagonal[rows, None] * weights[rows]
        return out[:, 0] if vector else out

    def estimate_error(self, n_rows: int = 64, weights=None, seed=None) -> float:
        """Measure ||FKT w - K w|| / ||K w|| on ``n_rows`` random rows against direct sums.

        ``weights`` defaults to standard normal values drawn with ``seed``.
        """
        n_rows = optional_int(n_rows, "n_rows", 1)
        rng = np.random.default_rng(seed)
        if weights is None:
            weights = rng.standard_normal(self.shape[1])
        weights, _ = as_weights(weights, "weights", self.shape[1])
        rows = np.sort(rng.choice(self.shape[0], size=min(n_rows, self.shape[0]), replace=False))
        approximate = (self @ weights)[rows]
        exact = self.exact_rows(rows, weights)
        norm = np.linalg.norm(exact)
        error = np.linalg.norm(approximate - exact)
        return float(error / norm) if norm > 0 else float(error)

    @property
    def stats(self) -> dict:
        """Facts about the build: chosen parameters, interaction counts, stored bytes, build time."""
        facts = {"kernel": self.kernel_name, "shape": self.shape, "build_seconds": getattr(self, "build_seconds", None)}
        if self._dense is not None:
            facts["mode"] = "dense"
            return facts
        facts.update(
            mode="tree",
            max_order=self.order,
            eta=self.eta,
            leaf_size=self.leaf_size,
            expanded_nodes=int((self.node_order >= 0).sum()),
            n_nodes=self.tree.n_nodes,
            depth=self.tree.depth,
            n_target_leaves=int(self.lists.leaves.shape[0]),
            far_entries=self.lists.far_count,
            near_entries=self.lists.near_count,
            moment_nodes=int(self._moment_nodes.shape[0]),
            stored_bytes=self.stored_bytes,
            cutoff=self.cutoff,
        )
        return facts

    def __repr__(self):
        if self._dense is not None:
            mode = "dense"
        else:
            mode = f"p<={self.order}, eta={self.eta}, leaf_size={self.leaf_size}"
        return f"FKT({self.kernel_name!r}, shape={self.shape}, tol={self.tol:g}, {mode})"


class _AffineOperator(LinearOperator):
    """x -> scale * (A x - diagonal * x): an FKT without its diagonal term, rescaled."""

    def __init__(self, operator, scale, subtract_diagonal):
        self._operator = operator
        self._scale = scale
        self._subtract = subtract_diagonal and operator.diagonal is not None
        super().__init__(dtype=operator.dtype, shape=operator.shape)

    def _matmat(self, x):
        result = self._operator.matmat(x)
        if self._subtract:
            result = result - self._operator.diagonal[:, None] * np.asarray(x)
        return self._scale * result

    def _adjoint(self):
        return _AffineOperator(self._operator.adjoint(), self._scale, self._subtract)


class _ConjugateOperator(LinearOperator):
    """x -> conj(A conj(x)): the adjoint of a complex symmetric operator A."""

    def __init__(self, operator):
        self._operator = operator
        super().__init__(dtype=operator.dtype, shape=operator.shape)

    def _matmat(self, x):
        return np.conj(self._operator.matmat(np.conj(x)))

    def _adjoint(self):
        return self._operator
