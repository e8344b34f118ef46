"""Tests of runtime.rational.AAA: exactness, agreement with scipy, noise, invariants."""

import warnings

import numpy as np
import pytest
import scipy.interpolate
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.rational import AAA, ConvergenceWarning

# Tolerances, named by what they bound.
POLE_TOL = 1e-10          # pole location of an exactly rational function
RESIDUE_RTOL = 1e-8       # residues of an exactly rational function, relative
FIT_RTOL = 1e-10          # off-sample error of a converged fit, relative to max|f|
SCIPY_AGREEMENT = 1e-9    # |ours - scipy| off the samples, relative to max|f|
DERIVATIVE_RTOL = 1e-6    # derivative against the analytic one, relative
NOISE_ERROR_FACTOR = 10.0  # error against the clean signal, in units of sigma
SUPPORT_EXACT = 1e-15     # interpolation at support points, relative
SPIRAL_OUTER_POLE_TOL = 1e-6  # poles of tan away from the data, see the spiral test


def sample_points(n=2000):
    return np.linspace(-1, 1, n)


def test_aaa_rational_poles_exact():
    poles = np.array([0.5 + 0.2j, 0.5 - 0.2j, -1.5])
    residues = np.array([1.0 - 0.5j, 1.0 + 0.5j, 2.0])
    x = sample_points()
    f = lambda z: 0.3 + (1.0 / np.subtract.outer(z, poles)) @ residues  # noqa: E731
    r = AAA(x, f(x).real)
    found = r.poles()
    for pole in poles:
        assert np.min(np.abs(found - pole)) < POLE_TOL
    assert found.size == poles.size


def test_aaa_partial_fractions_identity():
    x = sample_points()
    r = AAA(x, np.exp(x) / (1.2 - x))
    poles, residues, constant = r.partial_fractions()
    z = np.array([0.3 + 0.4j, -2.0 + 1.0j, 3.0])
    rebuilt = constant + (1.0 / np.subtract.outer(z, poles)) @ residues
    assert np.max(np.abs(rebuilt - r(z))) < FIT_RTOL * np.max(np.abs(r(z)))


def test_aaa_residue_of_simple_pole():
    x = sample_points()
    r = AAA(x, 2.5 / (x - 1.3))
    index = np.argmin(np.abs(r.poles() - 1.3))
    assert abs(r.residues()[index] - 2.5) < RESIDUE_RTOL * 2.5


