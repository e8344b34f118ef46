"""Tests of TrigAAA and TrigRational: exact recovery, noise, gaps, derivative, integral."""

import numpy as np
import pytest
import scipy.integrate
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.rational import DataWarning, TrigAAA, TrigRational

POLE_TOL = 1e-10           # pole location of an exact trigonometric rational
FIT_RTOL = 1e-10           # off-sample error of a clean fit, relative to max|f|
DERIVATIVE_RTOL = 1e-9     # derivative against the exact one, relative to its max
INTEGRAL_TOL = 1e-10       # integrals against adaptive quadrature
NOISE_ERROR_FACTOR = 10.0  # error against the clean signal, in units of sigma
GAP_ERROR_FACTOR = 100.0   # clean fit with gaps or jitter vs the full-grid error floor


def exact_signal(period=1.0, start=0.0):
    """Real trigonometric rational with pole pairs 0.3 +- 0.05i and 0.7 +- 0.02i (period 1)."""
    poles = np.array([0.3 - 0.05j, 0.7 - 0.02j]) * period + start
    residues = np.array([0.01 + 0.02j, -0.005 + 0.003j]) * period
    return TrigRational(
        0.5, np.concatenate([poles, poles.conj()]), np.concatenate([residues, residues.conj()]),
        period=period, start=start, real=True,
    )


def grid(n, rng=None, jitter=0.0):
    x = np.arange(n) / n
    if rng is not None and jitter:
        x = x + jitter * rng.uniform(-1, 1, n) / n
    return x


def test_trig_aaa_recovers_poles():
    f = exact_signal()
    x = grid(800)
    r = TrigAAA(x, f(x))
    found = r.poles()
    assert found.size == f.poles.size
    for pole in f.poles:
        assert np.min(np.abs(found - pole)) < POLE_TOL


def test_trig_aaa_recovers_residues():
    f = exact_signal()
    x = grid(800)
    r = TrigAAA(x, f(x))
    for pole, residue in zip(f.poles, f.residues):
        index = np.argmin(np.abs(r.poles() - pole))
        assert abs(r.residues()[index] - residue) < 1e-8


def test_trig_aaa_odd_function_balanced():
    # sin/(a - cos) is odd, f(+i inf) != f(-i inf); the balanced csc form is exact.
    g = lambda x: np.sin(2 * np.pi * x) / (1.5 - np.cos(2 * np.pi * x))  # noqa: E731
    x = grid(400)
    r = TrigAAA(x, g(x))
    xt = np.linspace(0, 1, 999)
    assert r.weights.size == 3
    assert np.max(np.abs(r(xt) - g(xt))) < FIT_RTOL


def test_trig_aaa_roots():
    # Reference roots from scipy.optimize.brentq (scipy 1.17.1) on [0.4, 0.6] and [0.9, 1.0].
    g = lambda x: np.sin(2 * np.pi * x) / (1.5 - np.cos(2 * np.pi * x)) + 0.2  # noqa: E731
    x = grid(400)
    roots = np.sort_complex(TrigAAA(x, g(x)).roots())
    expected = np.array([0.5789387723324149, 0.9838941858565846])
    assert roots.size == 2
    assert np.max(np.abs(roots - expected)) < POLE_TOL


@pytest.mark.parametrize("form", ["balanced", "proper"])
def test_trig_aaa_forms_converge(form):
    g = lambda x: np.exp(np.sin(2 * np.pi * x)) / (1.1 + np.cos(2 * np.pi * x))  # noqa: E731
    x = grid(1000)
    r = TrigAAA(x, g(x), form=form)
    xt = np.linspace(0, 1, 1777)
    assert r.converged
    assert np.max(np.abs(r(xt) - g(xt))) < 1e-9 * np.max(np.abs(g(xt)))


def test_trig_aaa_period_and_start():
    f = exact_signal(period=2.5, start=-1.0)
    x = -1.0 + 2.5 * grid(900)
    r = TrigAAA(x, f(x), period=2.5, start=-1.0)
    xt = np.linspace(-3, 4, 1234)
    assert np.max(np.abs(r(xt) - f(xt))) < FIT_RTOL


def test_trig_to_trig_and_expsum_roundtrip():
    f = exact_signal()
    x = grid(600)
    r = TrigAAA(x, f(x))
    xt = np.linspace(0, 1, 555)
    assert np.max(np.abs(r.to_trig()(xt) - f(xt))) < FIT_RTOL
    assert np.max(np.abs(r.to_expsum()(xt) - f(xt))) < FIT_RTOL


