"""scicomp.keras: spectral layers in Keras models, serialisation, training, and import laziness."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.signal

from scicomp.backends import status

pytestmark = pytest.mark.skipif(not status("tensorflow").available, reason="tensorflow backend unavailable")

FS = 256.0
N = 256


@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("Keras runs on another backend here")
    return keras


@pytest.fixture(scope="module")
def layers(keras):
    import scicomp.keras as layers

    return layers


def _signals(n_rows: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n_rows, N)).astype(np.float32)


def test_import_scicomp_does_not_import_keras_or_tensorflow():
    code = "import sys, scicomp; assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_layers_match_scipy_in_float32(keras, layers):
    x = _signals()
    fft = layers.FFTMagnitude(FS, window="hann")(x)
    psd = layers.PowerSpectralDensity(FS, nperseg=64)(x)
    spec = layers.Spectrogram(FS, nperseg=64, noverlap=32)(x)
    log_spec = layers.Spectrogram(FS, nperseg=64, noverlap=32, log=True, eps=1e-6)(x)
    w = scipy.signal.get_window("hann", N)
    ref_fft = np.abs(np.fft.rfft(x.astype(np.float64) * w, axis=-1)) * 2 / w.sum()
    ref_fft[:, 0] /= 2
    ref_fft[:, -1] /= 2
    ref_psd = scipy.signal.welch(x.astype(np.float64), FS, nperseg=64)[1]
    ref_spec = scipy.signal.spectrogram(x.astype(np.float64), FS, window="hann", nperseg=64, noverlap=32)[2]
    for out, ref in ((fft, ref_fft), (psd, ref_psd), (spec, ref_spec), (log_spec, np.log(ref_spec + 1e-6))):
        assert out.dtype.name == "float32"  # the layer's compute dtype, no silent upcast
        np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-4, atol=1e-6 * float(np.abs(ref).max()))


def test_float64_layer_computes_in_float64(keras, layers):
    x = _signals().astype(np.float64)
    out = layers.PowerSpectralDensity(FS, nperseg=64, dtype="float64")(x)
    assert out.dtype.name == "float64"
    np.testing.assert_allclose(np.asarray(out), scipy.signal.welch(x, FS, nperseg=64)[1], rtol=1e-10)


def test_output_shapes_and_bad_arguments(keras, layers):
    model = keras.Sequential([keras.Input((N,)), layers.Spectrogram(FS, nperseg=64, noverlap=32)])
    assert model.output_shape == (None, 33, 7)
    assert layers.FFTMagnitude(FS).compute_output_shape((None, N)) == (None, N // 2 + 1)
    assert layers.PowerSpectralDensity(FS, nperseg=64).compute_output_shape((None, 3, N)) == (None, 3, 33)
    with pytest.raises(ValueError, match="nperseg"):
        keras.Sequential([keras.Input((N,)), layers.Spectrogram(FS, nperseg=2 * N)])
    with pytest.raises(ValueError, match="window"):
        keras.Sequential([keras.Input((N,)), layers.FFTMagnitude(FS, window="no-such-window")])


def test_save_and_reload_keras_format(keras, layers, tmp_path):
    inputs = keras.Input((N,))
    branches = [
        keras.layers.Flatten()(layers.Spectrogram(FS, nperseg=32, window=("tukey", 0.25), log=True)(inputs)),
        layers.PowerSpectralDensity(FS, nperseg=64, log=True)(inputs),
        layers.FFTMagnitude(FS, window="hamming", normalize=False)(inputs),
    ]
    outputs = keras.layers.Dense(2)(keras.layers.Concatenate()(branches))
    model = keras.Model(inputs, outputs)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = _signals(3, seed=1)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)
    spec = next(layer for layer in loaded.layers if isinstance(layer, layers.Spectrogram))
    assert spec.window == ("tukey", 0.25) and spec.log and spec.nperseg == 32
    assert spec.get_config()["sampling_rate"] == FS


def _two_tone_dataset(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: a sine at 20-30 Hz, class 1: at 60-70 Hz; random phase and amplitude, noise of std 1."""
    rng = np.random.default_rng(seed)
    t = np.arange(N) / FS
    labels = np.repeat([0, 1], n_per_class)
    freqs = np.where(labels == 0, rng.uniform(20, 30, labels.size), rng.uniform(60, 70, labels.size))
    amps = rng.uniform(0.5, 1.5, labels.size)
    phases = rng.uniform(0, 2 * np.pi, labels.size)
    x = amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * t + phases[:, None]) + rng.standard_normal((labels.size, N))
    order = rng.permutation(labels.size)
    return x[order].astype(np.float32), labels[order]


def test_spectrogram_classifier_learns_two_tones(keras, layers):
    keras.utils.set_random_seed(0)
    x_train, y_train = _two_tone_dataset(150, seed=1)
    x_val, y_val = _two_tone_dataset(50, seed=2)
    model = keras.Sequential(
        [
            keras.Input((N,)),
            layers.Spectrogram(FS, nperseg=32, noverlap=16, log=True, eps=1e-6),
            keras.layers.Flatten(),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    assert accuracy >= 0.9
