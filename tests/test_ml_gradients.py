"""Gradients through scicomp on the tensorflow backend: spectra, filters, paths, Monte Carlo Greeks, minimisers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

import scicomp
from scicomp.backends import status

pytestmark = pytest.mark.skipif(not status("tensorflow").available, reason="tensorflow backend unavailable")
tf = pytest.importorskip("tensorflow") if status("tensorflow").available else None

FS = 100.0


def _check_against_finite_differences(fn, x, rtol=1e-6):
    """tf.test.compute_gradient: the tape's Jacobian against central differences (float64)."""
    theoretical, numerical = tf.test.compute_gradient(fn, [x], delta=1e-6)
    np.testing.assert_allclose(theoretical[0], numerical[0], rtol=rtol, atol=rtol * np.abs(numerical[0]).max())
    assert np.abs(theoretical[0]).max() > 0  # a real dependence, not a vacuous zero gradient


@pytest.mark.parametrize(
    "name",
    ["fft_magnitude", "psd_welch", "psd_periodogram", "spectrogram", "convolve", "apply_filter"],
)
def test_gradients_match_finite_differences(name):
    sp = scicomp.SignalProcessor(FS, backend="tensorflow")
    sos = sp.design_filter("lowpass", 10.0, 3)
    kernel = tf.constant(np.hanning(5))
    fns = {
        "fft_magnitude": lambda x: sp.compute_fft(x, window="hann")[1],
        "psd_welch": lambda x: sp.power_spectral_density(x, nperseg=16)[1],
        "psd_periodogram": lambda x: sp.power_spectral_density(x, method="periodogram")[1],
        "spectrogram": lambda x: sp.compute_spectrogram(x, nperseg=16)[2],
        "convolve": lambda x: sp.convolve(x, kernel, mode="same"),
        "apply_filter": lambda x: sp.apply_filter(x, sos, method="filter"),
    }
    x = tf.constant(np.random.default_rng(0).standard_normal((2, 40)))
    _check_against_finite_differences(fns[name], x)


def test_gradients_stay_float32_in_float32_mode():
    with scicomp.config_context(float_precision="float32"):
        sp = scicomp.SignalProcessor(FS, backend="tensorflow")
        x = tf.Variable(np.random.default_rng(1).standard_normal((2, 64)).astype(np.float32))
        with tf.GradientTape() as tape:
            freqs, psd = sp.power_spectral_density(x, nperseg=32)
            mags = sp.compute_fft(x)[1]
            filtered = sp.apply_filter(x, sp.design_filter("highpass", 5.0, 2), method="filter")
            loss = tf.reduce_sum(psd) + tf.reduce_sum(mags) + tf.reduce_sum(filtered**2)
        for value in (freqs, psd, mags, filtered, loss):
            assert value.dtype == tf.float32
        grad = tape.gradient(loss, x)
        assert grad.dtype == tf.float32 and bool(tf.reduce_all(tf.math.is_finite(grad)))


# -- path generators: pathwise derivatives w.r.t. their parameters -------------------------------
PROCESSES = {
    "brownian": (scicomp.stochastic.BrownianMotion, {"drift": 0.1, "volatility": 0.3}),
    "gbm": (scicomp.stochastic.GeometricBrownianMotion, {"mu": 0.05, "sigma": 0.2, "s0": 2.0}),
    "ou": (scicomp.stochastic.OrnsteinUhlenbeck, {"theta": 1.5, "mu": 0.2, "sigma": 0.3, "x0": 0.5}),
    "jump_diffusion": (
        scicomp.stochastic.JumpDiffusion,
        {"drift": 0.05, "volatility": 0.2, "jump_rate": 1.0, "jump_mean": -0.1, "jump_std": 0.1, "s0": 1.5},
    ),
}
DIFFERENTIABLE = {"brownian": ("drift", "volatility"), "gbm": ("mu", "sigma", "s0"), "ou": ("mu", "sigma", "x0"),
                  "jump_diffusion": ("drift", "volatility", "s0")}  # fmt: skip


@pytest.mark.parametrize("name", list(PROCESSES))
def test_path_gradients_match_central_differences(name):
    cls, params = PROCESSES[name]
    names = DIFFERENTIABLE[name]

    def mean_terminal(values):
        kwargs = {**params, **values}
        _, paths = cls(**kwargs, seed=11).generate_paths(64, 1.0, 20, backend="tensorflow")
        return tf.reduce_mean(paths[:, -1] ** 2)

    variables = {k: tf.Variable(float(params[k]), dtype=tf.float64) for k in names}
    with tf.GradientTape() as tape:
        value = mean_terminal(variables)
    grads = tape.gradient(value, list(variables.values()))
    for (k, v), g in zip(variables.items(), grads, strict=True):
        assert g is not None and g.dtype == tf.float64, k
        h = 1e-6 * max(1.0, abs(float(v)))  # same seed, so the same normals: a smooth function of the parameter
        plus = mean_terminal({k: params[k] + h})
        minus = mean_terminal({k: params[k] - h})
        np.testing.assert_allclose(float(g), (float(plus) - float(minus)) / (2 * h), rtol=1e-6, err_msg=k)


