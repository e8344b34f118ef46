"""Generated Numba modules of the built-in kernels and the loader that finds or builds them.

    >>> import generated
    >>> module = generated.load("matern32", dim=3)    # doctest: +SKIP
    >>> module.TERM_COUNT[6]                          # doctest: +SKIP
"""

from generated.loader import DEFAULT_ORDERS, SHIPPED_DIMENSIONS, cache_directory, is_kernel_module, load

__all__ = ["DEFAULT_ORDERS", "SHIPPED_DIMENSIONS", "cache_directory", "is_kernel_module", "load"]
