r"""Periodic rational functions in pole–residue form (the time side).

A trigonometric rational function of period :math:`L` with simple poles
:math:`x_j` (none on the real axis) is

.. math::

    f(x) = C + \sum_j \rho_j \frac{\pi}{L}\cot\Big(\frac{\pi (x - x_j)}{L}\Big)
           + \sum_{|k| \le P} d_k e^{2\pi i k (x - a)/L},

where :math:`\rho_j` is the residue at :math:`x_j` (the cotangent term has
residue 1) and the optional trigonometric polynomial :math:`d_k` carries the
exact result of band filters. As :math:`\operatorname{Im} x \to \pm\infty`,
:math:`\cot \to \mp i`, so :math:`C = (f(+i\infty) + f(-i\infty))/2` when
:math:`d = 0`.

Fourier coefficients (with :math:`s_j = \operatorname{sign}\operatorname{Im} x_j`):
a pole below the axis contributes :math:`-2\pi i\rho_j/L\cdot\zeta_j^k` to
:math:`c_k`, :math:`k \ge 1`, with :math:`\zeta_j = e^{-2\pi i (x_j - a)/L}`;
a pole above contributes :math:`2\pi i\rho_j/L\cdot\eta_j^{k}` to :math:`c_{-k}`
with :math:`\eta_j = e^{2\pi i (x_j - a)/L}`; and
:math:`c_0 = C + (i\pi/L)\sum_j s_j \rho_j + d_0` is the mean.
"""

import logging
import math

import numpy as np

from .barycentric import operator_index

__all__ = ["TrigRational"]

logger = logging.getLogger(__name__)

# Poles with |Im x| below this fraction of the period count as real: a real
# pole makes f infinite on the sample axis and has no Fourier series.
REAL_POLE_RTOL = 1e-13


