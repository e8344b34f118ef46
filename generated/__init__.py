"""Generated Numba modules of the built-in kernels and the loader that finds or builds them."""
