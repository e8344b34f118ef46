"""Resolution of the ``kernel`` and ``params`` arguments shared by FKT and direct_sum."""

from __future__ import annotations

import logging
from types import ModuleType

import numpy as np

import generated

logger = logging.getLogger(__name__)


def resolve_module(kernel, dim: int, order: int | None = None) -> ModuleType:
    """Return the generated module for ``kernel`` in ``dim`` dimensions.

    ``kernel`` is a built-in name, a path to a ``.toml`` spec, a ``KernelSpec`` or a loaded
    module. A given ``order`` larger than the shipped maximum builds a module of that order.
    """
    if generated.is_kernel_module(kernel):
        if kernel.DIMENSION != dim:
            raise ValueError(
                f"kernel module {kernel.KERNEL_NAME!r} is for dim={kernel.DIMENSION}, but the points have dim={dim}"
            )
        if order is not None and order > kernel.MAX_ORDER:
            raise ValueError(f"order={order} exceeds the module's maximum order {kernel.MAX_ORDER}")
        return kernel
    default = generated.DEFAULT_ORDERS.get(dim)
    wanted = default if order is None or (default is not None and order <= default) else order
    return generated.load(kernel, dim, wanted)


def parameter_array(module: ModuleType, params) -> np.ndarray:
    """Return the shape parameters as a float64 array in the module's order.

    ``params`` is None (defaults), a mapping of name to value (missing names keep their
    defaults), or a sequence in PARAMETER_NAMES order. Values must be positive and finite.
    """
    names = tuple(module.PARAMETER_NAMES)
    values = list(module.PARAMETER_DEFAULTS)
    if params is None:
        pass
    elif isinstance(params, dict):
        unknown = sorted(set(params) - set(names))
        if unknown:
            allowed = ", ".join(names) if names else "none"
            raise ValueError(f"unknown kernel parameter(s) {unknown} for {module.KERNEL_NAME!r}; its parameters: {allowed}")
        for index, name in enumerate(names):
            if name in params:
                values[index] = params[name]
    else:
        sequence = list(np.atleast_1d(np.asarray(params, dtype=object)))
        if len(sequence) != len(names):
            raise ValueError(f"params has {len(sequence)} values, but {module.KERNEL_NAME!r} takes {len(names)}: {names}")
        values = sequence
    array = np.empty(len(values), dtype=np.float64)
    for index, value in enumerate(values):
        try:
            array[index] = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"kernel parameter {names[index]!r} must be a number, got {value!r}") from None
        if not np.isfinite(array[index]) or array[index] <= 0:
            raise ValueError(f"kernel parameter {names[index]!r} must be positive and finite, got {value!r}")
    return array