class TrigRational:
    r"""Periodic function :math:`C + \sum_j \rho_j (\pi/L)\cot(\pi(x - x_j)/L)` (+ polynomial).

    Parameters
    ----------
    constant : complex
        :math:`C`.
    poles : array_like, shape (n,)
        Poles :math:`x_j`, none on the real axis.
    residues : array_like, shape (n,)
        Residues :math:`\rho_j`.
    period : float, optional
        :math:`L > 0`; default 1.
    start : float, optional
        Left end :math:`a` of the base period; default 0.
    polynomial : array_like, shape (2P + 1,), optional
        Coefficients :math:`d_{-P}, \dots, d_P`; default none.
    real : bool, optional
        Return real values on real input (for real signals); default False.

    Raises
    ------
    ValueError
        If the lengths of `poles` and `residues` differ, `period` is not
        positive, `polynomial` has even length, or a pole is real.
    """

    def __init__(self, constant, poles, residues, period=1.0, start=0.0, polynomial=None,
                 real=False):
        poles = np.atleast_1d(np.asarray(poles, dtype=complex))
        residues = np.atleast_1d(np.asarray(residues, dtype=complex))
        if poles.shape != residues.shape or poles.ndim != 1:
            raise ValueError(
                f"poles and residues must be 1-D of equal length, got shapes {poles.shape} "
                f"and {residues.shape}."
            )
        period = float(period)
        if not period > 0:
            raise ValueError(f"period must be positive, got {period!r}.")
        if np.any(np.abs(poles.imag) <= REAL_POLE_RTOL * period):
            raise ValueError(
                "poles must lie off the real axis (a real pole makes f infinite on it); "
                f"got {poles[np.abs(poles.imag) <= REAL_POLE_RTOL * period][:3].tolist()}; "
                "drop them with drop_poles or refit."
            )
        if polynomial is not None:
            polynomial = np.asarray(polynomial, dtype=complex)
            if polynomial.ndim != 1 or polynomial.size % 2 == 0:
                raise ValueError(
                    f"polynomial must be 1-D of odd length 2P+1, got shape {polynomial.shape}."
                )
        self.constant = complex(constant)
        self.poles = poles
        self.residues = residues
        self.period = period
        self.start = float(start)
        self.polynomial = polynomial
        self.real = bool(real)

    def _finish(self, values, x):
        if self.real and np.isrealobj(x):
            return values.real
        return values

    def _polynomial_values(self, x, order=0):
        if self.polynomial is None:
            return 0.0
        degree = self.polynomial.size // 2
        k = np.arange(-degree, degree + 1)
        omega = 2j * np.pi * k / self.period
        phase = np.exp(np.multiply.outer(x - self.start, omega))
        return phase @ (self.polynomial * omega**order)

    def __call__(self, x):
        """Evaluate :math:`f(x)` (any shape, real or complex `x`)."""
        x = np.asarray(x)
        flat = x.ravel()
        w = np.pi * np.subtract.outer(flat, self.poles) / self.period
        with np.errstate(divide="ignore", invalid="ignore"):
            values = self.constant + (np.pi / self.period) * (
                (np.cos(w) / np.sin(w)) @ self.residues
            )
        values = values + self._polynomial_values(flat)
        return self._finish(values, x).reshape(x.shape)

    def derivative(self, x, order=1):
        r"""Evaluate :math:`f^{(k)}(x)` exactly.

        Parameters
        ----------
        x : array_like
            Points, any shape.
        order : int, optional
            :math:`k \ge 1`; default 1.

        Notes
        -----
        With :math:`z = e^{2\pi i x/L}` each term is
        :math:`(i\pi/L)(1 + 2 z_j/(z - z_j))`, and
        :math:`d^k/dx^k = (2\pi i/L)^k \sum_{m=1}^k S(k, m) z^m d^m/dz^m`
        with Stirling numbers of the second kind :math:`S(k, m)`.
        """
        order = operator_index(order, "order")
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}; call the object for values.")
        x = np.asarray(x)
        flat = x.ravel().astype(complex)
        z = np.exp(2j * np.pi * flat / self.period)
        nodes = np.exp(2j * np.pi * self.poles / self.period)
        coefficient = (1j * np.pi / self.period) * 2.0 * nodes * self.residues
        total = np.zeros(flat.size, dtype=complex)
        stirling = _stirling_row(order)
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse = 1.0 / np.subtract.outer(z, nodes)
            for m in range(1, order + 1):
                # d^m/dz^m 1/(z - z_j) = (-1)^m m! / (z - z_j)^(m+1)
                taylor = ((-1) ** m) * (inverse ** (m + 1)) @ coefficient
                total += stirling[m] * math.factorial(m) * z**m * taylor
        values = (2j * np.pi / self.period) ** order * total
        values = values + self._polynomial_values(flat, order)
        return self._finish(values, x).reshape(x.shape)

    @property
    def mean(self):
        r"""Mean over one period, :math:`C + (i\pi/L)\sum_j s_j\rho_j + d_0`."""
        signs = np.sign(self.poles.imag)
        value = self.constant + 1j * np.pi / self.period * np.sum(signs * self.residues)
        if self.polynomial is not None:
            value += self.polynomial[self.polynomial.size // 2]
        return value.real if self.real else value

    def integral(self, lower=None, upper=None):
        """Return :math:`\\int_{lower}^{upper} f(x)\\,dx` (default: over one period)."""
        if lower is None and upper is None:
            return self.period * self.mean
        lower = self.start if lower is None else lower
        upper = self.start + self.period if upper is None else upper
        antiderivative = self.antiderivative()
        return antiderivative(upper) - antiderivative(lower)

    def antiderivative(self):
        r"""Return :math:`F(x) = \int_a^x f`, as a callable.

        Notes
        -----
        :math:`F(x) = \bar f\,(x - a) + \sum_j \rho_j\,(g_j(x) - g_j(a))` with
        :math:`g_j(x) = \log(1 - e^{-2\pi i s_j (x - x_j)/L})`, which is
        analytic and periodic on the real axis because the exponential has
        modulus below one there. :math:`F` is periodic exactly when the mean
        :math:`\bar f` vanishes; `Antiderivative.is_periodic` reports it.
        """
        return Antiderivative(self)

    def fourier_coefficients(self, k):
        """Return the Fourier coefficients :math:`c_k` (integer array `k`)."""
        k = np.asarray(k)
        flat = k.ravel()
        out = np.zeros(flat.size, dtype=complex)
        below = self.poles.imag < 0
        zeta = np.exp(-2j * np.pi * (self.poles[below] - self.start) / self.period)
        eta = np.exp(2j * np.pi * (self.poles[~below] - self.start) / self.period)
        a = -2j * np.pi / self.period * self.residues[below]
        b = 2j * np.pi / self.period * self.residues[~below]
        positive = flat > 0
        negative = flat < 0
        out[positive] = (zeta[None, :] ** flat[positive][:, None]) @ a
        out[negative] = (eta[None, :] ** (-flat[negative])[:, None]) @ b
        mean = self.constant + 1j * np.pi / self.period * np.sum(np.sign(self.poles.imag) * self.residues)
        out[flat == 0] = mean
        if self.polynomial is not None:
            degree = self.polynomial.size // 2
            inside = np.abs(flat) <= degree
            out[inside] += self.polynomial[flat[inside] + degree]
        return out.reshape(k.shape)

    def to_expsum(self):
        """Convert to the Fourier side (`runtime.rational.ExpSum`), exactly."""
        from .prony import ExpSum

        below = self.poles.imag < 0
        signs = np.sign(self.poles.imag)
        mean = self.constant + 1j * np.pi / self.period * np.sum(signs * self.residues)
        return ExpSum(
            mean,
            np.exp(-2j * np.pi * (self.poles[below] - self.start) / self.period),
            -2j * np.pi / self.period * self.residues[below],
            np.exp(2j * np.pi * (self.poles[~below] - self.start) / self.period),
            2j * np.pi / self.period * self.residues[~below],
            period=self.period, start=self.start, polynomial=self.polynomial, real=self.real,
        )

    def drop_poles(self, mask):
        """Return a copy without the poles where `mask` is True (a filter)."""
        mask = np.asarray(mask, dtype=bool)
        return TrigRational(
            self.constant, self.poles[~mask], self.residues[~mask], self.period, self.start,
            self.polynomial, self.real,
        )

    def limits(self):
        """Return :math:`(f(+i\\infty), f(-i\\infty))` (polynomial part excluded)."""
        total = np.sum(self.residues) * np.pi / self.period
        return self.constant - 1j * total, self.constant + 1j * total

    def multiply(self, other):
        r"""Return the pointwise product :math:`f g`, exactly.

        The product of two trigonometric rationals with simple, distinct poles
        has the poles of both; the residue at a pole :math:`x_j` of :math:`f` is
        :math:`\rho_j g(x_j)`, and the constant is the mean of the limits
        :math:`(fg)(\pm i\infty)`.

        Raises
        ------
        ValueError
            If the periods or starts differ, a factor has a polynomial part, or
            the two share a pole.
        """
        _check_compatible(self, other)
        if self.polynomial is not None or other.polynomial is not None:
            raise ValueError(
                "multiply needs pure pole-residue forms; a band-filtered factor has a "
                "polynomial part, multiply before filtering instead."
            )
        if self.poles.size and other.poles.size:
            gap = np.min(np.abs(np.subtract.outer(self.poles, other.poles)))
            if gap <= 1e-12 * self.period:
                raise ValueError("multiply: the factors share a pole; the product has a double pole.")
        residues = np.concatenate([
            self.residues * _evaluate_complex(other, self.poles),
            other.residues * _evaluate_complex(self, other.poles),
        ])
        upper_f, lower_f = self.limits()
        upper_g, lower_g = other.limits()
        constant = 0.5 * (upper_f * upper_g + lower_f * lower_g)
        return TrigRational(
            constant, np.concatenate([self.poles, other.poles]), residues, self.period,
            self.start, None, self.real and other.real,
        )


class Antiderivative:
    """Callable :math:`F(x) = \\int_a^x f` of a `TrigRational` (see `TrigRational.antiderivative`)."""

    def __init__(self, function):
        self.function = function
        self.mean = function.mean
        # The mean is a difference of O(|residue|) terms; compare with their size.
        scale = max(abs(function.constant), float(np.sum(np.abs(function.residues))) / function.period, 1e-300)
        self.is_periodic = abs(self.mean) <= PERIODIC_RTOL * scale

    def _g(self, x):
        f = self.function
        sign = np.sign(f.poles.imag)
        phase = np.exp(-2j * np.pi * sign * np.subtract.outer(x, f.poles) / f.period)
        return np.log1p(-phase)

    def __call__(self, x):
        f = self.function
        x = np.asarray(x)
        flat = x.ravel().astype(complex)
        values = self.mean * (flat - f.start)
        values = values + (self._g(flat) - self._g(np.array([f.start], dtype=complex))) @ f.residues
        if f.polynomial is not None:
            degree = f.polynomial.size // 2
            k = np.arange(-degree, degree + 1)
            nonzero = k != 0
            omega = 2j * np.pi * k[nonzero] / f.period
            phase = np.exp(np.multiply.outer(flat - f.start, omega)) - 1.0
            values = values + phase @ (f.polynomial[nonzero] / omega)
        if f.real and np.isrealobj(x):
            values = values.real
        return values.reshape(x.shape)


# A mean below this fraction of the size of the terms counts as zero when
# deciding whether the antiderivative is periodic.
PERIODIC_RTOL = 1e-10


def _evaluate_complex(function, x):
    saved = function.real
    function.real = False
    try:
        return function(x)
    finally:
        function.real = saved


def _check_compatible(first, second):
    if first.period != second.period or first.start != second.start:
        raise ValueError(
            "both functions must share period and start, got "
            f"({first.period}, {first.start}) and ({second.period}, {second.start})."
        )


def _stirling_row(order):
    """Return S(order, m) for m = 0..order (Stirling numbers of the second kind)."""
    row = [1]
    for n in range(1, order + 1):
        new = [0] * (n + 1)
        for m in range(1, n + 1):
            new[m] = m * (row[m] if m < len(row) else 0) + row[m - 1]
        row = new
    return row
