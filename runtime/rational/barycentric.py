r"""Barycentric rational functions: evaluation, derivatives, poles, residues, roots.

The functions here work on the *generalised* barycentric form

.. math::

    r(z) = \frac{a + \sum_{j=1}^m \beta_j f_j / (z - z_j)}
                {b + \sum_{j=1}^m \beta_j / (z - z_j)},

which is the classical form used by AAA when :math:`a = b = 0`, and which also
covers the cotangent form of trigonometric barycentric interpolants after the
change of variable :math:`z = e^{2\pi i x}` (see `runtime.rational.trig_barycentric`).
At a support point :math:`z_k` with :math:`\beta_k \ne 0` the form interpolates,
:math:`r(z_k) = f_k`.
"""

import logging
import math
import operator

import numpy as np
import scipy.linalg

__all__ = [
    "BarycentricRational",
    "evaluate_barycentric",
    "barycentric_taylor",
    "pencil_eigenvalues",
    "barycentric_poles",
    "barycentric_roots",
    "barycentric_residues",
]

logger = logging.getLogger(__name__)


def evaluate_barycentric(z, nodes, values, weights, num_const=0.0, den_const=0.0):
    """Evaluate a generalised barycentric form at the points `z`.

    Parameters
    ----------
    z : ndarray
        Evaluation points, any shape.
    nodes, values, weights : ndarray, shape (m,)
        Support points :math:`z_j`, values :math:`f_j` and weights :math:`\\beta_j`.
    num_const, den_const : scalar, optional
        The constants :math:`a` and :math:`b` of the generalised form; default 0.

    Returns
    -------
    ndarray
        :math:`r(z)`, same shape as `z`. Exact (equal to :math:`f_k`) at a
        support point with nonzero weight, NaN where :math:`r` is 0/0 or at NaN
        input. At infinite `z` the value is :math:`\\lim r = a/b` when
        :math:`b \\ne 0`, else :math:`\\sum \\beta f / \\sum \\beta`.
    """
    z = np.asarray(z)
    flat = z.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        cauchy = 1.0 / np.subtract.outer(flat, nodes)
        numerator = num_const + cauchy @ (weights * values)
        denominator = den_const + cauchy @ weights
        result = numerator / denominator

    # Support points: 1/0 makes inf/inf; replace by the interpolated value.
    hit_row, hit_col = np.nonzero(np.equal.outer(flat, nodes) & (weights != 0))
    if hit_row.size:
        result = result.astype(np.result_type(result, values), copy=False)
        result[hit_row] = values[hit_col]

    infinite = np.isinf(flat)
    if np.any(infinite):
        result = result.astype(np.result_type(result, complex), copy=False)
        result[infinite] = value_at_infinity(values, weights, num_const, den_const)
    return result.reshape(z.shape)


