"""Rendering of an :class:`~codegen.expansion.Expansion` into the source of a Numba module."""

from __future__ import annotations

import logging
import time

import jinja2
import numpy as np
import sympy

from codegen.expansion import Expansion, build_expansion, kernel_derivatives, radial_coefficients
from codegen.harmonics import harmonic_table
from codegen.lowering import lower_expressions, lower_scalar, uses_bessel
from codegen.specs import R, KernelSpec, SpecError, get_spec
from templates import MODULE_TEMPLATE, TEMPLATE_DIR, generator_version

logger = logging.getLogger(__name__)

def module_name(spec: KernelSpec, dim: int, order: int) -> str:
    """Return the module (and file stem) name of a (kernel, dim, order) module.

    User kernels carry their spec hash, so two specs that share a name never share a file.
    """
    from codegen.specs import BUILTIN_KERNELS

    if BUILTIN_KERNELS.get(spec.name) == spec:
        return f"{spec.name}_d{dim}_p{order}"
    return f"{spec.name}_{spec.spec_hash[:8]}_d{dim}_p{order}"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _array_literal(array: np.ndarray) -> str:
    return np.array2string(
        np.asarray(array), separator=", ", threshold=np.inf, max_line_width=100, floatmode="unique"
    ).replace("\n", "\n    ")


def _zero_value(spec: KernelSpec, dim: int, expression: sympy.Expr, names) -> str:
    """Return the source of K(0): value_at_zero when given, else the limit r -> 0+."""
    if spec.value_at_zero is not None:
        value = sympy.Float(spec.value_at_zero)
    else:
        value = sympy.limit(expression, R, 0, "+")
        if not value.is_finite and value.free_symbols == set():
            raise SpecError(
                f"kernel {spec.name!r} is singular at r = 0 in dim={dim}; set value_at_zero in the spec "
                "(the value used on the diagonal of the kernel matrix)"
            )
    if spec.is_complex:
        value = sympy.sympify(value) + 0 * sympy.I
        code = lower_scalar(value, names)
        return code if "j" in code else f"complex({code})"
    return lower_scalar(value, names)


def render_expansion(expansion: Expansion, build_kernel: str | None = None) -> str:
    """Render the Numba module source of an expansion and check that it compiles to bytecode.

    Parameters
    ----------
    expansion : Expansion
    build_kernel : str, optional
        What ``codegen build --kernel=`` needs to rebuild this module (name or spec path),
        written into the header.
    """
    started = time.perf_counter()
    spec = expansion.spec
    dim, order = expansion.dim, expansion.order
    names = {symbol: f"param_{symbol.name}" for symbol in spec.parameter_symbols}

    kernel_block = lower_expressions([expansion.kernel], [0], names)[0]
    derivative_list = kernel_derivatives(spec, dim, order)
    derivative_blocks = [
        {"m": m, "temporaries": block.temporaries, "result": block.results[0]}
        for m, block in enumerate(lower_expressions(list(derivative_list), list(range(order + 1)), names))
    ]
    radial_pointer, radial_power, radial_value = [0], [], []
    for slot in expansion.slots:
        for m, value in sorted(radial_coefficients(dim, order, slot.j, slot.k).items()):
            radial_power.append(m)
            radial_value.append(float(value))
        radial_pointer.append(len(radial_power))

    source_entries = []
    for index, coefficients in enumerate(expansion.source_coefficients):
        for power, value in sorted(coefficients.items()):
            source_entries.append((index, power, lower_scalar(sympy.sympify(value), names)))

    table, offsets, scale = harmonic_table(dim, order)
    term_offset = [0]
    for slot in expansion.slots:
        term_offset.append(term_offset[-1] + int(offsets[slot.k + 1] - offsets[slot.k]))
    bessel = uses_bessel([expansion.kernel, *derivative_list])
    if bessel["besseli"] or bessel["besselj"]:
        raise SpecError(f"kernel {spec.name!r}: besseli and besselj cannot be rendered for Numba; use besselk")

    context = {
        "build_kernel": build_kernel or spec.name,
        "name": spec.name,
        "dim": dim,
        "order": order,
        "spec_hash": spec.spec_hash,
        "generator_version": generator_version(),
        "expression": spec.expression_text(dim),
        "parameters": [(name, repr(float(value))) for name, value in spec.parameters],
        "parameter_names": list(spec.parameter_names),
        "is_complex": spec.is_complex,
        "reduced": expansion.reduced,
        "value_dtype": "complex128" if spec.is_complex else "float64",
        "slot_j": _array_literal([slot.j for slot in expansion.slots]),
        "slot_k": _array_literal([slot.k for slot in expansion.slots]),
        "slot_count": _array_literal([expansion.slot_count(p) for p in range(order + 1)]),
        "term_offset": _array_literal(term_offset),
        "term_count": _array_literal([expansion.term_count(p) for p in range(order + 1)]),
        "harmonic_offset": _array_literal(offsets),
        "harmonic_index": _array_literal(table),
        "source_scale": _array_literal(scale),
        "n_slots": len(expansion.slots),
        "kernel_block": kernel_block,
        "zero_value": _zero_value(spec, dim, expansion.kernel, names),
        "derivative_blocks": derivative_blocks,
        "radial_pointer": _array_literal(np.array(radial_pointer, dtype=np.int64)),
        "radial_power": _array_literal(np.array(radial_power, dtype=np.int64)),
        "radial_value": _array_literal(np.array(radial_value, dtype=np.float64)),
        "source_entries": source_entries,
        "uses_besselk": bessel["besselk"],
    }
    source = _environment().get_template(MODULE_TEMPLATE).render(**context)

    # Compile to bytecode (nothing runs) so a rendering bug never reaches the disk.
    compile(source, f"<{spec.name}_d{dim}_p{order}>", "exec")
    logger.info("rendered %s d=%d P=%d in %.2f s", spec.name, dim, order, time.perf_counter() - started)
    return source


def render_module(kernel: str | KernelSpec, dim: int, order: int, build_kernel: str | None = None) -> str:
    """Derive and render the module of a kernel: :func:`build_expansion` then :func:`render_expansion`."""
    spec = get_spec(kernel)
    return render_expansion(build_expansion(spec, dim, order), build_kernel=build_kernel)