def test_trig_derivative_exact():
    f = exact_signal()
    x = grid(800)
    r = TrigAAA(x, f(x))
    xt = np.linspace(0, 1, 1001)
    for order in (1, 2, 3):
        exact = f.derivative(xt, order)
        assert np.max(np.abs(r.derivative(xt, order) - exact)) < DERIVATIVE_RTOL * np.max(np.abs(exact)) * 10**order


def test_trig_rational_derivative_finite_differences():
    f = exact_signal()
    h = 1e-6
    xt = np.linspace(0.01, 0.99, 50)
    finite = (f(xt + h) - f(xt - h)) / (2 * h)
    assert np.max(np.abs(f.derivative(xt) - finite)) < 1e-4


def test_trig_integral_against_quadrature():
    f = exact_signal()
    x = grid(800)
    r = TrigAAA(x, f(x))
    period, _ = scipy.integrate.quad(f, 0, 1, limit=400)
    part, _ = scipy.integrate.quad(f, 0.1, 0.85, points=[0.3, 0.7], limit=400)
    assert abs(r.integral() - period) < INTEGRAL_TOL
    assert abs(r.integral(0.1, 0.85) - part) < INTEGRAL_TOL


def test_trig_antiderivative_periodic_when_mean_free():
    f = exact_signal()
    shifted = TrigRational(f.constant - f.mean, f.poles, f.residues, real=True)
    antiderivative = shifted.antiderivative()
    assert antiderivative.is_periodic
    assert abs(antiderivative(1.0) - antiderivative(0.0)) < INTEGRAL_TOL
    assert not f.antiderivative().is_periodic


def test_trig_rational_multiply_exact():
    f = exact_signal()
    g = TrigRational(-0.2, [0.5 - 0.1j, 0.5 + 0.1j], [0.03j, -0.03j], real=True)
    product = f.multiply(g)
    xt = np.linspace(0, 1, 777)
    assert np.max(np.abs(product(xt) - f(xt) * g(xt))) < FIT_RTOL


@pytest.mark.parametrize("sigma", [1e-2, 1e-4])
def test_trig_aaa_noise(sigma):
    rng = np.random.default_rng(3)
    f = exact_signal()
    x = grid(2000)
    r = TrigAAA(x, f(x) + sigma * rng.standard_normal(x.size))
    xt = np.linspace(0, 1, 3001)
    assert r.noise_level is not None
    assert np.max(np.abs(r(xt) - f(xt))) < NOISE_ERROR_FACTOR * sigma
    assert np.sum(np.abs(r.poles().imag) < 0.01) == 0


def test_trig_aaa_missing_and_jittered_samples():
    rng = np.random.default_rng(8)
    f = exact_signal()
    full = grid(1500)
    reference = TrigAAA(full, f(full))
    x = grid(1500, rng, jitter=0.4)
    y = f(x)
    y[rng.random(x.size) < 0.3] = np.nan
    with pytest.warns(DataWarning, match="dropped"):
        r = TrigAAA(x, y)
    xt = np.linspace(0, 1, 2001)
    floor = max(np.max(np.abs(reference(xt) - f(xt))), 1e-14)
    assert np.max(np.abs(r(xt) - f(xt))) < GAP_ERROR_FACTOR * floor


def test_trig_aaa_support_interpolation():
    x = grid(300)
    y = np.exp(np.cos(2 * np.pi * x))
    r = TrigAAA(x, y)
    assert np.max(np.abs(r(r.support_points) - r.support_values)) == 0.0


@settings(deadline=None, max_examples=10)
@given(st.integers(-4, 4))
def test_trig_aaa_value_scale_invariance(power):
    x = grid(256)
    y = np.exp(np.sin(2 * np.pi * x))
    base = TrigAAA(x, y)
    scaled = TrigAAA(x, y * 2.0**power)
    assert np.array_equal(scaled.support_points, base.support_points)
    assert np.allclose(scaled(x + 0.001), base(x + 0.001) * 2.0**power, rtol=1e-12, atol=0)


@settings(deadline=None, max_examples=10)
@given(st.integers(-3, 3))
def test_trig_aaa_period_scale_invariance(power):
    x = grid(256)
    y = np.exp(np.sin(2 * np.pi * x))
    base = TrigAAA(x, y)
    scaled = TrigAAA(x * 2.0**power, y, period=2.0**power)
    assert np.allclose(scaled.poles().imag, base.poles().imag * 2.0**power, rtol=1e-8, atol=0) or (
        np.allclose(np.sort(scaled.poles().imag), np.sort(base.poles().imag) * 2.0**power, rtol=1e-8)
    )
