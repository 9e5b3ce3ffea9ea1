"""SignalProcessor: the original framework's signal toolbox, on any backend.

Every method works along the last axis, so a (batch, n) array is processed in
one call (``detect_peaks`` excepted: its results are ragged, so it takes 1-D
signals). Inputs may be NumPy arrays, lists or the backend's own arrays;
outputs, including time and frequency vectors, are arrays of the backend the
call ran on, in the configured precision.
"""

from __future__ import annotations

import logging
from typing import Any

from .._validation import check_positive, element_count, resolve_backend
from ..backends import Backend
from ..config import current_config
from . import _convolution, _filtering, _generate, _spectral

__all__ = ["SignalProcessor"]

logger = logging.getLogger("scicomp.signal")


class SignalProcessor:
    """Signal generation, spectra, filtering and peak detection at one sampling rate.

    Parameters
    ----------
    sampling_rate : float, optional
        Samples per second (Hz), > 0. None: ``config.default_sampling_rate``,
        read when the processor is made.
    backend : str or Backend, optional
        Backend of every call (None: the configured one at call time). Each
        method's ``backend=`` keyword overrides it for that call.

    Examples
    --------
    >>> sp = SignalProcessor(sampling_rate=1000.0)
    >>> t, x = sp.generate_signal("sine", duration=1.0, frequency=50.0)
    >>> freqs, mags = sp.compute_fft(x)  # mags peaks at 1.0 at 50 Hz
    """

    def __init__(self, sampling_rate: float | None = None, backend: str | Backend | None = None):
        rate = current_config().default_sampling_rate if sampling_rate is None else sampling_rate
        self.sampling_rate = check_positive("sampling_rate", rate)
        if backend is not None:
            resolve_backend(backend)  # an unknown or unavailable backend fails here, not on the first call
        self.backend = backend

    def __repr__(self) -> str:
        return f"SignalProcessor(sampling_rate={self.sampling_rate:g}, backend={self.backend!r})"

    def _backend(self, backend: str | Backend | None, data: Any = None) -> Backend:
        """The call's backend; its data's size lets 'auto' follow the calibration profile."""
        return resolve_backend(self.backend if backend is None else backend, "fft", element_count(data))

    # -- generation --------------------------------------------------------------
    def generate_signal(
        self,
        signal_type: str,
        duration: float,
        frequency: float = 1.0,
        amplitude: float = 1.0,
        phase: float = 0.0,
        noise_level: float = 0.0,
        *,
        seed: int | None = None,
        backend: str | Backend | None = None,
    ) -> tuple[Any, Any]:
        """A test signal sampled at ``sampling_rate``: ``(t, x)``.

        ``t = arange(round(duration * fs)) / fs``. Types (``phase`` in radians):

        * ``sine`` / ``cosine``: ``A sin(2 pi f t + phase)`` / ``A cos(...)``.
        * ``square``, ``sawtooth``: ``A * scipy.signal.square(2 pi f t + phase)``
          (duty 0.5) and ``A * scipy.signal.sawtooth(...)`` (width 1).
        * ``chirp``: linear sweep from ``f`` to ``10 f`` over ``duration``,
          ``A * scipy.signal.chirp(t, f, duration, 10 f, 'linear', phi=degrees(phase))``.
        * ``multi_sine``: ``A sin(2 pi f t + phase) + A/2 sin(4 pi f t + phase) + A/3 sin(6 pi f t + phase)``.
        * ``noise``: white Gaussian noise of standard deviation ``A``.

        ``noise_level`` > 0 adds Gaussian noise of that standard deviation.
        Random numbers come from ``backend.random(seed)`` (None:
        ``config.default_random_seed``), so a call is reproducible on a
        given backend; different backends draw different streams.
        """
        b = self._backend(backend)
        return _generate.generate_signal(
            b, self.sampling_rate, signal_type, duration, frequency, amplitude, phase, noise_level, seed
        )

    # -- spectra -----------------------------------------------------------------
    def compute_fft(
        self, signal: Any, window: Any = None, normalize: bool = True, *, backend: str | Backend | None = None
    ) -> tuple[Any, Any]:
        """Magnitude spectrum along the last axis: ``(frequencies, magnitudes)``.

        A real signal of n samples gives the one-sided spectrum, all
        ``n // 2 + 1`` bins of ``rfftfreq(n, 1 / fs)`` (Nyquist kept). A
        complex signal gives the two-sided spectrum, fftshifted (frequencies
        ``fftshift(fftfreq(n, 1 / fs))``).

        ``normalize=True`` gives the amplitude spectrum: ``2 |X| / S`` for a
        real signal (``|X| / S`` at DC and Nyquist), ``|X| / S`` for a complex
        one, where ``S`` is the window's coherent gain ``sum(w)`` (``n``
        without a window). So a sine of amplitude A at a bin centre peaks at
        A with or without a window. ``normalize=False`` gives ``|X|`` of the
        windowed signal. ``window`` is a scipy.signal.get_window name (periodic,
        e.g. ``'hann'``), a (name, parameter) tuple or a host array of n values.
        """
        b = self._backend(backend, signal)
        return _spectral.compute_fft(b, self.sampling_rate, signal, window, normalize)

    def compute_ifft(self, spectrum: Any, n: int | None = None, *, backend: str | Backend | None = None) -> Any:
        """Inverse FFT along the last axis (``numpy.fft.ifft(spectrum, n)``): a complex array.

        It inverts the complex spectrum ``fft(x)``, not compute_fft's
        magnitudes (which have no phase). ``n`` crops or zero-pads the input.
        """
        b = self._backend(backend, spectrum)
        return _spectral.compute_ifft(b, spectrum, n)

    def power_spectral_density(
        self,
        signal: Any,
        method: str = "welch",
        nperseg: int = 256,
        noverlap: int | None = None,
        window: Any = "hann",
        scaling: str = "density",
        *,
        backend: str | Backend | None = None,
    ) -> tuple[Any, Any]:
        """Power spectral density ``(f, Pxx)``, equal to scipy.signal.welch / periodogram.

        ``method='welch'``: segments of ``nperseg`` samples overlapping by
        ``noverlap`` (None: ``nperseg // 2``), each detrended (constant) and
        windowed, their periodograms averaged. ``method='periodogram'``: one
        segment, the whole signal, with ``window`` (nperseg and noverlap
        unused). ``scaling``: ``'density'`` (V**2/Hz) or ``'spectrum'``
        (V**2). One-sided for a real signal, two-sided for a complex one.
        Raises ValueError when ``nperseg`` exceeds the signal length (SciPy
        only warns).
        """
        b = self._backend(backend, signal)
        return _spectral.power_spectral_density(b, self.sampling_rate, signal, method, nperseg, noverlap, window, scaling)

    def compute_spectrogram(
        self,
        signal: Any,
        nperseg: int = 256,
        noverlap: int | None = None,
        window: Any = "hann",
        *,
        backend: str | Backend | None = None,
    ) -> tuple[Any, Any, Any]:
        """Spectrogram ``(f, t, Sxx)``, equal to scipy.signal.spectrogram with this window.

        ``noverlap`` None means ``nperseg // 8`` (SciPy's spectrogram default).
        ``Sxx`` has shape (..., len(f), len(t)), PSD scaling; ``t`` holds the
        segment centres in seconds.
        """
        b = self._backend(backend, signal)
        return _spectral.compute_spectrogram(b, self.sampling_rate, signal, nperseg, noverlap, window)

    def compute_coherence(self, x: Any, y: Any, nperseg: int = 256, *, backend: str | Backend | None = None) -> tuple[Any, Any]:
        """Magnitude-squared coherence ``(f, Cxy)``, equal to scipy.signal.coherence.

        Welch estimates with a Hann window and ``nperseg // 2`` overlap;
        ``Cxy = |Pxy|**2 / (Pxx Pyy)``. x and y need the same length; batch
        dimensions broadcast. A signal with zero power in some bin raises
        ValueError (coherence is undefined there).
        """
        b = self._backend(backend, x)
        return _spectral.compute_coherence(b, self.sampling_rate, x, y, nperseg)

    def compute_correlation(
        self, x: Any, y: Any, mode: str = "full", normalize: bool = True, *, backend: str | Backend | None = None
    ) -> Any:
        """Cross-correlation of x and y along the last axis, by FFT.

        Equals ``scipy.signal.correlate(x, y, mode)`` per row (``mode``:
        'full', 'same', 'valid'); lag 0 of 'full' is at index ``len(y) - 1``.
        ``normalize=True`` divides by ``sqrt(sum|x|**2 * sum|y|**2)``, so an
        autocorrelation peaks at 1 and every value lies in [-1, 1].
        """
        b = self._backend(backend, x)
        return _convolution.compute_correlation(b, x, y, mode, normalize)

    def dominant_frequencies(self, signal: Any, k: int = 1, *, backend: str | Backend | None = None) -> Any:
        """The ``k`` frequencies (Hz) of largest amplitude in compute_fft's spectrum, DC excluded.

        Strongest first; shape (k,) for a 1-D signal, (..., k) for a batch.
        """
        b = self._backend(backend, signal)
        return _spectral.dominant_frequencies(b, self.sampling_rate, signal, k)

    # -- convolution and filters -----------------------------------------------------
    def convolve(self, a: Any, b: Any, mode: str = "full", *, backend: str | Backend | None = None) -> Any:
        """Convolution by FFT along the last axis, equal to ``scipy.signal.fftconvolve(a, b, mode, axes=-1)``.

        ``mode``: 'full' (n_a + n_b - 1 samples), 'same' (n_a, centred) or
        'valid' (|n_a - n_b| + 1). Batch dimensions broadcast.
        """
        bk = self._backend(backend, a)
        return _convolution.convolve(bk, a, b, mode)

    def design_filter(
        self, filter_type: str, cutoff: float | tuple[float, float], order: int = 5, *, backend: str | Backend | None = None
    ) -> Any:
        """A Butterworth filter as second-order sections, shape (n_sections, 6).

        ``scipy.signal.butter(order, cutoff, filter_type, fs=sampling_rate,
        output='sos')``, computed on the host and returned as a backend array.
        ``filter_type``: 'lowpass', 'highpass' (cutoff in Hz) or 'bandpass',
        'bandstop' (cutoff = [low, high] Hz); every cutoff in (0, fs/2).
        """
        b = self._backend(backend)
        return _filtering.design_filter(b, self.sampling_rate, filter_type, cutoff, order)

    def apply_filter(self, signal: Any, sos: Any, method: str = "filtfilt", *, backend: str | Backend | None = None) -> Any:
        """Filter a real signal along the last axis with second-order sections.

        ``method='filtfilt'``: zero-phase, equal to ``scipy.signal.sosfiltfilt``
        (odd padding of ``3 * (2 n_sections + 1 - trailing zero taps)``
        samples, so the signal must be longer than that). ``method='filter'``:
        causal, equal to ``scipy.signal.sosfilt``. On TensorFlow both run a
        compiled loop over time through which gradients flow (with respect to
        the signal). The coefficients (a small array) are read on the host and
        used in the signal's precision.
        """
        b = self._backend(backend, signal)
        return _filtering.apply_filter(b, signal, sos, method)

    def detect_peaks(
        self,
        signal: Any,
        height: Any = None,
        distance: Any = None,
        prominence: Any = None,
        *,
        backend: str | Backend | None = None,
    ) -> dict[str, Any]:
        """Peaks of a 1-D real signal: ``{'indices': ..., 'values': signal[indices]}``.

        Equal to ``scipy.signal.find_peaks(signal, height=..., distance=...,
        prominence=...)``: ``height`` and ``prominence`` are a minimum or a
        (min, max) pair, ``distance`` the minimum spacing in samples (>= 1).
        1-D only: a batch would give ragged results. On TensorFlow the search
        runs on the host through ``tf.numpy_function`` (one copy of the
        signal; indices and values come back as tensors).
        """
        b = self._backend(backend, signal)
        return _filtering.detect_peaks(b, signal, height, distance, prominence)
