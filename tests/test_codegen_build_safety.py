"""Safety of module builds: concurrent builders, killed builds, stale modules.

These tests start real processes (multiprocessing with the spawn method, and ``python -c``
subprocesses killed with SIGKILL) that render real modules into temporary folders.
"""

import importlib.util
import logging
import multiprocessing
import select
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import codegen.build
import generated
import generated.loader
from codegen.build import build_module
from codegen.specs import BUILTIN_KERNELS
from templates import generator_version

# A module that takes about a second to render, so that concurrent builders overlap.
CONCURRENT_MODULE = ("cauchy", 3, 10)
N_BUILDERS = 4

# A module that takes about 1.3 s to derive and render in a fresh process, after about 0.6 s
# of imports, so that random kill times land in every phase of a build or just after it.
KILLED_MODULE = ("matern52", 3, 14)
KILL_TIMES_SECONDS = (0.2, 2.2)
N_RANDOM_KILLS = 3
SEED = 5

# Upper bound for one build process, in seconds. A build that waits on a lock left by a killed
# process then fails the test, instead of waiting for BUILD_LOCK_TIMEOUT (15 minutes).
PROCESS_TIMEOUT_SECONDS = 120
LOCK_TIMEOUT_SECONDS = 60.0


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("FKT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(codegen.build, "BUILD_LOCK_TIMEOUT", LOCK_TIMEOUT_SECONDS)


def _stem(kernel, dim, order):
    return f"{kernel}_d{dim}_p{order}"


def _import_fresh(path, name):
    """Execute a module file under a new name (its functions compile lazily, so this is cheap)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def _assert_complete_module(path, kernel, dim, order):
    text = path.read_text(encoding="utf-8")
    compile(text, str(path), "exec")
    assert generated.loader.is_fresh(path, BUILTIN_KERNELS[kernel].spec_hash, generator_version())
    # near_blocks is the last function of the template; a truncated file would lack its body.
    assert "def near_blocks(" in text
    module = _import_fresh(path, f"check_{path.stem}_{time.monotonic_ns()}")
    assert module.MAX_ORDER == order
    assert module.DIMENSION == dim


def _temporary_files(folder, stem):
    return sorted(folder.glob(f".{stem}.*.tmp"))


class _BuildCounter(logging.Handler):
    """Count the "built <path>" records of codegen.build, one per module actually rendered."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.count = 0

    def emit(self, record):
        if record.getMessage().startswith("built "):
            self.count += 1


def _build_after_barrier(barrier, folder, results):
    counter = _BuildCounter()
    logger = logging.getLogger("codegen.build")
    logger.setLevel(logging.INFO)
    logger.addHandler(counter)
    kernel, dim, order = CONCURRENT_MODULE
    barrier.wait()
    path = build_module(kernel, dim, order, directory=folder)
    results.put((str(path), counter.count))


def test_concurrent_builds_write_one_module(tmp_path):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(N_BUILDERS)
    results = context.Queue()
    workers = [context.Process(target=_build_after_barrier, args=(barrier, tmp_path, results)) for _ in range(N_BUILDERS)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=PROCESS_TIMEOUT_SECONDS) for _ in workers]
    for worker in workers:
        worker.join(timeout=PROCESS_TIMEOUT_SECONDS)
        assert worker.exitcode == 0

    kernel, dim, order = CONCURRENT_MODULE
    stem = _stem(kernel, dim, order)
    assert {path for path, _ in outcomes} == {str(tmp_path / f"{stem}.py")}
    # The lock serialises the builders: one renders, the others find its module fresh.
    assert sum(count for _, count in outcomes) == 1
    assert sorted(path.name for path in tmp_path.glob("*.py")) == [f"{stem}.py"]
    assert _temporary_files(tmp_path, stem) == []
    _assert_complete_module(tmp_path / f"{stem}.py", kernel, dim, order)


_KILLED_BUILD = """
import os, sys, time
from pathlib import Path
import codegen.build

kernel, dim, order, folder, mode = sys.argv[1:]
if mode == "stall-before-rename":
    # Hold the build between writing the temporary file and renaming it.
    def stalled_fsync(descriptor):
        print("temporary file written", flush=True)
        time.sleep(600)
    codegen.build.os.fsync = stalled_fsync
codegen.build.build_module(kernel, int(dim), int(order), directory=Path(folder), force=True)
"""