def value_at_infinity(values, weights, num_const=0.0, den_const=0.0):
    """Return :math:`\\lim_{z\\to\\infty} r(z)` of a generalised barycentric form.

    The limit is :math:`a/b` when :math:`b \\ne 0`, otherwise
    :math:`\\sum_j \\beta_j f_j / \\sum_j \\beta_j` (infinite when the
    denominator sum vanishes and the numerator sum does not).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if den_const != 0:
            return num_const / den_const
        return np.sum(weights * values) / np.sum(weights)


def barycentric_taylor(z, nodes, values, weights, order, num_const=0.0, den_const=0.0):
    r"""Return the scaled derivatives :math:`r^{(k)}(z)/k!` for :math:`k = 0..`\ `order`.

    Parameters
    ----------
    z : ndarray, shape (n,)
        Evaluation points (finite).
    nodes, values, weights : ndarray, shape (m,)
        Support points, values and weights of the generalised form.
    order : int
        Highest derivative order, at least 0.
    num_const, den_const : scalar, optional
        Constants :math:`a` and :math:`b` of the generalised form.

    Returns
    -------
    ndarray, shape (order + 1, n)
        Row :math:`k` contains :math:`r^{(k)}(z)/k!`.

    Notes
    -----
    The form satisfies :math:`(b\,r(z) - a) + \sum_j \beta_j h_j(z) = 0` with the
    divided differences :math:`h_j(z) = (r(z) - f_j)/(z - z_j)`. Differentiating
    :math:`k` times and writing :math:`R_k = r^{(k)}/k!`,
    :math:`H_{k,j} = h_j^{(k)}/k!` (with :math:`H_{-1,j} = f_j`) gives the
    recursion of Schneider and Werner,

    .. math::

        H_{k,j} = \frac{R_k - H_{k-1,j}}{z - z_j},\qquad
        R_k = \frac{\sum_j \beta_j H_{k-1,j}/(z - z_j)}{b + \sum_j \beta_j/(z - z_j)}
        \quad (k \ge 1).

    At a support point :math:`z = z_i` the term :math:`j = i` is replaced by
    :math:`H_{k,i}(z_i) = R_{k+1}`, which gives
    :math:`R_{k+1} = -\big(b R_k + \sum_{j\ne i}\beta_j H_{k,j}\big)/\beta_i`
    (for :math:`k = 0` the term :math:`b R_0` reads :math:`b f_i - a`). Points
    closer than ``1e-5 * max(|z_j|, 1)`` to a support point use the Taylor
    series about it, :math:`R_k(z_i + h) = \sum_n \binom{n}{k} R_n(z_i) h^{n-k}`,
    truncated six terms beyond `order`.

    References
    ----------
    .. [1] C. Schneider and W. Werner, "Some new aspects of rational
           interpolation", Math. Comp. 47 (1986), 285-299.
           :doi:`10.1090/S0025-5718-1986-0842136-8`
    """
    z = np.asarray(z).ravel()
    dtype = np.result_type(z, nodes, values, weights, num_const, den_const, 1.0)
    out = np.empty((order + 1, z.size), dtype=dtype)
    active = weights != 0
    if not np.any(active) or z.size == 0:
        out[...] = np.nan
        return out

    # Points within NEAR_NODE_RTOL * scale of a support point are evaluated by a
    # Taylor expansion about that point: the divided differences of the
    # forward recursion cancel catastrophically there.
    scale = max(float(np.max(np.abs(nodes[active]))), 1.0)
    offset = np.subtract.outer(z, nodes)
    offset[:, ~active] = np.inf
    nearest = np.argmin(np.abs(offset), axis=1)
    gap = offset[np.arange(z.size), nearest]
    near = np.abs(gap) <= NEAR_NODE_RTOL * scale
    free = ~near

    if np.any(free):
        out[:, free] = _taylor_forward(z[free], nodes, values, weights, order, num_const, den_const)

    for node in np.unique(nearest[near]):
        points = np.nonzero(near & (nearest == node))[0]
        coefficients = _taylor_at_node(int(node), nodes, values, weights, order + NEAR_NODE_TERMS,
                                       num_const, den_const)
        h = gap[points]
        for k in range(order + 1):
            # R_k(z_i + h) = sum_n binom(n, k) R_n(z_i) h^(n - k)
            total = np.zeros(points.size, dtype=dtype)
            for n in range(k, coefficients.size):
                total += math.comb(n, k) * coefficients[n] * h ** (n - k)
            out[k, points] = total
    return out


# Distance (relative to max(|z_j|, 1)) below which derivatives are taken from a
# Taylor expansion about the support point. The forward recursion loses about
# eps / distance**k there; the expansion with NEAR_NODE_TERMS extra terms has a
# truncation error of order (distance / pole distance)**(k + NEAR_NODE_TERMS).
NEAR_NODE_RTOL = 1e-5
NEAR_NODE_TERMS = 6


def _taylor_forward(z, nodes, values, weights, order, num_const, den_const):
    dtype = np.result_type(z, nodes, values, weights, num_const, den_const, 1.0)
    out = np.empty((order + 1, z.size), dtype=dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.subtract.outer(z, nodes)
        denominator = den_const + inv @ weights
        out[0] = (num_const + inv @ (weights * values)) / denominator
        h_prev = np.broadcast_to(values, inv.shape)
        for k in range(1, order + 1):
            h_k = (out[k - 1][:, None] - h_prev) * inv
            out[k] = (h_k * inv) @ weights / denominator
            h_prev = h_k
    return out


def _taylor_at_node(i, nodes, values, weights, order, num_const, den_const):
    others = np.arange(nodes.size) != i
    inv = 1.0 / (nodes[i] - nodes[others])
    beta = weights[others]
    out = np.empty(order + 1, dtype=np.result_type(nodes, values, weights, num_const, den_const, 1.0))
    out[0] = values[i]
    h_prev = values[others]
    for k in range(order):
        h_k = (out[k] - h_prev) * inv
        lead = den_const * values[i] - num_const if k == 0 else den_const * out[k]
        out[k + 1] = -(lead + beta @ h_k) / weights[i]
        h_prev = h_k
    return out


def pencil_eigenvalues(nodes, weights, corner=0.0):
    r"""Return the finite zeros of :math:`c + \sum_j \omega_j/(z - z_j)`.

    Parameters
    ----------
    nodes, weights : ndarray, shape (m,)
        The points :math:`z_j` and coefficients :math:`\omega_j`.
    corner : scalar, optional
        The constant :math:`c`; default 0.

    Returns
    -------
    ndarray
        Finite generalised eigenvalues of the arrowhead pencil, in no order.

    Notes
    -----
    The zeros are the finite eigenvalues :math:`\lambda` of
    :math:`E v = \lambda B v` with

    .. math::

        E = \begin{pmatrix} c & \omega^T \\ \mathbf 1 & \operatorname{diag}(z_j)
        \end{pmatrix},\qquad
        B = \operatorname{diag}(0, 1, \dots, 1),

    because the second block row gives :math:`v_j = v_0/(\lambda - z_j)` and the
    first then reads :math:`v_0 (c + \sum_j \omega_j/(\lambda - z_j)) = 0`.
    The pencil has two infinite eigenvalues when :math:`c = 0`
    (one when :math:`c \ne 0`), which are discarded.
    """
    m = nodes.size
    dtype = np.result_type(nodes, weights, corner, 1.0)
    e = np.zeros((m + 1, m + 1), dtype=dtype)
    e[0, 0] = corner
    e[0, 1:] = weights
    e[1:, 0] = 1
    e[np.arange(1, m + 1), np.arange(1, m + 1)] = nodes
    b = np.eye(m + 1, dtype=dtype)
    b[0, 0] = 0
    # Scaling the first row does not move the zeros and balances the pencil
    # when the weights are tiny or huge.
    scale = np.max(np.abs(e[0])) if np.any(e[0]) else 1.0
    e[0] /= scale
    eig = scipy.linalg.eigvals(e, b, check_finite=False)
    return eig[np.isfinite(eig)]


def barycentric_poles(nodes, weights, den_const=0.0):
    """Return the poles (zeros of the denominator) of a generalised barycentric form."""
    return pencil_eigenvalues(nodes, weights, den_const)


def barycentric_roots(nodes, values, weights, num_const=0.0):
    """Return the roots (zeros of the numerator) of a generalised barycentric form."""
    return pencil_eigenvalues(nodes, weights * values, num_const)


def barycentric_residues(poles, nodes, values, weights, num_const=0.0):
    r"""Return the residues :math:`n(p)/d'(p)` of the form at simple `poles`.

    With :math:`n(z) = a + \sum_j \beta_j f_j/(z - z_j)` and
    :math:`d'(z) = -\sum_j \beta_j/(z - z_j)^2`. A pole that coincides with a
    support point gets a NaN residue.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.subtract.outer(poles, nodes)
        numerator = num_const + inv @ (weights * values)
        derivative = -(inv**2) @ weights
        return numerator / derivative