@pytest.mark.parametrize(
    "name, function",
    [
        ("exp", np.exp),
        ("tanh", lambda x: np.tanh(20 * x)),
        ("gamma", lambda x: scipy.special.gamma(x + 2)),
        ("log", lambda x: np.log(1.1 + x)),
    ],
)
def test_aaa_matches_scipy(name, function):
    x = np.linspace(-0.9, 0.9, 1000)
    y = function(x)
    ours = AAA(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        peer = scipy.interpolate.AAA(x, y)
    xt = np.linspace(-0.9, 0.9, 3333)
    scale = np.max(np.abs(y))
    assert np.max(np.abs(ours(xt) - peer(xt))) < SCIPY_AGREEMENT * scale
    assert ours.weights.size <= peer.weights.size


def test_aaa_complex_points_spiral():
    # Second example of Nakatsukasa, Sete and Trefethen (2018): tan on a spiral.
    z = np.exp(np.linspace(-0.5, 0.5 + 15j * np.pi, 1000))
    r = AAA(z, np.tan(np.pi * z / 2), rtol=1e-13)
    for pole in (1.0, -1.0):
        assert np.min(np.abs(r.poles() - pole)) < POLE_TOL
    # tan is not rational: the poles at +-3 are only approximated, to about 1e-7
    # (scipy.interpolate.AAA 1.17.1 gives 3.0000001 on the same data).
    for pole in (3.0, -3.0):
        assert np.min(np.abs(r.poles() - pole)) < SPIRAL_OUTER_POLE_TOL


def test_aaa_roots_of_rational():
    x = sample_points(500)
    r = AAA(x, (x - 0.3) * (x + 0.5) / (2 + x))
    roots = np.sort(r.roots().real)
    assert np.max(np.abs(roots - np.array([-0.5, 0.3]))) < POLE_TOL


def test_aaa_interpolates_support_points():
    x = sample_points(500)
    y = np.cos(5 * x) + x**3
    r = AAA(x, y)
    assert np.max(np.abs(r(r.support_points) - r.support_values)) <= SUPPORT_EXACT


def test_aaa_nan_where_undefined():
    r = AAA(sample_points(200), 1.0 / (sample_points(200) - 0.25 - 1e-3))
    value = r(np.array([np.nan]))
    assert np.isnan(value[0])


@pytest.mark.parametrize("name, function", [("sqrt", lambda x: np.sqrt(x)), ("abs", np.abs)])
def test_aaa_cleanup_keeps_branch_clusters(name, function):
    x = np.linspace(0, 1, 3000) if name == "sqrt" else np.linspace(-1, 1, 3000)
    raw = AAA(x, function(x), clean_up=False)
    cleaned = AAA(x, function(x))
    branch = 0.0
    near_raw = np.sum(np.abs(raw.poles() - branch) < 0.1)
    near_clean = np.sum(np.abs(cleaned.poles() - branch) < 0.1)
    assert cleaned.n_spurious_removed == 0
    assert near_clean == near_raw
    assert near_clean >= 4


def test_aaa_cleanup_removes_doublets():
    # Clean-up example of Nakatsukasa, Sete and Trefethen (2018), run with rtol=0.
    z = np.exp(2j * np.pi * np.linspace(0, 1, 1000))
    f = np.log(2 + z**4) / (1 - 16 * z**4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = AAA(z, f, rtol=0, max_terms=50, noise=None)
    assert r.n_spurious_removed > 0
    assert np.sum(np.abs(r.residues()) < 1e-13) == 0


def test_aaa_derivative_analytic():
    x = sample_points()
    r = AAA(x, np.sin(3 * x))
    xt = np.linspace(-0.95, 0.95, 101)
    assert np.max(np.abs(r.derivative(xt) - 3 * np.cos(3 * xt))) < DERIVATIVE_RTOL * 3
    assert np.max(np.abs(r.derivative(xt, 2) + 9 * np.sin(3 * xt))) < DERIVATIVE_RTOL * 9 * 10


def test_aaa_derivative_at_support_points():
    x = sample_points(400)
    r = AAA(x, np.exp(x))
    at = r.support_points
    assert np.max(np.abs(r.derivative(at) - np.exp(at))) < DERIVATIVE_RTOL


def test_aaa_derivative_finite_differences():
    x = sample_points(600)
    r = AAA(x, 1.0 / (1.0 + 16 * x**2))
    h = 1e-5
    xt = np.linspace(-0.9, 0.9, 37) + 1e-3
    finite = (r(xt + h) - r(xt - h)) / (2 * h)
    assert np.max(np.abs(r.derivative(xt) - finite)) < 1e-6


@pytest.mark.parametrize("sigma", [1e-2, 1e-4])
@pytest.mark.parametrize(
    "name, function",
    [("runge", lambda x: 1 / (1 + 25 * x**2)), ("tanh", lambda x: np.tanh(5 * x)), ("exp", np.exp)],
)
def test_aaa_noise_error_of_order_sigma(name, function, sigma):
    rng = np.random.default_rng(12)
    x = np.linspace(-1, 1, 2000)
    r = AAA(x, function(x) + sigma * rng.standard_normal(x.size))
    xt = np.linspace(-1, 1, 4001)
    assert r.noise_level is not None
    assert np.max(np.abs(r(xt) - function(xt))) < NOISE_ERROR_FACTOR * sigma
    poles = r.poles()
    distance = np.where(np.abs(poles.real) <= 1, np.abs(poles.imag), np.inf)
    assert np.sum(distance < 0.05) == 0


def test_aaa_noise_missing_and_jitter():
    rng = np.random.default_rng(5)
    function = lambda x: np.tanh(5 * x)  # noqa: E731
    sigma = 1e-3
    x = np.linspace(-1, 1, 2000)
    keep = rng.random(x.size) > 0.3
    jittered = np.sort(x[keep] + 0.2 * (x[1] - x[0]) * rng.uniform(-1, 1, keep.sum()))
    r = AAA(jittered, function(jittered) + sigma * rng.standard_normal(jittered.size))
    xt = np.linspace(-0.99, 0.99, 3001)
    assert np.max(np.abs(r(xt) - function(xt))) < NOISE_ERROR_FACTOR * sigma


def test_aaa_clean_data_not_treated_as_noise():
    x = sample_points(3000)
    r = AAA(x, np.abs(x))
    assert r.noise_level is None


@settings(deadline=None, max_examples=15)
@given(st.integers(-6, 6), st.integers(-6, 6))
def test_aaa_scale_invariance(x_power, y_power):
    x = np.linspace(-1, 1, 300)
    y = np.exp(x) / (1.5 - x)
    base = AAA(x, y)
    scaled = AAA(x * 2.0**x_power, y * 2.0**y_power)
    assert np.array_equal(scaled.support_points, base.support_points * 2.0**x_power)
    assert np.allclose(scaled(x * 2.0**x_power), base(x) * 2.0**y_power, rtol=1e-12, atol=0)


@settings(deadline=None, max_examples=20)
@given(st.lists(st.floats(-1, 1), min_size=2, max_size=6, unique=True))
def test_aaa_support_interpolation_property(zeros):
    x = np.linspace(-2, 2, 400)
    y = np.prod(np.subtract.outer(x, np.array(zeros)), axis=1) / (3.0 + x**2)
    r = AAA(x, y)
    assert np.max(np.abs(r(r.support_points) - r.support_values)) == 0.0
