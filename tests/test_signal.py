"""scicomp.signal: every SignalProcessor method on every backend against NumPy/SciPy.

Tolerances: rtol 1e-10 (float64) / 1e-4 (float32) with an absolute floor of
rtol * max|reference|, since FFT-based results carry rounding relative to the
largest value, not to each (possibly near-zero) entry.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scicomp
from scicomp.signal import SignalProcessor
from tests.conftest import rtol_for, to_np

FS = 100.0
RNG = np.random.default_rng(1234)
X = RNG.standard_normal((3, 1200))
Y = RNG.standard_normal((3, 1200))
Z = RNG.standard_normal((2, 600)) + 1j * RNG.standard_normal((2, 600))
HYPOTHESIS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_matches(actual, reference, precision="float64", backend_name=None):
    """actual (a backend array) equals reference within the project's tolerance, in the configured dtype."""
    if backend_name is not None:
        assert scicomp.get_backend(backend_name).owns(actual), type(actual)
    got = to_np(actual)
    reference = np.asarray(reference)
    assert got.shape == reference.shape, (got.shape, reference.shape)
    if np.iscomplexobj(reference):
        assert got.dtype == (np.complex64 if precision == "float32" else np.complex128), got.dtype
    else:
        assert got.dtype == (np.float32 if precision == "float32" else np.float64), got.dtype
    rtol = rtol_for(precision)
    atol = rtol * float(np.max(np.abs(reference))) if reference.size else 0.0
    np.testing.assert_allclose(got, reference, rtol=rtol, atol=atol)


@pytest.fixture
def sp(backend_name):
    return SignalProcessor(FS, backend=backend_name)


# -- construction --------------------------------------------------------------------
def test_sampling_rate_defaults_to_config():
    with scicomp.config_context(default_sampling_rate=250.0):
        assert SignalProcessor().sampling_rate == 250.0
    assert SignalProcessor(42).sampling_rate == 42.0


@pytest.mark.parametrize("rate", [0, -1.0, float("nan"), float("inf")])
def test_bad_sampling_rate(rate):
    with pytest.raises(ValueError, match="sampling_rate"):
        SignalProcessor(rate)


def test_per_call_backend_overrides_the_constructor(backend_name):
    sp = SignalProcessor(FS, backend="numpy")
    f, mags = sp.compute_fft(X[0].tolist(), backend=backend_name)  # a Python list in
    backend = scicomp.get_backend(backend_name)
    assert backend.owns(f) and backend.owns(mags)
    own = backend.asarray(X[0])  # the backend's own array in
    assert_matches(sp.compute_fft(own, backend=backend_name)[1], to_np(mags), backend_name=backend_name)


def test_unknown_backend_fails_at_construction():
    with pytest.raises(scicomp.ConfigError, match="backend"):
        SignalProcessor(backend="nonsense")


# -- generate_signal -----------------------------------------------------------------
def _reference_signal(kind, t, f, a, p):
    arg = 2 * np.pi * f * t + p
    return {
        "sine": a * np.sin(arg),
        "cosine": a * np.cos(arg),
        "square": a * ss.square(arg),
        "sawtooth": a * ss.sawtooth(arg),
        "chirp": a * ss.chirp(t, f, t[-1] + 1 / FS, 10 * f, method="linear", phi=np.degrees(p)),
        "multi_sine": a * np.sin(arg) + a / 2 * np.sin(2 * 2 * np.pi * f * t + p) + a / 3 * np.sin(3 * 2 * np.pi * f * t + p),
    }[kind]


@pytest.mark.parametrize("kind", ["sine", "cosine", "square", "sawtooth", "chirp", "multi_sine"])
def test_generate_signal_matches_scipy(sp, backend_name, precision, kind):
    # f = 3.3 Hz at 100 Hz: no sample falls on a square wave's jump, so float32 rounding cannot flip a sign
    t, x = sp.generate_signal(kind, 2.0, frequency=3.3, amplitude=1.5, phase=0.4)
    t_ref = np.arange(200) / FS
    assert_matches(t, t_ref, precision, backend_name)
    assert_matches(x, _reference_signal(kind, t_ref, 3.3, 1.5, 0.4), precision, backend_name)


