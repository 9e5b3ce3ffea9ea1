"""Keras layers over scicomp's spectral functions: ``FFTMagnitude``, ``PowerSpectralDensity``, ``Spectrogram``.

Importing this module imports Keras 3 and TensorFlow (``import scicomp`` does
not). The layers run scicomp's TensorFlow backend on the tensors Keras hands
them, so they work in ``keras.Sequential`` and functional models, inside
``model.fit`` (graph mode), with unknown batch sizes, and gradients flow
through them to earlier layers. Each layer computes in its Keras compute
dtype (float32 by default, ``dtype="float64"`` for double precision): no
silent up- or down-cast. They are registered serialisables (package
``"scicomp"``), so a model using them saves to and loads from ``.keras``
files.

>>> import keras
>>> from scicomp.keras import Spectrogram
>>> model = keras.Sequential([keras.Input((512,)), Spectrogram(1000.0, nperseg=64, log=True),
...                           keras.layers.Flatten(), keras.layers.Dense(2)])  # doctest: +SKIP

Keras must run on its TensorFlow backend (``KERAS_BACKEND=tensorflow``, the
default with TensorFlow installed).
"""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np

from . import config as _config
from .backends import get_backend
from .signal import SignalProcessor
from .signal._checks import segment_params, window_values

__all__ = ["FFTMagnitude", "PowerSpectralDensity", "Spectrogram"]

logger = logging.getLogger("scicomp.keras")

_PACKAGE = "scicomp"


def _check_keras_backend() -> None:
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"scicomp.keras layers need Keras on its TensorFlow backend, not {keras.backend.backend()!r}; "
            "set KERAS_BACKEND=tensorflow before importing keras"
        )


def _window_argument(window: Any) -> Any:
    """A window as given, with a JSON round trip's list ``['tukey', 0.25]`` turned back into a tuple."""
    if isinstance(window, list) and window and isinstance(window[0], str):
        return tuple(window)
    if isinstance(window, np.ndarray):
        return window.tolist()
    return window


def _window_config(window: Any) -> Any:
    """A window in a JSON-friendly form for ``get_config``."""
    if isinstance(window, np.ndarray):
        return window.tolist()
    return list(window) if isinstance(window, tuple) else window


class _SpectralLayer(keras.layers.Layer):
    """Shared pieces: sampling rate, the processor, and running in the layer's compute dtype."""

    def __init__(self, sampling_rate: float = 1.0, **kwargs: Any):
        _check_keras_backend()
        super().__init__(**kwargs)
        self._processor = SignalProcessor(sampling_rate, backend="tensorflow")
        self.sampling_rate = self._processor.sampling_rate
        precision = keras.backend.standardize_dtype(self.compute_dtype)
        if precision not in ("float32", "float64"):
            raise ValueError(f"dtype={self.compute_dtype!r}: scicomp layers compute in float32 or float64")
        self._precision = precision
        with _config.config_context(float_precision=precision):
            get_backend("tensorflow")  # fail now if TensorFlow cannot run; sets AutoGraph to skip scicomp

    def _run(self, function: str, inputs: Any, **kwargs: Any) -> Any:
        with _config.config_context(float_precision=self._precision):
            return getattr(self._processor, function)(inputs, **kwargs)

    def _signal_length(self, input_shape: Any) -> int:
        n = input_shape[-1]
        if n is None:
            raise ValueError(f"{type(self).__name__}: the time axis (last) must have a known length, got shape {input_shape}")
        return int(n)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["sampling_rate"] = self.sampling_rate
        return config


