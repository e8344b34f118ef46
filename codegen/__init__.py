"""Symbolic side of fkt: kernel specs, multipole expansions and rendering of Numba modules."""