def test_generate_noise_is_seeded_and_has_the_right_moments(sp, backend_name):
    n = 20000
    _, a = sp.generate_signal("noise", n / FS, amplitude=2.0)
    _, b = sp.generate_signal("noise", n / FS, amplitude=2.0)
    _, c = sp.generate_signal("noise", n / FS, amplitude=2.0, seed=7)
    a, b, c = to_np(a), to_np(b), to_np(c)
    np.testing.assert_array_equal(a, b)  # same seed (the config's), same numbers
    assert not np.allclose(a, c)
    # 5 standard errors: SE(mean) = sigma / sqrt(n), SE(std) ~ sigma / sqrt(2 n)
    assert abs(a.mean()) < 5 * 2.0 / np.sqrt(n)
    assert abs(a.std() - 2.0) < 5 * 2.0 / np.sqrt(2 * n)


def test_noise_level_adds_gaussian_noise(sp):
    n = 20000
    _, clean = sp.generate_signal("sine", n / FS, frequency=5.0)
    _, noisy = sp.generate_signal("sine", n / FS, frequency=5.0, noise_level=0.3)
    residual = to_np(noisy) - to_np(clean)
    assert abs(residual.std() - 0.3) < 5 * 0.3 / np.sqrt(2 * n)  # 5 SE of a standard deviation
    with scicomp.config_context(default_random_seed=3):
        _, other = sp.generate_signal("sine", n / FS, frequency=5.0, noise_level=0.3)
    assert not np.allclose(to_np(other), to_np(noisy))  # the seed comes from the config


# -- compute_fft / compute_ifft ---------------------------------------------------
@pytest.mark.parametrize("n", [1000, 999])
def test_fft_amplitude_spectrum_matches_numpy(sp, backend_name, precision, n):
    x = X[:, :n]
    f, mags = sp.compute_fft(x)
    spectrum = np.abs(np.fft.rfft(x, axis=-1))
    weights = np.full(n // 2 + 1, 2.0 / n)
    weights[0] = 1.0 / n
    if n % 2 == 0:
        weights[-1] = 1.0 / n
    assert_matches(f, np.fft.rfftfreq(n, 1 / FS), precision, backend_name)
    assert_matches(mags, spectrum * weights, precision, backend_name)
    assert_matches(sp.compute_fft(x, normalize=False)[1], spectrum, precision, backend_name)


@pytest.mark.parametrize("window", [None, "hann", "blackman", ("tukey", 0.3)])
def test_sine_of_amplitude_a_peaks_at_a(sp, backend_name, window):
    t, x = sp.generate_signal("sine", 10.0, frequency=12.0, amplitude=3.0)
    f, mags = sp.compute_fft(x, window=window)
    f, mags = to_np(f), to_np(mags)
    assert f[np.argmax(mags)] == 12.0
    np.testing.assert_allclose(mags.max(), 3.0, rtol=1e-10)  # coherent gain sum(w) corrects the window


def test_windowed_fft_matches_numpy(sp, backend_name, precision):
    w = ss.get_window("hamming", X.shape[-1])
    expected = np.abs(np.fft.rfft(X * w, axis=-1)) / w.sum()
    expected[..., 1:-1] *= 2
    assert_matches(sp.compute_fft(X, window="hamming")[1], expected, precision, backend_name)


def test_complex_signal_gets_the_shifted_two_sided_spectrum(sp, backend_name, precision):
    f, mags = sp.compute_fft(Z)
    n = Z.shape[-1]
    assert_matches(f, np.fft.fftshift(np.fft.fftfreq(n, 1 / FS)), precision, backend_name)
    assert_matches(mags, np.fft.fftshift(np.abs(np.fft.fft(Z, axis=-1)), axes=-1) / n, precision, backend_name)
    tone = np.exp(2j * np.pi * -20.0 * np.arange(500) / FS)  # a complex tone at -20 Hz
    f, mags = sp.compute_fft(tone)
    assert to_np(f)[np.argmax(to_np(mags))] == -20.0
    np.testing.assert_allclose(to_np(mags).max(), 1.0, rtol=1e-10)


@pytest.mark.parametrize("n", [None, 300, 700])
def test_ifft_matches_numpy(sp, backend_name, precision, n):
    spectrum = np.fft.fft(X[:, :600], axis=-1)
    assert_matches(sp.compute_ifft(spectrum, n=n), np.fft.ifft(spectrum, n=n, axis=-1), precision, backend_name)


def test_ifft_inverts_the_fft(sp):
    np.testing.assert_allclose(to_np(sp.compute_ifft(np.fft.fft(X))).real, X, atol=1e-12)


# -- power spectral density, spectrogram, coherence ----------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"nperseg": 200, "noverlap": 150, "window": "hamming"},
        {"nperseg": 101, "noverlap": 0, "window": ("tukey", 0.25), "scaling": "spectrum"},
        {"nperseg": 1200, "window": "boxcar"},
    ],
)
def test_welch_matches_scipy(sp, backend_name, precision, kwargs):
    f, pxx = sp.power_spectral_density(X, **kwargs)
    scipy_kwargs = {"nperseg": 256, "window": "hann", **kwargs}
    f_ref, p_ref = ss.welch(X, FS, **scipy_kwargs)
    assert_matches(f, f_ref, precision, backend_name)
    assert_matches(pxx, p_ref, precision, backend_name)


