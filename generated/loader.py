"""Find, check and import generated kernel modules, building them when missing or stale.

A module is *fresh* when its header records the current spec hash and generator version.
Shipped modules live in this package; everything else is built into the cache folder
(``$FKT_CACHE_DIR``, else ``$XDG_CACHE_HOME/fkt/kernels``, else ``~/.cache/fkt/kernels``).

Importing a fresh module needs only numpy and numba. Checking freshness needs the kernel spec,
which needs sympy; in a process without sympy the loader imports existing modules unchecked.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import sys
import threading

import numpy as np
from pathlib import Path
from types import ModuleType

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent

CACHE_ENVIRONMENT_VARIABLE = "FKT_CACHE_DIR"

SHIPPED_DIMENSIONS = (1, 2, 3)

DEFAULT_ORDERS = {1: 24, 2: 24, 3: 20, 4: 12, 5: 10, 6: 8}
"""Maximum order P built when none is given. For d <= 3 (the shipped modules) it reaches a
worst-case relative expansion error of 1e-8 at separation ratio 0.4 for the heavy-tailed
built-ins (Cauchy, Laplace, rational quadratic); for d >= 4 the term count binom(P + d, d)
sets the limit instead."""

HEADER_LINES = 10
_HEADER_FIELD = re.compile(r"^# (kernel|dim|order|spec-hash|generator-version): (\S+)\s*$")

_lock = threading.Lock()
_memo: dict[tuple[str, float], ModuleType] = {}


def cache_directory() -> Path:
    """Return the folder user-built modules go to (see the module docstring)."""
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fkt" / "kernels"


def read_header(path: Path) -> dict[str, str]:
    """Return the header fields (kernel, dim, order, spec-hash, generator-version) of a module file."""
    fields = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for _ in range(HEADER_LINES):
                match = _HEADER_FIELD.match(handle.readline())
                if match:
                    fields[match.group(1)] = match.group(2)
    except OSError:
        return {}
    return fields


def is_fresh(path: Path, spec_hash: str, generator_version: str) -> bool:
    """True when ``path`` exists and records this spec hash and generator version."""
    header = read_header(path)
    return header.get("spec-hash") == spec_hash and header.get("generator-version") == generator_version


def is_kernel_module(value) -> bool:
    """True for an imported generated module (it has the constants every module defines)."""
    return isinstance(value, ModuleType) and all(
        hasattr(value, name) for name in ("KERNEL_NAME", "DIMENSION", "MAX_ORDER", "apply_leaves")
    )


def _import_file(path: Path, name: str) -> ModuleType:
    """Import a module file under a stable name, registered in sys.modules before it runs.

    Numba's disk cache keys compiled functions by module file and qualified name, so a
    stable name lets a second process reuse the first one's machine code.
    """
    key = (str(path), path.stat().st_mtime)
    with _lock:
        if key in _memo:
            return _memo[key]
        if path.parent == PACKAGE_DIR:
            module = importlib.import_module(f"generated.{path.stem}")
        else:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
        _memo[key] = module
        return module


def load(
    kernel, dim: int, order: int | None = None, *, directory=None, rebuild: bool = False, shipped: bool = True
) -> ModuleType:
    """Return the generated module of a kernel, building it when missing or stale.

    Parameters
    ----------
    kernel : str, Path, KernelSpec or module
        A built-in name, a path to a ``.toml`` spec, a spec, or an already loaded module
        (returned as is after checking its dimension).
    dim : int
        Dimension, 1 to 6.
    order : int, optional
        Maximum expansion order P; default ``DEFAULT_ORDERS[dim]``.
    directory : str or Path, optional
        Where to look for and build non-shipped modules; default :func:`cache_directory`.
    rebuild : bool
        Build again even if a fresh module exists.
    shipped : bool
        Use a fresh module shipped in this package when there is one (default); False always
        uses (and if needed builds) the one in ``directory``.

    Raises
    ------
    SpecError, ValueError, TypeError
        For an unknown kernel or invalid dim/order; the message lists the choices.
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an integer, got {dim!r}")
    if is_kernel_module(kernel):
        if dim != kernel.DIMENSION:
            raise ValueError(f"module {kernel.__name__} is for dim={kernel.DIMENSION}, not dim={dim}")
        return kernel
    if order is None:
        if dim not in DEFAULT_ORDERS:
            raise ValueError(f"dim must be one of {sorted(DEFAULT_ORDERS)}, got {dim!r}")
        order = DEFAULT_ORDERS[dim]

    try:
        from codegen.build import build_module
        from codegen.render import module_name
        from codegen.specs import BUILTIN_KERNELS, get_spec
        from templates import generator_version
    except ImportError as error:
        return _load_unchecked(kernel, dim, order, directory, error)

    spec = get_spec(kernel)
    spec.expression_for(dim)  # raises for a dimension the kernel is not defined in
    stem = module_name(spec, dim, order)
    version = generator_version()
    shipped = PACKAGE_DIR / f"{stem}.py"
    if shipped and not rebuild and spec.name in BUILTIN_KERNELS and BUILTIN_KERNELS[spec.name] == spec:
        if is_fresh(shipped, spec.spec_hash, version):
            return _import_file(shipped, f"generated.{stem}")
        if shipped.exists():
            logger.warning("shipped module %s is stale; building a fresh one in the cache folder", shipped)

    folder = Path(directory) if directory is not None else cache_directory()
    path = build_module(spec, dim, order, folder, force=rebuild)
    return _import_file(path, f"fkt_kernels_{stem}_{spec.spec_hash}")


def _load_unchecked(kernel, dim, order, directory, error) -> ModuleType:
    """Import an existing module by name without the freshness check (no sympy available)."""
    if not isinstance(kernel, str) or kernel.endswith(".toml"):
        raise ImportError(f"loading {kernel!r} needs the code generator, which failed to import: {error}")
    stem = f"{kernel}_d{dim}_p{order}"
    folder = Path(directory) if directory is not None else cache_directory()
    for path in (PACKAGE_DIR / f"{stem}.py", folder / f"{stem}.py"):
        if path.exists():
            logger.info("code generator unavailable (%s); loading %s without a freshness check", error, path)
            header = read_header(path)
            return _import_file(path, f"fkt_kernels_{stem}_{header.get('spec-hash', 'unknown')}")
    raise ImportError(
        f"no generated module {stem} in {PACKAGE_DIR} or {folder}, and building one needs the code "
        f"generator, which failed to import: {error}"
    )
