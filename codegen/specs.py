"""Kernel specs: the built-in registry and user kernels read from TOML files.

A kernel is an isotropic function K(r) of the distance r in units of the length scale. The
length scale and the output scale (variance) are not spec parameters: the runtime divides
points by the length scale and multiplies results by the variance, so changing them never
regenerates code. Shape parameters (the ``alpha`` of the rational quadratic, the ``nu`` of a
general Matérn, the wavenumber ``k`` of Helmholtz) are named, positive, and have defaults.

A user spec file looks like this::

    name = "damped_cosine"
    expression = "exp(-r) * cos(w*r)"
    description = "Exponentially damped cosine"
    [parameters]
    w = 2.0

Optional keys: ``value_at_zero`` (required when K is singular at r = 0), ``complex`` (true
for complex-valued kernels), ``dimensions`` (a list of the dimensions the kernel is meant for).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import sympy

from codegen.parser import RESERVED_NAMES, parse_expression, validate_identifier
from codegen.transform import MAX_DIMENSION, validate_dimension

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

R = sympy.Symbol("r", positive=True)
"""The distance variable of every kernel expression."""

MAX_SPEC_FILE_BYTES = 64 * 1024
"""Largest spec file read; a kernel spec is a few lines, so anything bigger is a mistake."""

SPEC_KEYS = {"name", "expression", "description", "parameters", "value_at_zero", "complex", "dimensions"}


class SpecError(ValueError):
    """An invalid kernel spec: unknown kernel, bad name, bad parameter, bad expression."""


@dataclass(frozen=True)
class KernelSpec:
    """An isotropic kernel: a name, an expression in ``r`` and named positive shape parameters.

    Parameters
    ----------
    name : str
        Identifier of the kernel, used in module names (lowercase letters, digits, underscores).
    expression : str
        The kernel K(r) in the restricted expression grammar of :mod:`codegen.parser`.
    parameters : tuple of (str, float)
        Shape parameters and their defaults, in the order the generated code takes them.
    value_at_zero : float or None
        K(0) used on the diagonal for kernels singular at r = 0 (Laplace, Helmholtz).
    is_complex : bool
        True for complex-valued kernels.
    description : str
        One line for ``codegen list``.
    dimensions : tuple of int
        Dimensions the kernel is defined for.
    expressions_by_dim : tuple of (int, str)
        Per-dimension expressions that replace ``expression`` (the Laplace Green's function).
    """

    name: str
    expression: str
    parameters: tuple[tuple[str, float], ...] = ()
    value_at_zero: float | None = None
    is_complex: bool = False
    description: str = ""
    dimensions: tuple[int, ...] = tuple(range(1, MAX_DIMENSION + 1))
    expressions_by_dim: tuple[tuple[int, str], ...] = field(default=())

    def __post_init__(self):
        validate_identifier(self.name, "kernel name")
        if self.name != self.name.lower():
            raise SpecError(f"invalid kernel name {self.name!r}: use lowercase letters")
        names = [name for name, _ in self.parameters]
        for name, default in self.parameters:
            validate_identifier(name, "parameter name")
            if name in RESERVED_NAMES:
                raise SpecError(f"invalid parameter name {name!r}: it is reserved for {_reserved_use(name)}")
            if not isinstance(default, (int, float)) or isinstance(default, bool):
                raise SpecError(f"default of parameter {name!r} must be a number, got {default!r}")
            if not math.isfinite(default) or default <= 0:
                raise SpecError(f"default of parameter {name!r} must be a positive finite number, got {default!r}")
        if len(set(names)) != len(names):
            raise SpecError(f"duplicate parameter names in {names}")
        if self.value_at_zero is not None and not math.isfinite(self.value_at_zero):
            raise SpecError(f"value_at_zero must be finite, got {self.value_at_zero!r}")
        for dim in self.dimensions:
            validate_dimension(dim)
        # Parse every expression now so an invalid spec fails where it is created.
        for dim in self.dimensions:
            expression = self.expression_for(dim)
            if not self.is_complex and expression.has(sympy.I):
                # A real module stores values in float64 arrays, which Numba cannot type as complex.
                raise SpecError(
                    f"kernel {self.name!r} uses the imaginary unit I in dim={dim}; "
                    "set complex = true in the spec (or remove I from the expression)"
                )

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parameters)

    @property
    def defaults(self) -> dict[str, float]:
        return {name: float(value) for name, value in self.parameters}

    @cached_property
    def parameter_symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(sympy.Symbol(name, positive=True) for name in self.parameter_names)

    def expression_text(self, dim: int) -> str:
        """Return the expression string used in dimension ``dim``."""
        return dict(self.expressions_by_dim).get(dim, self.expression)

    def expression_for(self, dim: int) -> sympy.Expr:
        """Parse and return K(r) for dimension ``dim`` as a sympy expression in :data:`R`."""
        dim = validate_dimension(dim)
        if dim not in self.dimensions:
            raise SpecError(
                f"kernel {self.name!r} is defined for dimensions {list(self.dimensions)}, not dim={dim}"
            )
        symbols = {"r": R, **dict(zip(self.parameter_names, self.parameter_symbols))}
        return parse_expression(self.expression_text(dim), symbols)

    def diagonal_value(self, dim: int) -> complex | float:
        """Return K(0) at the default parameters, or ``value_at_zero`` where K is singular.

        Raises
        ------
        SpecError
            If K is singular at r = 0 and the spec gives no ``value_at_zero``.
        """
        if self.value_at_zero is not None:
            return self.value_at_zero
        expression = self.expression_for(dim).subs(dict(zip(self.parameter_symbols, self.defaults.values())))
        value = sympy.limit(expression, R, 0, "+")
        if not value.is_finite:
            raise SpecError(
                f"kernel {self.name!r} is singular at r = 0 in dim={dim}; set value_at_zero in the spec "
                "(the value used on the diagonal of the kernel matrix)"
            )
        return complex(value) if self.is_complex else float(value)

    @cached_property
    def spec_hash(self) -> str:
        """Return a 16-hex-digit hash of everything that determines the generated code."""
        canonical = json.dumps(
            {
                "name": self.name,
                "expression": self.expression,
                "expressions_by_dim": [list(item) for item in self.expressions_by_dim],
                "parameters": [[name, float(value)] for name, value in self.parameters],
                "value_at_zero": self.value_at_zero,
                "complex": self.is_complex,
                "dimensions": list(self.dimensions),
            },
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _reserved_use(name: str) -> str:
    if name == "r":
        return "the distance"
    return "a constant" if name in ("pi", "I") else "a function"


def _builtin(name, expression, description, **kwargs) -> KernelSpec:
    return KernelSpec(name=name, expression=expression, description=description, **kwargs)


BUILTIN_KERNELS: dict[str, KernelSpec] = {
    spec.name: spec
    for spec in [
        _builtin("gaussian", "exp(-r^2/2)", "Gaussian (squared exponential) exp(-r^2/2)"),
        _builtin("exponential", "exp(-r)", "Exponential (Matérn nu=1/2) exp(-r)"),
        _builtin("matern32", "(1 + sqrt(3)*r)*exp(-sqrt(3)*r)", "Matérn nu=3/2 (1 + sqrt(3) r) exp(-sqrt(3) r)"),
        _builtin(
            "matern52",
            "(1 + sqrt(5)*r + 5*r^2/3)*exp(-sqrt(5)*r)",
            "Matérn nu=5/2 (1 + sqrt(5) r + 5 r^2/3) exp(-sqrt(5) r)",
        ),
        _builtin(
            "matern",
            "2^(1 - nu)/gamma(nu) * (sqrt(2*nu)*r)^nu * besselk(nu, sqrt(2*nu)*r)",
            "Matérn with any nu > 0, through the modified Bessel function K_nu",
            parameters=(("nu", 1.0),),
            value_at_zero=1.0,
        ),
        _builtin(
            "rational_quadratic",
            "(1 + r^2/(2*alpha))^(-alpha)",
            "Rational quadratic (1 + r^2/(2 alpha))^(-alpha)",
            parameters=(("alpha", 1.0),),
        ),
        _builtin("cauchy", "1/(1 + r^2)", "Cauchy 1/(1 + r^2)"),
        _builtin(
            "inverse_multiquadric",
            "1/sqrt(r^2 + c^2)",
            "Inverse multiquadric 1/sqrt(r^2 + c^2)",
            parameters=(("c", 1.0),),
        ),
        _builtin(
            "laplace",
            "1/(4*pi*r)",
            "Green's function of -Laplacian: -r/2 (1-D), -log(r)/(2 pi) (2-D), 1/(4 pi r) (3-D), "
            "Gamma(d/2-1)/(4 pi^(d/2)) r^(2-d) above",
            value_at_zero=0.0,
            expressions_by_dim=(
                (1, "-r/2"),
                (2, "-log(r)/(2*pi)"),
                (3, "1/(4*pi*r)"),
                (4, "1/(4*pi^2*r^2)"),
                (5, "gamma(3/2)/(4*pi^(5/2)*r^3)"),
                (6, "1/(4*pi^3*r^4)"),
            ),
        ),
        _builtin(
            "helmholtz",
            "exp(I*k*r)/(4*pi*r)",
            "Green's function of the 3-D Helmholtz equation exp(i k r)/(4 pi r)",
            parameters=(("k", 1.0),),
            value_at_zero=0.0,
            is_complex=True,
            dimensions=(3,),
        ),
    ]
}


def load_spec_file(path: str | Path) -> KernelSpec:
    """Read a user kernel spec from a TOML file (parsed, never evaluated).

    Raises
    ------
    SpecError
        If the file is missing, too large, not valid TOML, or its content is not a valid spec.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"kernel spec file not found: {path}")
    if path.stat().st_size > MAX_SPEC_FILE_BYTES:
        raise SpecError(f"kernel spec file {path} is larger than {MAX_SPEC_FILE_BYTES} bytes")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"kernel spec file {path} is not valid TOML: {error}") from None
    return spec_from_mapping(data, source=str(path))