@pytest.mark.parametrize("window,scaling", [("hann", "density"), ("boxcar", "spectrum"), ("flattop", "density")])
def test_periodogram_matches_scipy(sp, backend_name, precision, window, scaling):
    x = X[:, :999]
    f, pxx = sp.power_spectral_density(x, method="periodogram", window=window, scaling=scaling)
    f_ref, p_ref = ss.periodogram(x, FS, window=window, scaling=scaling)
    assert_matches(f, f_ref, precision, backend_name)
    assert_matches(pxx, p_ref, precision, backend_name)


def test_psd_of_a_complex_signal_is_two_sided(sp, backend_name):
    f, pxx = sp.power_spectral_density(Z, nperseg=128)
    f_ref, p_ref = ss.welch(Z, FS, window="hann", nperseg=128, return_onesided=False)
    assert_matches(f, f_ref, backend_name=backend_name)
    assert_matches(pxx, p_ref, backend_name=backend_name)


def test_welch_integrates_to_the_variance(sp):
    # Parseval: the density integrates to the mean power (white noise: ~1, within a few percent)
    f, pxx = sp.power_spectral_density(X[0], nperseg=128)
    df = to_np(f)[1] - to_np(f)[0]
    np.testing.assert_allclose(to_np(pxx).sum() * df, X[0].var(), rtol=0.1)


@pytest.mark.parametrize("kwargs", [{}, {"nperseg": 120, "noverlap": 60, "window": "blackman"}, {"nperseg": 64, "noverlap": 0}])
def test_spectrogram_matches_scipy(sp, backend_name, precision, kwargs):
    f, t, sxx = sp.compute_spectrogram(X, **kwargs)
    f_ref, t_ref, s_ref = ss.spectrogram(X, FS, **{"nperseg": 256, "window": "hann", **kwargs})
    assert_matches(f, f_ref, precision, backend_name)
    assert_matches(t, t_ref, precision, backend_name)
    assert_matches(sxx, s_ref, precision, backend_name)