def _start_build(folder, mode):
    kernel, dim, order = KILLED_MODULE
    return subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, kernel, str(dim), str(order), str(folder), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=PROCESS_TIMEOUT_SECONDS)


def test_killed_builds_leave_no_partial_module(tmp_path):
    kernel, dim, order = KILLED_MODULE
    stem = _stem(kernel, dim, order)
    target = tmp_path / f"{stem}.py"
    rng = np.random.default_rng(SEED)

    # Kills at random times: the target is absent or complete after each.
    for delay in rng.uniform(*KILL_TIMES_SECONDS, N_RANDOM_KILLS):
        process = _start_build(tmp_path, "normal")
        time.sleep(delay)
        _kill(process)
        if target.exists():
            _assert_complete_module(target, kernel, dim, order)

    # A kill between writing the temporary file and renaming it leaves only the temporary file.
    target.unlink(missing_ok=True)
    process = _start_build(tmp_path, "stall-before-rename")
    ready, _, _ = select.select([process.stdout], [], [], PROCESS_TIMEOUT_SECONDS)
    assert ready, "the build did not reach its write step"
    assert process.stdout.readline().strip() == "temporary file written"
    _kill(process)
    process.stdout.close()
    assert not target.exists()
    assert len(_temporary_files(tmp_path, stem)) == 1

    # The next build takes the lock the killed process held, removes the leftover and writes.
    path = build_module(kernel, dim, order, directory=tmp_path)
    assert path == target
    assert _temporary_files(tmp_path, stem) == []
    _assert_complete_module(target, kernel, dim, order)


def _edit_header(path, field, value):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(f"# {field}: "):
            lines[index] = f"# {field}: {value}\n"
            break
    else:
        raise AssertionError(f"no {field} line in {path}")
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("field", ["spec-hash", "generator-version"])
def test_stale_module_rebuilt_by_load(tmp_path, field):
    kernel, dim, order = "cauchy", 2, 4
    path = build_module(kernel, dim, order, directory=tmp_path)
    _edit_header(path, field, "0000000000")
    assert not generated.loader.is_fresh(path, BUILTIN_KERNELS[kernel].spec_hash, generator_version())

    module = generated.load(kernel, dim, order, directory=tmp_path)
    assert module.__file__ == str(path)
    assert generated.loader.is_fresh(path, BUILTIN_KERNELS[kernel].spec_hash, generator_version())
    assert module.SPEC_HASH == BUILTIN_KERNELS[kernel].spec_hash
    assert module.GENERATOR_VERSION == generator_version()


def test_fresh_module_not_rebuilt(tmp_path):
    path = build_module("cauchy", 2, 4, directory=tmp_path)
    written = path.stat().st_mtime_ns
    generated.load("cauchy", 2, 4, directory=tmp_path)
    build_module("cauchy", 2, 4, directory=tmp_path)
    assert path.stat().st_mtime_ns == written


def test_stale_shipped_module_built_in_cache(tmp_path, monkeypatch, caplog):
    # A copy of the package folder whose only module is stale; the real files stay untouched.
    package = tmp_path / "package"
    package.mkdir()
    shipped = build_module("cauchy", 2, 4, directory=package)
    _edit_header(shipped, "spec-hash", "0000000000")
    stale_text = shipped.read_text(encoding="utf-8")
    monkeypatch.setattr(generated.loader, "PACKAGE_DIR", package)
    cache = tmp_path / "cache"

    with caplog.at_level(logging.WARNING, logger="generated.loader"):
        module = generated.load("cauchy", 2, 4, directory=cache)
    assert module.__file__ == str(cache / "cauchy_d2_p4.py")
    assert module.SPEC_HASH == BUILTIN_KERNELS["cauchy"].spec_hash
    assert "is stale" in caplog.text
    assert shipped.read_text(encoding="utf-8") == stale_text


def test_leftover_temporary_file_removed(tmp_path):
    stem = _stem("cauchy", 2, 4)
    leftover = tmp_path / f".{stem}.abc123.tmp"
    leftover.write_text("# Generated by fkt codegen; do not edit.\ndef kernel(", encoding="utf-8")
    build_module("cauchy", 2, 4, directory=tmp_path)
    assert not leftover.exists()
    shutil.rmtree(tmp_path / "__pycache__", ignore_errors=True)