def test_tensor_parameters_are_validated_when_eager():
    with pytest.raises(ValueError, match="sigma"):
        scicomp.stochastic.GeometricBrownianMotion(0.05, tf.Variable(-0.2, dtype=tf.float64))
    with pytest.raises(TypeError, match="float32"):
        scicomp.stochastic.GeometricBrownianMotion(0.05, tf.Variable(0.2, dtype=tf.float32))  # float64 mode
    with pytest.raises(ValueError, match="scalar"):
        scicomp.stochastic.BrownianMotion(tf.constant([0.1, 0.2], dtype=tf.float64))


# -- Monte Carlo Greeks from the tape ------------------------------------------------------------
S0, K, R, SIGMA, T = 100.0, 105.0, 0.03, 0.25, 1.0
N_PAIRS = 2**14  # one random block (RANDOM_BLOCK): its normals are the seed's first spawned stream


def _black_scholes_delta_vega():
    d1 = (math.log(S0 / K) + (R + 0.5 * SIGMA**2) * T) / (SIGMA * math.sqrt(T))
    return float(ndtr(d1)), S0 * math.sqrt(T) * math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)


def test_price_greeks_from_the_tape_agree_with_black_scholes():
    s0 = tf.Variable(S0, dtype=tf.float64)
    sigma = tf.Variable(SIGMA, dtype=tf.float64)
    with tf.GradientTape() as tape:
        result = scicomp.price_european_option(s0, K, R, sigma, T, n_paths=2 * N_PAIRS, seed=5, backend="tensorflow")
    delta, vega = (float(g) for g in tape.gradient(result.price, [s0, sigma]))
    float_result = scicomp.price_european_option(S0, K, R, SIGMA, T, n_paths=2 * N_PAIRS, seed=5, backend="tensorflow")
    np.testing.assert_allclose(float(result.price), float_result.price, rtol=1e-10)  # same blocks as the float path
    np.testing.assert_allclose(float(result.std_error), float_result.std_error, rtol=1e-8)

    # Per-pair pathwise derivative samples from the same normals (block 0 = the seed's first spawned stream).
    z = scicomp.get_backend("tensorflow").random(np.random.SeedSequence(5).spawn(1)[0]).standard_normal((N_PAIRS,))
    z = z.numpy()
    discount = math.exp(-R * T)
    delta_samples = np.zeros(N_PAIRS)
    vega_samples = np.zeros(N_PAIRS)
    for sign in (1.0, -1.0):
        w = sign * z
        s_t = S0 * np.exp((R - 0.5 * SIGMA**2) * T + SIGMA * math.sqrt(T) * w)
        itm = s_t > K
        delta_samples += 0.5 * discount * itm * s_t / S0
        vega_samples += 0.5 * discount * itm * s_t * (-SIGMA * T + math.sqrt(T) * w)
    # The tape's gradient is exactly the mean of the pathwise samples...
    np.testing.assert_allclose(delta, delta_samples.mean(), rtol=1e-9)
    np.testing.assert_allclose(vega, vega_samples.mean(), rtol=1e-9)
    # ...and agrees with Black-Scholes within 3 standard errors of that estimator.
    bs_delta, bs_vega = _black_scholes_delta_vega()
    se_delta = delta_samples.std(ddof=1) / math.sqrt(N_PAIRS)
    se_vega = vega_samples.std(ddof=1) / math.sqrt(N_PAIRS)
    assert abs(delta - bs_delta) < 3 * se_delta, (delta, bs_delta, se_delta)
    assert abs(vega - bs_vega) < 3 * se_vega, (vega, bs_vega, se_vega)


def test_price_in_float32_keeps_float32():
    with scicomp.config_context(float_precision="float32"):
        s0 = tf.Variable(S0, dtype=tf.float32)
        with tf.GradientTape() as tape:
            result = scicomp.price_european_option(s0, K, R, SIGMA, T, n_paths=4000, seed=1, backend="tensorflow")
        assert result.price.dtype == tf.float32 and result.std_error.dtype == tf.float32
        assert tape.gradient(result.price, s0).dtype == tf.float32


# -- minimisers: gradients from the tape ---------------------------------------------------------
@pytest.mark.parametrize("minimizer", ["BFGS", "LBFGS"])
def test_minimizers_take_the_gradient_from_the_tape(minimizer):
    target = tf.constant([1.0, -2.0, 0.5], dtype=tf.float64)
    calls = {"n": 0}

    def objective(x):  # a TF objective: the tape sees through it, so no finite differences are needed
        calls["n"] += 1
        return tf.reduce_sum((x - target) ** 2) + 0.1 * tf.reduce_sum(x**4)

    x0 = tf.Variable(tf.zeros(3, dtype=tf.float64))
    result = getattr(scicomp, minimizer)().minimize(objective, x0, backend="tensorflow")
    assert result.success and isinstance(result.x, tf.Tensor) and result.x.dtype == tf.float64
    reference = scicomp.BFGS().minimize(lambda v: float(np.sum((v - target.numpy()) ** 2) + 0.1 * np.sum(v**4)), np.zeros(3))
    np.testing.assert_allclose(result.x.numpy(), reference.x, rtol=1e-5, atol=1e-6)
    assert result.nfev == calls["n"] and result.nfev < 5 * result.nit + 10  # one evaluation per gradient, not 2n + 1
    np.testing.assert_array_equal(x0.numpy(), np.zeros(3))  # the Variable's value was read, not modified