@pytest.mark.parametrize("nperseg", [256, 100])
def test_coherence_matches_scipy(sp, backend_name, precision, nperseg):
    y = 0.6 * X + Y  # partly coherent
    f, cxy = sp.compute_coherence(X, y, nperseg=nperseg)
    f_ref, c_ref = ss.coherence(X, y, FS, window="hann", nperseg=nperseg)
    assert_matches(f, f_ref, precision, backend_name)
    assert_matches(cxy, c_ref, precision, backend_name)
    _, self_coherence = sp.compute_coherence(X[0], X[0], nperseg=nperseg)
    np.testing.assert_allclose(to_np(self_coherence), 1.0, rtol=rtol_for(precision) * 10)


# -- convolution and correlation ---------------------------------------------------
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n2", [1, 77, 1500])
def test_convolve_matches_fftconvolve(sp, backend_name, precision, mode, n2):
    a, b = X[:, :1000], Y[:1, :n2]  # (3, n1) with (1, n2): the batch broadcasts
    assert_matches(sp.convolve(a, b, mode), ss.fftconvolve(a, b, mode, axes=-1), precision, backend_name)
    assert_matches(sp.convolve(a[0], b[0], mode), ss.fftconvolve(a[0], b[0], mode), precision, backend_name)


def test_convolve_complex(sp, backend_name):
    assert_matches(sp.convolve(Z, X[:2, :50], "same"), ss.fftconvolve(Z, X[:2, :50], "same", axes=-1), backend_name=backend_name)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("ny", [40, 1200])
def test_correlation_matches_scipy(sp, backend_name, precision, mode, ny):
    x, y = X[:, :500], Y[:, :ny]
    expected = np.stack([ss.correlate(x[i], y[i], mode) for i in range(3)])
    assert_matches(sp.compute_correlation(x, y, mode, normalize=False), expected, precision, backend_name)
    norm = np.sqrt((x**2).sum(-1) * (y**2).sum(-1))[:, None]
    assert_matches(sp.compute_correlation(x, y, mode), expected / norm, precision, backend_name)


def test_normalized_autocorrelation_peaks_at_one_at_lag_zero(sp, backend_name):
    r = to_np(sp.compute_correlation(X[0], X[0]))
    assert np.argmax(r) == X.shape[-1] - 1
    np.testing.assert_allclose(r.max(), 1.0, rtol=1e-12)
    assert np.all(np.abs(r) <= 1 + 1e-12)


def test_complex_correlation(sp, backend_name):
    assert_matches(
        sp.compute_correlation(Z[0], Z[1, :30], normalize=False), ss.correlate(Z[0], Z[1, :30]), backend_name=backend_name
    )


# -- filters ---------------------------------------------------------------------
FILTERS = [("lowpass", 10.0, 5), ("highpass", 5.0, 4), ("bandpass", (5.0, 20.0), 4), ("bandstop", [8.0, 12.0], 3)]


@pytest.mark.parametrize("filter_type,cutoff,order", FILTERS)
def test_design_filter_is_scipy_butter(sp, backend_name, precision, filter_type, cutoff, order):
    sos = sp.design_filter(filter_type, cutoff, order)
    assert_matches(sos, ss.butter(order, cutoff, filter_type, fs=FS, output="sos"), precision, backend_name)


@pytest.mark.parametrize("method", ["filtfilt", "filter"])
@pytest.mark.parametrize("filter_type,cutoff,order", FILTERS)
def test_apply_filter_matches_scipy(sp, backend_name, precision, method, filter_type, cutoff, order):
    # float32 runs the recursion in float32 (coefficients too): well-conditioned filters stay within 1e-4
    x = X[:, :800]  # TensorFlow's loop over time is slow: short signals
    sos = sp.design_filter(filter_type, cutoff, order)
    sos_ref = ss.butter(order, cutoff, filter_type, fs=FS, output="sos")
    expected = ss.sosfiltfilt(sos_ref, x) if method == "filtfilt" else ss.sosfilt(sos_ref, x)
    assert_matches(sp.apply_filter(x, sos, method), expected, precision, backend_name)
    assert_matches(sp.apply_filter(x[1], sos, method), expected[1], precision, backend_name)