def spec_from_mapping(data: dict, source: str = "spec") -> KernelSpec:
    """Build a :class:`KernelSpec` from the keys of a spec file; see the module docstring."""
    unknown = set(data) - SPEC_KEYS
    if unknown:
        raise SpecError(f"{source}: unknown keys {sorted(unknown)}; allowed keys are {sorted(SPEC_KEYS)}")
    for key in ("name", "expression"):
        if key not in data:
            raise SpecError(f"{source}: missing required key {key!r}")
        if not isinstance(data[key], str):
            raise SpecError(f"{source}: {key!r} must be a string, got {type(data[key]).__name__}")
    if data["name"] in BUILTIN_KERNELS:
        raise SpecError(f"{source}: kernel name {data['name']!r} is a built-in kernel; choose another name")
    parameters = data.get("parameters", {})
    if not isinstance(parameters, dict):
        raise SpecError(f"{source}: [parameters] must be a table of name = default")
    is_complex = data.get("complex", False)
    if not isinstance(is_complex, bool):
        raise SpecError(f"{source}: 'complex' must be true or false, got {is_complex!r}")
    value_at_zero = data.get("value_at_zero")
    if value_at_zero is not None and (isinstance(value_at_zero, bool) or not isinstance(value_at_zero, (int, float))):
        raise SpecError(f"{source}: 'value_at_zero' must be a number, got {value_at_zero!r}")
    dimensions = data.get("dimensions", list(range(1, MAX_DIMENSION + 1)))
    if not isinstance(dimensions, list) or not dimensions or not all(isinstance(d, int) for d in dimensions):
        raise SpecError(f"{source}: 'dimensions' must be a non-empty list of integers, got {dimensions!r}")
    try:
        return KernelSpec(
            name=data["name"],
            expression=data["expression"],
            parameters=tuple(parameters.items()),
            value_at_zero=None if value_at_zero is None else float(value_at_zero),
            is_complex=is_complex,
            description=str(data.get("description", "")),
            dimensions=tuple(sorted(set(dimensions))),
        )
    except ValueError as error:
        # SpecError is a ValueError too: every message from the spec constructor names the file.
        raise SpecError(f"{source}: {error}") from None


def get_spec(kernel: str | Path | KernelSpec) -> KernelSpec:
    """Resolve a built-in name, a path to a ``.toml`` spec file, or a spec, to a :class:`KernelSpec`.

    Raises
    ------
    SpecError
        For an unknown name; the message lists the built-in kernels.
    """
    if isinstance(kernel, KernelSpec):
        return kernel
    if isinstance(kernel, Path) or (isinstance(kernel, str) and kernel.endswith(".toml")):
        return load_spec_file(kernel)
    if isinstance(kernel, str):
        if kernel in BUILTIN_KERNELS:
            return BUILTIN_KERNELS[kernel]
        known = ", ".join(sorted(BUILTIN_KERNELS))
        raise SpecError(f"unknown kernel {kernel!r}; built-in kernels are: {known}, or pass a path to a .toml spec")
    raise TypeError(f"kernel must be a name, a path to a .toml spec or a KernelSpec, got {type(kernel).__name__}")
