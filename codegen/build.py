"""Writing generated modules to disk: locked, atomic, and skipped when already fresh.

Several processes may ask for the same module at once (parallel test workers, MPI ranks).
A file lock per module serialises them; inside the lock a fresh module is reused. The source is
written to a temporary file in the same folder and moved into place with ``os.replace``, so a
reader sees either the old file, no file, or the complete new one, and a build killed half-way
leaves only a temporary file that the next build removes.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from filelock import FileLock, Timeout

from codegen.render import module_name, render_module
from codegen.specs import KernelSpec, get_spec
from codegen.transform import validate_dimension, validate_order
from generated.loader import cache_directory, is_fresh
from templates import generator_version

logger = logging.getLogger(__name__)

BUILD_LOCK_TIMEOUT = 900.0
"""Seconds to wait for another process building the same module before giving up."""


class BuildError(RuntimeError):
    """A module could not be built or written (lock timeout, unwritable folder)."""


def build_module(
    kernel: str | Path | KernelSpec,
    dim: int,
    order: int,
    directory: str | Path | None = None,
    *,
    force: bool = False,
) -> Path:
    """Render the module of (kernel, dim, order) into ``directory`` unless a fresh one is there.

    Parameters
    ----------
    kernel : str, Path or KernelSpec
        Built-in name, path to a ``.toml`` spec, or a spec.
    dim, order : int
        Dimension (1-6) and maximum expansion order.
    directory : str or Path, optional
        Output folder; default :func:`generated.loader.cache_directory`.
    force : bool
        Rebuild even when a fresh module exists.

    Returns
    -------
    Path of the module file.

    Raises
    ------
    SpecError, ValueError, TypeError
        For an invalid kernel, dimension or order.
    BuildError
        If the lock cannot be taken in BUILD_LOCK_TIMEOUT seconds or the folder is unwritable.
    """
    spec = get_spec(kernel)
    dim = validate_dimension(dim)
    order = validate_order(order)
    spec.expression_for(dim)  # reject a dimension the kernel is not defined for, before locking
    directory = Path(directory) if directory is not None else cache_directory()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(f"cannot create the module folder {directory}: {error}") from None

    stem = module_name(spec, dim, order)
    target = directory / f"{stem}.py"
    lock = FileLock(str(directory / f".{stem}.lock"))
    try:
        with lock.acquire(timeout=BUILD_LOCK_TIMEOUT):
            _remove_partial_files(directory, stem)
            if not force and is_fresh(target, spec.spec_hash, generator_version()):
                logger.debug("module %s is fresh, not rebuilding", target)
                return target
            started = time.perf_counter()
            if isinstance(kernel, Path) or (isinstance(kernel, str) and kernel.endswith(".toml")):
                build_kernel = str(Path(kernel).resolve())
            else:
                build_kernel = spec.name
            source = render_module(spec, dim, order, build_kernel=build_kernel)
            _write_atomically(target, source)
            logger.info("built %s in %.1f s", target, time.perf_counter() - started)
    except Timeout:
        raise BuildError(
            f"timed out after {BUILD_LOCK_TIMEOUT:.0f} s waiting for another build of {target}; "
            f"remove {lock.lock_file} if no build is running"
        ) from None
    return target


def _remove_partial_files(directory: Path, stem: str) -> None:
    """Delete temporary files left by killed builds of this module (we hold its lock)."""
    for leftover in directory.glob(f".{stem}.*.tmp"):
        try:
            leftover.unlink()
            logger.info("removed %s left by an interrupted build", leftover)
        except OSError as error:
            logger.warning("could not remove %s: %s", leftover, error)


def _write_atomically(target: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