def test_apply_filter_accepts_host_sos_and_reduced_sections(sp, backend_name):
    sos = ss.butter(3, 10.0, fs=FS, output="sos")  # odd order: a first-order section with zero b2/a2
    assert_matches(sp.apply_filter(X[0], sos), ss.sosfiltfilt(sos, X[0]), backend_name=backend_name)
    assert_matches(sp.apply_filter(X[0], sos.tolist(), "filter"), ss.sosfilt(sos, X[0]), backend_name=backend_name)


def test_lowpass_removes_the_high_tone(sp):
    t, low = sp.generate_signal("sine", 5.0, frequency=2.0)
    _, high = sp.generate_signal("sine", 5.0, frequency=40.0)
    filtered = to_np(sp.apply_filter(to_np(low) + to_np(high), sp.design_filter("lowpass", 10.0, 6)))
    np.testing.assert_allclose(filtered[50:-50], to_np(low)[50:-50], atol=0.02)


def test_tensorflow_filter_passes_gradients():
    tf = pytest.importorskip("tensorflow")
    if not scicomp.backends.status("tensorflow").available:
        pytest.skip("tensorflow backend unavailable")
    sp = SignalProcessor(FS, backend="tensorflow")
    sos = ss.butter(4, 15.0, fs=FS, output="sos")
    x = tf.Variable(X[0, :300])
    weights = Y[0, :300]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(sp.apply_filter(x, sos, "filter") * weights)
    grad = tape.gradient(loss, x)
    # the filter is linear and causal, y = H x, so d(w . y)/dx = H^T w = reverse(sosfilt(reverse(w)))
    expected = ss.sosfilt(sos, weights[::-1])[::-1]
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_tensorflow_graph_mode():
    tf = pytest.importorskip("tensorflow")
    if not scicomp.backends.status("tensorflow").available:
        pytest.skip("tensorflow backend unavailable")
    sp = SignalProcessor(FS, backend="tensorflow")
    sos = ss.butter(4, 10.0, fs=FS, output="sos")
    x = X[0, :500]

    @tf.function(autograph=False)  # AutoGraph works too, but converting scicomp's Python costs seconds on first trace
    def pipeline(v):
        _, pxx = sp.power_spectral_density(v, nperseg=64)
        return pxx, sp.apply_filter(v, sos), sp.detect_peaks(v, height=1.0)["indices"]

    pxx, y, peaks = pipeline(tf.constant(x))
    np.testing.assert_allclose(pxx.numpy(), ss.welch(x, FS, "hann", 64)[1], rtol=1e-10)
    np.testing.assert_allclose(y.numpy(), ss.sosfiltfilt(sos, x), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(peaks.numpy(), ss.find_peaks(x, height=1.0)[0])


def test_kernel_families_import_no_framework():
    code = (
        "import sys, scicomp.signal, scicomp.kernels.filters, scicomp.kernels.peaks; "
        "print(sorted(m for m in ('tensorflow', 'cupy', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- peaks and dominant frequencies -----------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"height": 1.0}, {"distance": 5}, {"prominence": 0.5}, {"height": (0.0, 2.0), "distance": 3, "prominence": (0.3, None)}],
)
def test_detect_peaks_matches_find_peaks(sp, backend_name, precision, kwargs):
    x = X[0, :600]
    peaks = sp.detect_peaks(x, **kwargs)
    indices, _ = ss.find_peaks(x, **kwargs)
    assert len(indices) > 0
    backend = scicomp.get_backend(backend_name)
    assert backend.owns(peaks["indices"]) and backend.owns(peaks["values"])
    np.testing.assert_array_equal(to_np(peaks["indices"]), indices)
    assert_matches(peaks["values"], x[indices], precision, backend_name)


def test_dominant_frequencies(sp, backend_name, precision):
    t = np.arange(1000) / FS
    batch = np.stack(
        [
            np.sin(2 * np.pi * 7 * t) + 0.5 * np.cos(2 * np.pi * 21 * t) + 0.2 * np.sin(2 * np.pi * 33 * t),
            3 + np.sin(2 * np.pi * 45 * t) + 2 * np.sin(2 * np.pi * 4 * t),
        ]
    )
    top = sp.dominant_frequencies(batch, k=2)  # the DC offset of the second row is excluded
    assert_matches(top, [[7.0, 21.0], [4.0, 45.0]], precision, backend_name)
    assert_matches(sp.dominant_frequencies(batch[0]), [7.0], precision, backend_name)
    x = X[0]
    mags = np.abs(np.fft.rfft(x))[1:]
    expected = np.fft.rfftfreq(x.size, 1 / FS)[1:][np.argsort(-mags)[:5]]
    assert_matches(sp.dominant_frequencies(x, k=5), expected, precision, backend_name)


# -- bad input -------------------------------------------------------------------------
SOS = ss.butter(4, 10.0, fs=FS, output="sos")
BAD = [
    (lambda sp: sp.compute_fft([]), ValueError, "signal.*empty"),
    (lambda sp: sp.compute_fft(3.0), ValueError, "signal.*dimension"),
    (lambda sp: sp.compute_fft([1.0, np.nan, 2.0]), ValueError, "signal.*NaN"),
    (lambda sp: sp.compute_fft([1.0, np.inf]), ValueError, "signal.*NaN or inf"),
    (lambda sp: sp.compute_fft("abc"), TypeError, "signal"),
    (lambda sp: sp.compute_fft(X[0], window="nope"), ValueError, "window.*'hann'"),
    (lambda sp: sp.compute_fft(X[0], window=np.ones(3)), ValueError, "window.*shape"),
    (lambda sp: sp.compute_ifft(X[0], n=0), ValueError, "n=0"),
    (lambda sp: sp.power_spectral_density(X[0, :100]), ValueError, "nperseg=256.*larger"),
    (lambda sp: sp.power_spectral_density(X[0], nperseg=64, noverlap=64), ValueError, "noverlap=64.*less than nperseg"),
    (lambda sp: sp.power_spectral_density(X[0], nperseg=0), ValueError, "nperseg"),
    (lambda sp: sp.power_spectral_density(X[0], nperseg=64.5), TypeError, "nperseg"),
    (lambda sp: sp.power_spectral_density(X[0], method="bartlett"), ValueError, "method.*'welch', 'periodogram'"),
    (lambda sp: sp.power_spectral_density(X[0], scaling="power"), ValueError, "scaling.*'density'"),
    (lambda sp: sp.compute_spectrogram(X[0, :10]), ValueError, "nperseg"),
    (lambda sp: sp.compute_coherence(X[0], X[0, :500]), ValueError, "y.*samples"),
    (lambda sp: sp.compute_coherence(X[0], np.ones(1200)), ValueError, "y.*zero power"),
    (lambda sp: sp.compute_correlation(X[0], np.zeros(10)), ValueError, "y.*zeros"),
    (lambda sp: sp.compute_correlation(X[0], X[0], mode="circular"), ValueError, "mode.*'full'"),
    (lambda sp: sp.convolve(X[:3], Y[:2], "full"), ValueError, "b.*broadcast"),
    (lambda sp: sp.convolve(X[0], Y[0], mode="bogus"), ValueError, "mode"),
    (lambda sp: sp.design_filter("lowpass", 60.0), ValueError, "cutoff.*0, 50"),
    (lambda sp: sp.design_filter("lowpass", 0.0), ValueError, "cutoff"),
    (lambda sp: sp.design_filter("bandpass", 10.0), ValueError, "cutoff.*two frequencies"),
    (lambda sp: sp.design_filter("bandpass", (20.0, 10.0)), ValueError, "cutoff.*low < high"),
    (lambda sp: sp.design_filter("lowpass", (5.0, 10.0)), ValueError, "cutoff.*one frequency"),
    (lambda sp: sp.design_filter("notch", 10.0), ValueError, "filter_type.*'lowpass'"),
    (lambda sp: sp.design_filter("lowpass", 10.0, order=0), ValueError, "order"),
    (lambda sp: sp.apply_filter(X[0], SOS, method="lfilter"), ValueError, "method.*'filtfilt'"),
    (lambda sp: sp.apply_filter(X[0], SOS[:, :5]), ValueError, "sos.*shape"),
    (lambda sp: sp.apply_filter(X[0], SOS * 2), ValueError, r"sos\[:, 3\]"),
    (lambda sp: sp.apply_filter(X[0, :15], SOS), ValueError, "signal.*padlen|signal.*pads"),
    (lambda sp: sp.apply_filter(Z[0], SOS), TypeError, "signal.*real"),
    (lambda sp: sp.detect_peaks(X[:2]), ValueError, "signal.*1-D"),
    (lambda sp: sp.detect_peaks(X[0], distance=0.5), ValueError, "distance"),
    (lambda sp: sp.detect_peaks(X[0], height="high"), TypeError, "height"),
    (lambda sp: sp.detect_peaks(X[0], prominence=(2.0, 1.0)), ValueError, "prominence"),
    (lambda sp: sp.dominant_frequencies(X[0], k=0), ValueError, "k=0"),
    (lambda sp: sp.dominant_frequencies(X[0, :4], k=3), ValueError, "k=3"),
    (lambda sp: sp.generate_signal("triangle", 1.0), ValueError, "signal_type.*'sine'"),
    (lambda sp: sp.generate_signal("sine", -1.0), ValueError, "duration"),
    (lambda sp: sp.generate_signal("sine", 1e-6), ValueError, "duration.*no sample"),
    (lambda sp: sp.generate_signal("sine", 1.0, frequency=0.0), ValueError, "frequency"),
    (lambda sp: sp.generate_signal("sine", 1.0, noise_level=-0.1), ValueError, "noise_level"),
]


@pytest.mark.parametrize("call,error,match", BAD, ids=range(len(BAD)))
def test_bad_input_is_refused_with_a_named_argument(sp, call, error, match):
    with pytest.raises(error, match=match):
        call(sp)


# -- property tests across backends ----------------------------------------------------
@HYPOTHESIS
@given(batch=st.integers(1, 3), n=st.integers(2, 300), seed=st.integers(0, 2**32 - 1))
def test_property_fft_matches_numpy(sp, backend_name, batch, n, seed):
    x = np.random.default_rng(seed).uniform(-1e3, 1e3, (batch, n))
    expected = np.abs(np.fft.rfft(x, axis=-1))
    assert_matches(sp.compute_fft(x, normalize=False)[1], expected, backend_name=backend_name)


@HYPOTHESIS
@given(
    n1=st.integers(1, 200),
    n2=st.integers(1, 200),
    mode=st.sampled_from(["full", "same", "valid"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_convolve_matches_scipy(sp, backend_name, n1, n2, mode, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, n1)), rng.standard_normal((1, n2))
    assert_matches(sp.convolve(a, b, mode), ss.fftconvolve(a, b, mode, axes=-1), backend_name=backend_name)


@HYPOTHESIS
@given(n=st.integers(16, 400), data=st.data())
def test_property_welch_matches_scipy(sp, backend_name, n, data):
    nperseg = data.draw(st.integers(2, n), label="nperseg")
    noverlap = data.draw(st.integers(0, nperseg - 1), label="noverlap")
    x = np.random.default_rng(n).standard_normal((2, n))
    f, pxx = sp.power_spectral_density(x, nperseg=nperseg, noverlap=noverlap)
    _, p_ref = ss.welch(x, FS, window="hann", nperseg=nperseg, noverlap=noverlap)
    assert_matches(pxx, p_ref, backend_name=backend_name)
