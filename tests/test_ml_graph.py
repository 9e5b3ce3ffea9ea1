"""Graph mode: every signal, stochastic and linalg function on the tensorflow backend traced vs eager.

Each case runs eagerly and inside ``tf.function`` (a static batch, and for
the signal functions a dynamic one: ``input_signature`` with ``None``), and
the results must agree to rounding (1e-10 float64, 1e-4 float32) with the
configured dtype. Random draws agree exactly: a generator made while
tracing replays the eager Philox stream (StatelessPhilox).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import scicomp
from scicomp.backends import status
from tests.conftest import rtol_for

pytestmark = pytest.mark.skipif(not status("tensorflow").available, reason="tensorflow backend unavailable")
tf = pytest.importorskip("tensorflow") if status("tensorflow").available else None

FS = 1000.0
N = 256


def _signal_cases(sp, sos):
    return {
        "compute_fft": lambda x: sp.compute_fft(x, window="hann")[1],
        "compute_ifft": lambda x: sp.compute_ifft(tf.cast(x, sp_complex())),
        "psd_welch": lambda x: sp.power_spectral_density(x, nperseg=64)[1],
        "psd_periodogram": lambda x: sp.power_spectral_density(x, method="periodogram")[1],
        "spectrogram": lambda x: sp.compute_spectrogram(x, nperseg=32)[2],
        "coherence": lambda x: sp.compute_coherence(x, tf.reverse(x, [-1]), nperseg=64)[1],
        "correlation": lambda x: sp.compute_correlation(x, x[..., :40]),
        "convolve": lambda x: sp.convolve(x, x[..., :16], mode="same"),
        "dominant_frequencies": lambda x: sp.dominant_frequencies(x, 2),
        "filter": lambda x: sp.apply_filter(x, sos, method="filter"),
        "filtfilt": lambda x: sp.apply_filter(x, sos),
    }


def sp_complex():
    return tf.complex128 if scicomp.get_config().float_precision == "float64" else tf.complex64


def _dtype():
    return tf.float64 if scicomp.get_config().float_precision == "float64" else tf.float32


def _compare(eager, traced, precision):
    eager, traced = tf.nest.flatten(eager), tf.nest.flatten(traced)
    assert len(eager) == len(traced)
    for e, t in zip(eager, traced, strict=True):
        assert t.dtype == e.dtype
        if e.dtype.is_floating or e.dtype.is_complex:
            assert e.dtype in (_dtype(), sp_complex())  # no silent up- or down-cast
        scale = float(np.max(np.abs(e.numpy()))) if tf.size(e) else 1.0
        np.testing.assert_allclose(t.numpy(), e.numpy(), rtol=rtol_for(precision), atol=rtol_for(precision) * scale)


@pytest.mark.parametrize("dynamic_batch", [False, True], ids=["static", "dynamic"])
def test_signal_functions_traced_match_eager(precision, dynamic_batch):
    sp = scicomp.SignalProcessor(FS, backend="tensorflow")
    sos = sp.design_filter("lowpass", 100.0, 4)
    x = tf.constant(np.random.default_rng(0).standard_normal((3, N)), dtype=_dtype())
    signature = [tf.TensorSpec([None, N], _dtype())] if dynamic_batch else None
    for name, fn in _signal_cases(sp, sos).items():
        traced = tf.function(fn, input_signature=signature)
        _compare(fn(x), traced(x), precision)
        if dynamic_batch:  # the same trace serves another batch size
            _compare(fn(x[:2]), traced(x[:2]), precision)
            assert len(traced._list_all_concrete_functions()) == 1, name


def test_detect_peaks_and_generate_signal_traced():
    sp = scicomp.SignalProcessor(FS, backend="tensorflow")
    x = tf.constant(np.sin(np.linspace(0, 20, N)))
    peaks = tf.function(lambda v: sp.detect_peaks(v, height=0.5)["indices"])
    np.testing.assert_array_equal(peaks(x).numpy(), sp.detect_peaks(x, height=0.5)["indices"].numpy())
    gen = tf.function(lambda: sp.generate_signal("multi_sine", 0.25, 10.0, noise_level=0.1, seed=3)[1])
    np.testing.assert_array_equal(gen().numpy(), sp.generate_signal("multi_sine", 0.25, 10.0, noise_level=0.1, seed=3)[1].numpy())


def _linalg_cases():
    ops = scicomp.MatrixOperations
    rng = np.random.default_rng(1)
    a = tf.constant(rng.standard_normal((4, 4)) + 4 * np.eye(4), dtype=_dtype())
    s = tf.constant(3 * np.eye(4) + 0.5, dtype=_dtype())
    rhs = tf.constant(np.arange(4.0), dtype=_dtype())
    kw = {"backend": "tensorflow"}
    return {
        "condition_number": lambda: ops.condition_number(a, **kw),
        "matrix_multiply": lambda: ops.matrix_multiply(a, s, **kw),
        "matrix_power": lambda: ops.matrix_power(a, -2, **kw),
        "trace": lambda: ops.trace(a, **kw),
        "determinant": lambda: ops.determinant(a, **kw),
        "rank": lambda: ops.rank(a, **kw),
        "inverse": lambda: ops.inverse(a, **kw),
        "solve": lambda: ops.solve(a, rhs, **kw),
        "lstsq": lambda: ops.lstsq(a, rhs, **kw)[0],
        "eigenvalues": lambda: ops.eigenvalues(s, symmetric=True, **kw),
        "svd": lambda: ops.svd(a, compute_uv=False, **kw),
        "qr": lambda: ops.qr(a, **kw),
        "lu": lambda: ops.lu(a, **kw),
        "cholesky": lambda: ops.cholesky(s, **kw),
        "norms": lambda: (ops.frobenius_norm(a, **kw), ops.spectral_norm(a, **kw), ops.nuclear_norm(a, **kw)),
        "predicates": lambda: (ops.is_symmetric(s, **kw), ops.is_positive_definite(s, **kw), ops.is_symmetric(a, **kw)),
    }


def test_linalg_functions_traced_match_eager(precision):
    for name, fn in _linalg_cases().items():
        eager = fn()
        traced = tf.function(fn)()
        if name == "predicates":  # Python bools eagerly, boolean tensors inside tf.function
            assert [bool(v) for v in traced] == list(eager) == [True, True, False]
            continue
        _compare(eager, traced, precision)


def test_eigenvalues_needs_symmetric_flag_when_traced():
    s = tf.constant(np.eye(3))
    with pytest.raises(ValueError, match="symmetric"):
        tf.function(lambda: scicomp.MatrixOperations.eigenvalues(s, backend="tensorflow"))()


def _stochastic_cases():
    st = scicomp.stochastic
    kw = {"backend": "tensorflow"}
    return {
        "brownian": lambda: st.BrownianMotion(0.1, 0.3, seed=1).generate_paths(4, 1.0, 16, **kw),
        "bridge": lambda: st.BrownianMotion(0.1, 0.3, seed=1).generate_bridge(1.0, 16, 0.5, 1.0, **kw),
        "gbm": lambda: st.GeometricBrownianMotion(0.05, 0.2, 2.0, seed=2).generate_paths(4, 1.0, 16, **kw),
        "ou": lambda: st.OrnsteinUhlenbeck(2.0, 0.1, 0.3, 1.0, seed=3).generate_paths(4, 1.0, 16, **kw),
        "jump_diffusion": lambda: st.JumpDiffusion(0.05, 0.2, 1.0, -0.1, 0.1, seed=4).generate_paths(4, 1.0, 16, **kw),
        "poisson_counts": lambda: st.PoissonProcess(3.0, seed=5).counts(1.0, 16, n_paths=3, **kw),
        "euler_maruyama": lambda: st.euler_maruyama(lambda x, t: -x, lambda x, t: 0.3, 1.0, 1.0, 16, 4, seed=6, **kw),
        "milstein": lambda: st.milstein(lambda x, t: 0.1 * x, lambda x, t: 0.2 * x, 1.0, 1.0, 16, 4, seed=7, **kw),
        "price": lambda: st.price_european_option(100.0, 95.0, 0.05, 0.2, 1.0, n_paths=2000, seed=8, **kw).price,
    }


def test_stochastic_functions_traced_match_eager(precision):
    for name, fn in _stochastic_cases().items():
        eager = fn()
        if name == "price":  # eagerly a float; traced, a 0-d tensor (the same blocks, so the same price)
            traced = tf.function(fn)()
            assert traced.dtype == _dtype()
            np.testing.assert_allclose(float(traced), eager, rtol=rtol_for(precision))
            continue
        _compare(eager, tf.function(fn)(), precision)


def test_arrival_times_refuses_tracing_with_a_clear_error():
    process = scicomp.stochastic.PoissonProcess(2.0, seed=1)
    with pytest.raises(TypeError, match="tf.function"):
        tf.function(lambda: process.arrival_times(1.0, backend="tensorflow"))()


def test_tf_data_map():
    sp = scicomp.SignalProcessor(FS, backend="tensorflow")
    x = np.random.default_rng(2).standard_normal((6, N))
    ds = tf.data.Dataset.from_tensor_slices(x).map(lambda s: sp.compute_spectrogram(s, nperseg=32)[2]).batch(3)
    out = np.concatenate([batch.numpy() for batch in ds])
    np.testing.assert_allclose(out, sp.compute_spectrogram(x, nperseg=32)[2].numpy(), rtol=1e-10, atol=1e-14)


def test_autograph_skips_scicomp_so_first_trace_is_fast():
    """AutoGraph leaves scicomp's code alone (it is plain TF ops), so the first trace takes milliseconds, not seconds."""
    from tensorflow.python.autograph.core import config as autograph_config

    sp = scicomp.SignalProcessor(FS, backend="tensorflow")
    assert any(getattr(rule, "_prefix", None) == "scicomp" for rule in autograph_config.CONVERSION_RULES)

    @tf.function  # AutoGraph on (TensorFlow's default)
    def features(x):
        return sp.power_spectral_density(x, nperseg=64)[1] + sp.compute_fft(x)[1][..., :33]

    start = time.perf_counter()
    features(tf.zeros((2, N), tf.float64))
    # Converting scicomp's modules took ~2 s here; 1 s leaves room for a slow machine.
    assert time.perf_counter() - start < 1.0
