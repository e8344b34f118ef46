"""Tests of prony, fit_fourier and ExpSum operations."""

import numpy as np
import pytest

from runtime.rational import ExpSum, TrigRational, fit_fourier, prony

POLE_TOL = 1e-10            # pole location of an exact trigonometric rational
FIT_RTOL = 1e-10            # evaluation error of an exact fit, relative to max|f|
OPERATION_RTOL = 1e-9       # derivative/convolution refits, relative
NOISE_ERROR_FACTOR = 10.0   # error against the clean signal, in units of sigma
# The derivative's coefficients k*zeta^k belong to double poles, which a refit
# with simple poles splits into close pairs: about half the digits survive.
DERIVATIVE_REFIT_RTOL = 1e-6


def exact_signal():
    poles = np.array([0.3 - 0.05j, 0.7 - 0.02j])
    residues = np.array([0.01 + 0.02j, -0.005 + 0.003j])
    return TrigRational(
        0.5, np.concatenate([poles, poles.conj()]), np.concatenate([residues, residues.conj()]),
        real=True,
    )


def samples(n=2048):
    x = np.arange(n) / n
    return x, exact_signal()(x)


def test_prony_exact_exponentials():
    nodes = np.array([0.9, 0.5 + 0.3j, -0.2])
    weights = np.array([1.0, 2.0 - 1.0j, 0.5])
    h = (nodes[None, :] ** np.arange(60)[:, None]) @ weights
    found, found_weights = prony(h)
    order = [int(np.argmin(np.abs(found - node))) for node in nodes]
    assert np.max(np.abs(found[order] - nodes)) < POLE_TOL
    assert np.max(np.abs(found_weights[order] - weights)) < 1e-9


def test_fit_fourier_recovers_poles():
    f = exact_signal()
    _, y = samples()
    fit = fit_fourier(y)
    found = fit.poles()
    assert found.size == f.poles.size
    for pole in f.poles:
        assert np.min(np.abs(found - pole)) < POLE_TOL


def test_fit_fourier_evaluation():
    f = exact_signal()
    _, y = samples()
    xt = np.linspace(0, 1, 1001) + 1e-4
    assert np.max(np.abs(fit_fourier(y)(xt) - f(xt))) < FIT_RTOL


def test_expsum_trig_roundtrip_coefficients():
    f = exact_signal()
    k = np.arange(-40, 41)
    assert np.max(np.abs(f.to_expsum().to_trig().fourier_coefficients(k) - f.fourier_coefficients(k))) < 1e-15


def test_trig_fourier_coefficients_match_fft():
    f = exact_signal()
    x, y = samples(4096)
    c = np.fft.fft(y) / y.size
    k = np.arange(-20, 21)
    assert np.max(np.abs(f.fourier_coefficients(k) - c[k])) < 1e-14


@pytest.mark.parametrize("sigma", [1e-2, 1e-4])
def test_fit_fourier_noise(sigma):
    rng = np.random.default_rng(7)
    f = exact_signal()
    x, y = samples(4096)
    fit = fit_fourier(y + sigma * rng.standard_normal(y.size))
    xt = np.linspace(0, 1, 3001)
    assert fit.noise_level > 0
    assert np.max(np.abs(fit(xt) - f(xt))) < NOISE_ERROR_FACTOR * sigma
    assert np.sum(np.abs(fit.poles().imag) < 0.01) == 0


def test_fit_fourier_clean_not_noise():
    _, y = samples()
    assert fit_fourier(y).noise_level == 0


def test_expsum_derivative():
    f = exact_signal()
    _, y = samples()
    derivative = fit_fourier(y).derivative()
    xt = np.linspace(0, 1, 777)
    exact = f.derivative(xt)
    assert np.max(np.abs(derivative(xt) - exact)) < DERIVATIVE_REFIT_RTOL * np.max(np.abs(exact))


def test_expsum_convolution_against_quadrature():
    f = exact_signal()
    g = TrigRational(0.1, [0.5 - 0.1j, 0.5 + 0.1j], [0.03j, -0.03j], real=True)
    product = f.to_expsum().convolve(g.to_expsum())
    n = 4096
    y = np.arange(n) / n
    xt = np.array([0.0, 0.21, 0.63])
    reference = np.array([np.mean(f(y) * g(x - y)) for x in xt])
    assert np.max(np.abs(product(xt) - reference)) < OPERATION_RTOL


def test_expsum_multiply():
    f = exact_signal()
    g = TrigRational(0.1, [0.5 - 0.1j, 0.5 + 0.1j], [0.03j, -0.03j], real=True)
    product = f.to_expsum().multiply(g.to_expsum())
    xt = np.linspace(0, 1, 333)
    assert np.max(np.abs(product(xt) - f(xt) * g(xt))) < FIT_RTOL


def test_expsum_bandpass_exact():
    f = exact_signal().to_expsum()
    k = np.arange(-30, 31)
    high = f.bandpass(5)
    band = f.bandpass(2, 8)
    expected_high = np.where(np.abs(k) >= 5, f.coefficients(k), 0)
    expected_band = np.where((np.abs(k) >= 2) & (np.abs(k) <= 8), f.coefficients(k), 0)
    assert np.max(np.abs(high.coefficients(k) - expected_high)) < 1e-15
    assert np.max(np.abs(band.coefficients(k) - expected_band)) < 1e-15


def test_expsum_drop_terms_removes_pole():
    f = exact_signal().to_expsum()
    # |zeta| = exp(-2 pi |Im x|): 0.88 for the pole at distance 0.02, 0.73 at 0.05.
    slow = np.abs(f.nodes) > 0.85
    filtered = f.drop_terms(slow, np.abs(f.negative_nodes) > 0.85)
    assert filtered.nodes.size == f.nodes.size - 1
    assert np.all(np.abs(filtered.poles().imag) > 0.04)


def test_expsum_rejects_growing_nodes():
    with pytest.raises(ValueError, match="nodes"):
        ExpSum(0.0, [1.2], [1.0], [], [])