class BarycentricRational:
    r"""Rational function :math:`r(z) = \sum_j w_j f_j/(z - z_j) \,/\, \sum_j w_j/(z - z_j)`.

    Parameters
    ----------
    support_points, support_values, weights : array_like, shape (m,)
        Support points :math:`z_j` (distinct), values :math:`f_j` and weights
        :math:`w_j`.

    Attributes
    ----------
    support_points, support_values, weights : ndarray
        As given.

    Notes
    -----
    Poles, residues and roots are computed on first use and cached. The form
    has type at most :math:`(m-1, m-1)`; its value at infinity is
    :math:`\sum_j w_j f_j / \sum_j w_j`.
    """

    def __init__(self, support_points, support_values, weights):
        self.support_points = np.asarray(support_points)
        self.support_values = np.asarray(support_values)
        self.weights = np.asarray(weights)
        self._poles = None
        self._residues = None
        self._roots = None

    def _reset_cache(self):
        self._poles = None
        self._residues = None
        self._roots = None

    def __call__(self, z):
        """Evaluate :math:`r` at `z` (any shape; NaN where 0/0, exact at support points)."""
        return evaluate_barycentric(z, self.support_points, self.support_values, self.weights)

    def derivative(self, z, order=1):
        """Evaluate the derivative :math:`r^{(k)}(z)` of order `order`.

        Parameters
        ----------
        z : array_like
            Evaluation points (finite), any shape.
        order : int, optional
            Derivative order :math:`k \\ge 0`; default 1.

        Returns
        -------
        ndarray
            Same shape as `z`.

        Raises
        ------
        ValueError
            If `order` is negative.

        Notes
        -----
        Uses the Schneider–Werner recursion of `barycentric_taylor`, with its
        Taylor expansion at and next to support points.
        """
        order = operator_index(order, "order")
        if order < 0:
            raise ValueError(f"order must be >= 0, got {order}; pass 0 for values.")
        z = np.asarray(z)
        taylor = barycentric_taylor(
            z.ravel(), self.support_points, self.support_values, self.weights, order
        )
        return (math.factorial(order) * taylor[order]).reshape(z.shape)

    def poles(self):
        """Return the finite poles (with multiplicity, in no particular order)."""
        if self._poles is None:
            self._poles = barycentric_poles(self.support_points, self.weights)
        return self._poles

    def residues(self):
        """Return the residues at `poles` (valid for simple poles)."""
        if self._residues is None:
            self._residues = barycentric_residues(
                self.poles(), self.support_points, self.support_values, self.weights
            )
        return self._residues

    def roots(self):
        """Return the finite roots (zeros) of :math:`r`."""
        if self._roots is None:
            self._roots = barycentric_roots(
                self.support_points, self.support_values, self.weights
            )
        return self._roots

    @property
    def value_at_infinity(self):
        """Limit :math:`r(\\infty) = \\sum_j w_j f_j / \\sum_j w_j` (inf if :math:`\\sum w_j = 0`)."""
        return value_at_infinity(self.support_values, self.weights)

    def partial_fractions(self):
        r"""Return the partial-fraction form :math:`r(z) = c + \sum_j \rho_j/(z - p_j)`.

        Returns
        -------
        poles : ndarray, shape (n,)
            The poles :math:`p_j`.
        residues : ndarray, shape (n,)
            The residues :math:`\rho_j`.
        constant : scalar
            :math:`c = r(\infty)`.

        Raises
        ------
        ValueError
            If :math:`r` is unbounded at infinity (the weights sum to zero
            relative to their size, so the type is not proper), which has no
            such form.

        Notes
        -----
        The form is exact when every pole is simple and :math:`r` is bounded at
        infinity; that holds for a generic AAA fit of type :math:`(m-1, m-1)`,
        whose :math:`m-1` poles are then all finite. The Krylov code uses it to
        turn :math:`f(A)b` into shifted solves
        :math:`c\,b + \sum_j \rho_j (A - p_j I)^{-1} b`.
        """
        weight_sum = np.sum(self.weights)
        if abs(weight_sum) <= _PROPER_TOL * np.sum(np.abs(self.weights)):
            raise ValueError(
                "partial_fractions: the rational function is unbounded at infinity "
                f"(sum of weights {weight_sum!r} is negligible), so it has no form "
                "c + sum(res/(z - pole)); fit on a point set that excludes the pole "
                "at infinity or use the barycentric form directly."
            )
        return self.poles(), self.residues(), self.value_at_infinity


# A weight sum below this fraction of sum(|w|) means r has a pole at infinity to
# working precision: the constant term r(inf) would then carry a relative error
# of order eps / _PROPER_TOL or worse.
_PROPER_TOL = 1e-13


def operator_index(value, name):
    """Return ``operator.index(value)``, raising a `TypeError` that names `name`."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an integer, got {value!r} of type {type(value).__name__}; "
            f"pass an int such as {name}=1."
        ) from None
