"""Shared pytest configuration.

Most of the suite's time is Numba compiling generated modules. Under pytest-xdist
(``-n 2 --dist loadgroup``) every test parametrized by a kernel goes to the worker that owns
that kernel, so each module is compiled by one worker only.
"""

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "kernel" in callspec.params:
            item.add_marker(pytest.mark.xdist_group(str(callspec.params["kernel"])))