@keras.saving.register_keras_serializable(package=_PACKAGE)
class FFTMagnitude(_SpectralLayer):
    """Amplitude spectrum of the last axis: (..., n) -> (..., n // 2 + 1).

    :meth:`scicomp.signal.SignalProcessor.compute_fft` of a real signal
    (``window``: a scipy.signal.get_window name, a (name, parameter) tuple or
    None; ``normalize``: amplitude scaling, so a sine of amplitude A peaks at A).
    """

    def __init__(self, sampling_rate: float = 1.0, window: Any = None, normalize: bool = True, **kwargs: Any):
        super().__init__(sampling_rate, **kwargs)
        self.window = _window_argument(window)
        self.normalize = bool(normalize)

    def build(self, input_shape: Any) -> None:
        n = self._signal_length(input_shape)
        if self.window is not None:
            window_values(self.window, n)  # a bad window fails when the model is built
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        return self._run("compute_fft", inputs, window=self.window, normalize=self.normalize)[1]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape[:-1], self._signal_length(input_shape) // 2 + 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "window": _window_config(self.window), "normalize": self.normalize}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class PowerSpectralDensity(_SpectralLayer):
    """Welch (or periodogram) power spectral density of the last axis: (..., n) -> (..., n_freqs).

    :meth:`scicomp.signal.SignalProcessor.power_spectral_density`, equal to
    scipy.signal.welch; ``log=True`` returns ``log(psd + eps)``, the usual
    feature for a network (the spectrum spans decades).
    """

    def __init__(
        self,
        sampling_rate: float = 1.0,
        method: str = "welch",
        nperseg: int = 256,
        noverlap: int | None = None,
        window: Any = "hann",
        scaling: str = "density",
        log: bool = False,
        eps: float = 1e-10,
        **kwargs: Any,
    ):
        super().__init__(sampling_rate, **kwargs)
        self.method, self.nperseg, self.noverlap = method, nperseg, noverlap
        self.window, self.scaling = _window_argument(window), scaling
        self.log, self.eps = bool(log), float(eps)

    def _n_freqs(self, n: int) -> int:
        nperseg = n if self.method == "periodogram" else segment_params(n, self.nperseg, self.noverlap)[0]
        return nperseg // 2 + 1

    def build(self, input_shape: Any) -> None:
        self._n_freqs(self._signal_length(input_shape))  # bad segment sizes fail when the model is built
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        kwargs = dict(method=self.method, nperseg=self.nperseg, noverlap=self.noverlap, window=self.window, scaling=self.scaling)
        psd = self._run("power_spectral_density", inputs, **kwargs)[1]
        return keras.ops.log(psd + self.eps) if self.log else psd

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape[:-1], self._n_freqs(self._signal_length(input_shape)))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "method": self.method,
            "nperseg": self.nperseg,
            "noverlap": self.noverlap,
            "window": _window_config(self.window),
            "scaling": self.scaling,
            "log": self.log,
            "eps": self.eps,
        }


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Spectrogram(_SpectralLayer):
    """Spectrogram of the last axis: (..., n) -> (..., n_freqs, n_times).

    :meth:`scicomp.signal.SignalProcessor.compute_spectrogram` (PSD scaling,
    equal to scipy.signal.spectrogram). ``log=True`` returns
    ``log(Sxx + eps)`` (log power, what spectrogram classifiers learn from).
    Add ``keras.layers.Reshape((n_freqs, n_times, 1))`` for 2-D convolutions.
    """

    def __init__(
        self,
        sampling_rate: float = 1.0,
        nperseg: int = 256,
        noverlap: int | None = None,
        window: Any = "hann",
        log: bool = False,
        eps: float = 1e-10,
        **kwargs: Any,
    ):
        super().__init__(sampling_rate, **kwargs)
        self.nperseg, self.noverlap, self.window = nperseg, noverlap, _window_argument(window)
        self.log, self.eps = bool(log), float(eps)

    def _grid(self, n: int) -> tuple[int, int]:
        nperseg, noverlap = segment_params(n, self.nperseg, self.noverlap, default_divisor=8)
        return nperseg // 2 + 1, (n - nperseg) // (nperseg - noverlap) + 1

    def build(self, input_shape: Any) -> None:
        self._grid(self._signal_length(input_shape))
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        sxx = self._run("compute_spectrogram", inputs, nperseg=self.nperseg, noverlap=self.noverlap, window=self.window)[2]
        return keras.ops.log(sxx + self.eps) if self.log else sxx

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape[:-1], *self._grid(self._signal_length(input_shape)))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "nperseg": self.nperseg,
            "noverlap": self.noverlap,
            "window": _window_config(self.window),
            "log": self.log,
            "eps": self.eps,
        }
