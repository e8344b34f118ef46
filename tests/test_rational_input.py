"""Bad input to the rational fits: shapes, NaN/inf, repeated points, degenerate data."""

import warnings

import numpy as np
import pytest

from runtime.rational import AAA, DataWarning, TrigAAA, fit_fourier, prony

EXACT = 0.0  # constant and zero data are represented exactly


@pytest.mark.parametrize("fit", [AAA, TrigAAA])
def test_input_mismatched_lengths(fit):
    with pytest.raises(ValueError, match="same length"):
        fit(np.linspace(0, 1, 5), np.ones(4))


@pytest.mark.parametrize("fit", [AAA, TrigAAA])
def test_input_two_dimensional(fit):
    with pytest.raises(ValueError, match="1-D"):
        fit(np.ones((3, 2)), np.ones((3, 2)))


def test_input_non_numeric():
    with pytest.raises(TypeError, match="numeric"):
        AAA(["a", "b"], [1.0, 2.0])


def test_input_nonfinite_points():
    with pytest.raises(ValueError, match="finite"):
        AAA(np.array([0.0, np.inf, 1.0]), np.ones(3))


@pytest.mark.parametrize("fit", [AAA, TrigAAA])
def test_input_nan_values_dropped(fit):
    x = np.linspace(0, 0.99, 50)
    y = np.cos(2 * np.pi * x)
    y[[3, 17]] = np.nan
    y[20] = np.inf
    with pytest.warns(DataWarning, match="dropped 3 of 50"):
        r = fit(x, y)
    assert np.all(np.isfinite(r(x)))


@pytest.mark.parametrize("fit", [AAA, TrigAAA])
def test_input_all_nan_rejected(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(ValueError, match="at least 1"):
            fit(np.linspace(0, 0.5, 4), np.full(4, np.nan))


def test_input_repeated_points_averaged():
    x = np.array([0.0, 0.5, 0.5, 1.0])
    y = np.array([0.0, 2.0, 4.0, 1.0])
    with pytest.warns(DataWarning, match="merged 1"):
        r = AAA(x, y)
    assert r(np.array([0.5]))[0] == pytest.approx(3.0)


@pytest.mark.parametrize("fit", [AAA, TrigAAA])
@pytest.mark.parametrize("value", [0.0, 2.5])
def test_input_constant_data(fit, value):
    x = np.linspace(0, 0.9, 40)
    r = fit(x, np.full(40, value))
    assert r.converged
    assert np.max(np.abs(r(np.linspace(0, 0.9, 7)) - value)) == EXACT


@pytest.mark.parametrize("fit", [AAA, TrigAAA])
def test_input_single_sample(fit):
    r = fit(np.array([0.25]), np.array([3.0]))
    assert r(np.array([0.25]))[0] == 3.0
    assert r.weights.size == 1


def test_input_two_samples_linear():
    r = AAA(np.array([0.0, 1.0]), np.array([1.0, 3.0]))
    assert r(np.array([0.5]))[0] == pytest.approx(2.0)


@pytest.mark.parametrize("bad", [0, -3])
def test_input_max_terms_positive(bad):
    with pytest.raises(ValueError, match="max_terms"):
        AAA(np.linspace(0, 1, 5), np.ones(5), max_terms=bad)


def test_input_max_terms_integer():
    with pytest.raises(TypeError, match="max_terms"):
        AAA(np.linspace(0, 1, 5), np.ones(5), max_terms=2.5)


def test_input_noise_argument():
    with pytest.raises(ValueError, match="noise"):
        AAA(np.linspace(0, 1, 5), np.ones(5), noise="loud")


def test_input_trig_period():
    with pytest.raises(ValueError, match="period"):
        TrigAAA(np.linspace(0, 1, 5), np.ones(5), period=0.0)


def test_input_trig_complex_points():
    with pytest.raises(ValueError, match="real"):
        TrigAAA(np.linspace(0, 1, 5) + 1j, np.ones(5))


def test_input_fit_fourier_gaps():
    y = np.ones(32)
    y[4] = np.nan
    with pytest.raises(ValueError, match="TrigAAA"):
        fit_fourier(y)


def test_input_prony_short():
    with pytest.raises(ValueError, match="at least 3"):
        prony([1.0, 0.5])


def test_input_derivative_order():
    r = AAA(np.linspace(-1, 1, 50), np.exp(np.linspace(-1, 1, 50)))
    with pytest.raises(TypeError, match="order"):
        r.derivative(np.array([0.1]), order=1.5)


def test_input_partial_fractions_polynomial():
    # Three samples of a line: the weights sum to zero and the fit is the line
    # itself, which is unbounded at infinity and has no partial-fraction form.
    r = AAA(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="unbounded"):
        r.partial_fractions()
