"""Derived kernel specs: derivatives of a kernel with respect to its hyperparameters.

For K(x, y) = variance * k(|x - y| / lengthscale; theta), the derivatives needed by gradient-based
hyperparameter fitting are again isotropic kernels of u = |x - y| / lengthscale:

    dK/d lengthscale = (variance / lengthscale) * g(u),   g(u) = -u k'(u)
    dK/d theta_i     = variance * dk/dtheta_i (u)

This module builds the specs of g and of dk/dtheta_i symbolically, so they get their own
generated modules and FKT operators.
"""

from __future__ import annotations

import sympy

from codegen.specs import R, KernelSpec, SpecError, get_spec

LENGTHSCALE = "lengthscale"


def derivative_spec(kernel, parameter: str, dim: int) -> KernelSpec:
    """Return the spec of the kernel's derivative with respect to ``parameter`` in dimension ``dim``.

    Parameters
    ----------
    kernel : str, path or KernelSpec
    parameter : str
        ``"lengthscale"`` (giving g(u) = -u k'(u)) or the name of a shape parameter.
    dim : int
        The derivative is taken of the expression used in this dimension.

    Raises
    ------
    SpecError
        For an unknown parameter, or a derivative outside the expression grammar (for example
        the derivative of a Bessel function with respect to its order).
    """
    spec = get_spec(kernel)
    expression = spec.expression_for(dim)
    if parameter == LENGTHSCALE:
        derived = sympy.simplify(-R * sympy.diff(expression, R))
        label = "d_lengthscale"
    elif parameter in spec.parameter_names:
        symbol = spec.parameter_symbols[spec.parameter_names.index(parameter)]
        # expand_log rewrites log(u^v) from simplify as v log(u) because u^v overflows for moderate r.
        derived = sympy.expand_log(sympy.simplify(sympy.diff(expression, symbol)), force=True)
        label = f"d_{parameter}"
    else:
        choices = ", ".join([LENGTHSCALE, *spec.parameter_names])
        raise SpecError(f"kernel {spec.name!r} has no hyperparameter {parameter!r}; choose from {choices}")
    if derived.has(sympy.Derivative, sympy.Subs):
        raise SpecError(
            f"the derivative of {spec.name!r} with respect to {parameter!r} has no closed form in the "
            f"kernel grammar ({derived}); estimate it by finite differences instead"
        )
    text = sympy.sstr(derived, order="none")
    value_at_zero = None
    if spec.value_at_zero is not None:
        limit = sympy.limit(derived.subs(dict(zip(spec.parameter_symbols, spec.defaults.values()))), R, 0, "+")
        value_at_zero = float(limit) if limit.is_finite and limit.is_real else 0.0
    return KernelSpec(
        name=f"{spec.name}__{label}",
        expression=text.replace("**", "^"),
        parameters=spec.parameters,
        value_at_zero=value_at_zero,
        is_complex=spec.is_complex,
        description=f"derivative of {spec.name} with respect to {parameter}",
        dimensions=(dim,),
    )
