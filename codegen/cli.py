"""The ``codegen`` command: build, list, show and check generated kernel modules."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from codegen.build import BuildError, build_module
from codegen.expansion import build_expansion, unreduced_term_count
from codegen.render import module_name, render_module
from codegen.specs import BUILTIN_KERNELS, SpecError, get_spec
from codegen.transform import MAX_DIMENSION, MAX_ORDER
from generated.loader import DEFAULT_ORDERS, PACKAGE_DIR, SHIPPED_DIMENSIONS, cache_directory, read_header
from templates import generator_version


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Log progress (-v) or details (-vv) to stderr.")
def main(verbose: int) -> None:
    """Generate Numba modules of FKT kernel expansions."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@main.command()
@click.option("--kernel", required=True, help="Built-in kernel name or path to a .toml kernel spec.")
@click.option("--dim", required=True, type=int, help=f"Dimension of the points, 1 to {MAX_DIMENSION}.")
@click.option("--order", type=int, default=None, help=f"Maximum expansion order P, 0 to {MAX_ORDER} (default by dim: {DEFAULT_ORDERS}).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: $FKT_CACHE_DIR or ~/.cache/fkt/kernels).",
)
@click.option("--force", is_flag=True, help="Rebuild even if a fresh module exists.")
def build(kernel: str, dim: int, order: int | None, out: Path | None, force: bool) -> None:
    """Derive a kernel's expansion and write its Numba module."""
    try:
        order = DEFAULT_ORDERS.get(dim, 0) if order is None else order
        started = time.perf_counter()
        path = build_module(kernel, dim, order, out, force=force)
    except (SpecError, ValueError, TypeError, BuildError) as error:
        _fail(str(error))
    click.echo(f"{path}  ({time.perf_counter() - started:.1f} s)")


@main.command(name="list")
def list_kernels() -> None:
    """List the built-in kernels and the shipped modules."""
    width = max(len(name) for name in BUILTIN_KERNELS)
    click.echo("Built-in kernels:")
    for name, spec in BUILTIN_KERNELS.items():
        parameters = ", ".join(f"{key}={value}" for key, value in spec.parameters)
        suffix = f"  [{parameters}]" if parameters else ""
        click.echo(f"  {name:<{width}}  {spec.description}{suffix}")
    shipped = sorted(path.stem for path in PACKAGE_DIR.glob("*_d*_p*.py"))
    click.echo(f"\nShipped modules in {PACKAGE_DIR}: {len(shipped)}")
    for stem in shipped:
        click.echo(f"  {stem}")
    click.echo(f"\nUser modules are built into {cache_directory()}")


@main.command()
@click.argument("kernel")
@click.option("--dim", type=int, default=3, show_default=True, help="Dimension to show the expansion for.")
@click.option("--order", type=int, default=6, show_default=True, help="Expansion order to show.")
@click.option("--source", is_flag=True, help="Print the rendered module source instead of a summary.")
def show(kernel: str, dim: int, order: int, source: bool) -> None:
    """Show a kernel's spec and its expansion in one dimension."""
    try:
        spec = get_spec(kernel)
        if source:
            click.echo(render_module(spec, dim, order, build_kernel=kernel))
            return
        expansion = build_expansion(spec, dim, order)
    except (SpecError, ValueError, TypeError) as error:
        _fail(str(error))
    click.echo(f"kernel:        {spec.name}  ({spec.description})")
    click.echo(f"expression:    K(r) = {spec.expression_text(dim)}   [d={dim}]")
    click.echo(f"parameters:    {dict(spec.parameters) or 'none'}")
    click.echo(f"complex:       {spec.is_complex}")
    click.echo(f"dimensions:    {list(spec.dimensions)}")
    if spec.value_at_zero is not None:
        click.echo(f"value at r=0:  {spec.value_at_zero}")
    click.echo(f"spec hash:     {spec.spec_hash}")
    click.echo(f"reduced:       {expansion.reduced}")
    click.echo("terms by order p (reduced / unreduced binom(p+d, d)):")
    for p in range(order + 1):
        click.echo(f"  p={p:<3d} {expansion.term_count(p):>6d} / {unreduced_term_count(dim, p)}")
    click.echo("radial functions A_jk(r):")
    for slot, expression in list(zip(expansion.slots, expansion.radial))[:8]:
        click.echo(f"  A_{slot.j},{slot.k}(r) = {expression}")
    if len(expansion.slots) > 8:
        click.echo(f"  ... {len(expansion.slots) - 8} more")


def shipped_modules() -> list[tuple[str, int, int]]:
    """Return the (kernel, dim, order) triples that ``generated/`` must contain."""
    return [
        (name, dim, DEFAULT_ORDERS[dim])
        for name, spec in BUILTIN_KERNELS.items()
        for dim in SHIPPED_DIMENSIONS
        if dim in spec.dimensions
    ]


@main.command()
@click.option("--render", "rerender", is_flag=True, help="Also re-render each module and compare the text.")
def check(rerender: bool) -> None:
    """Fail when a shipped module is missing or out of date."""
    version = generator_version()
    problems = []
    for name, dim, order in shipped_modules():
        spec = BUILTIN_KERNELS[name]
        path = PACKAGE_DIR / f"{module_name(spec, dim, order)}.py"
        header = read_header(path)
        if not header:
            problems.append(f"missing: {path.name}")
        elif header.get("spec-hash") != spec.spec_hash:
            problems.append(f"stale spec: {path.name} has {header.get('spec-hash')}, spec is {spec.spec_hash}")
        elif header.get("generator-version") != version:
            problems.append(f"stale generator: {path.name} has {header.get('generator-version')}, current is {version}")
        elif rerender and path.read_text(encoding="utf-8") != render_module(spec, dim, order):
            problems.append(f"differs from a fresh rendering: {path.name}")
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(
            f"{len(problems)} shipped module(s) out of date; rebuild with: codegen ship",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{len(shipped_modules())} shipped modules are up to date (generator {version})")


@main.command()
def ship() -> None:
    """Rebuild every out-of-date shipped module in the package folder."""
    for name, dim, order in shipped_modules():
        started = time.perf_counter()
        path = build_module(name, dim, order, PACKAGE_DIR)
        click.echo(f"{path.name}  ({time.perf_counter() - started:.1f} s)")
