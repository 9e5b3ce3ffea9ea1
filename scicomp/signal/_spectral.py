"""Spectra: FFT amplitude spectrum, inverse FFT, Welch/periodogram PSD, spectrogram, coherence.

The segmenting, detrending, windowing and scaling follow SciPy's
``_spectral_helper`` step by step (``detrend='constant'``, no boundary
extension or padding), so results equal scipy.signal's to rounding on every
backend. Real input gives one-sided spectra, complex input two-sided ones.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
import scipy.fft

from .._validation import check_choice, check_positive_int
from ..backends import Backend
from ._checks import frames, host_constant, is_complex, is_concrete, segment_params, signal_array, window_values

__all__ = [
    "PSD_METHODS",
    "SCALINGS",
    "compute_fft",
    "compute_ifft",
    "dominant_frequencies",
    "power_spectral_density",
    "compute_spectrogram",
    "compute_coherence",
]

PSD_METHODS = ("welch", "periodogram")
SCALINGS = ("density", "spectrum")


def _fftshift(b: Backend, x: Any) -> Any:
    """numpy.fft.fftshift along the last axis, with slicing and concat only."""
    n = x.shape[-1]
    cut = (n + 1) // 2
    return b.xp.concat([x[..., cut:], x[..., :cut]], axis=-1)


class _FFTPlan(NamedTuple):
    """Host constants of one compute_fft configuration (read-only: they are cached and shared)."""

    freqs: np.ndarray
    weights: np.ndarray | None
    window: np.ndarray | None
    complex_input: bool


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _make_fft_plan(n: int, fs: float, window: Any, normalize: bool, dtype: Any) -> _FFTPlan:
    complex_input = np.dtype(getattr(dtype, "as_numpy_dtype", dtype)).kind == "c"
    w = None if window is None else window_values(window, n)
    gain = float(n if w is None else w.sum())  # coherent gain: a sine of amplitude A peaks at A
    if complex_input:
        freqs = np.fft.fftshift(scipy.fft.fftfreq(n, 1 / fs))
        weights = np.full(n, 1 / gain)
    else:
        freqs = scipy.fft.rfftfreq(n, 1 / fs)
        weights = np.full(freqs.shape[0], 2 / gain)
        weights[0] = 1 / gain
        if n % 2 == 0:
            weights[-1] = 1 / gain  # the Nyquist bin has no mirror image either
    return _FFTPlan(
        _read_only(freqs), _read_only(weights) if normalize else None, None if w is None else _read_only(w), complex_input
    )


_cached_fft_plan = functools.lru_cache(maxsize=128)(_make_fft_plan)


def _fft_plan(n: int, fs: float, window: Any, normalize: bool, dtype: Any) -> _FFTPlan:
    """The plan for a signal of ``n`` samples of ``dtype``, cached unless the window is an array."""
    if window is None or isinstance(window, (str, tuple)):
        try:
            return _cached_fft_plan(n, fs, window, normalize, dtype)
        except TypeError:  # a tuple holding something unhashable: validated uncached below
            pass
    return _make_fft_plan(n, fs, window, normalize, dtype)


def compute_fft(b: Backend, fs: float, signal: Any, window: Any = None, normalize: bool = True) -> tuple[Any, Any]:
    # Finiteness is read off the spectrum's DC bin by the kernel, not by a separate pass over the input.
    x = signal_array(b, signal, finite=False)
    plan = _fft_plan(x.shape[-1], fs, window, bool(normalize), x.dtype)
    if plan.window is not None:
        x = x * b.kernels.cached_constant(b, plan.window, x.dtype)
    magnitudes, finite = b.kernels.magnitude_spectrum(b, x, plan.weights, not plan.complex_input)
    if finite is False:
        raise ValueError("signal: contains NaN or inf; clean or interpolate the data first")
    if plan.complex_input:
        magnitudes = _fftshift(b, magnitudes)
    return b.kernels.cached_constant(b, plan.freqs), magnitudes


def compute_ifft(b: Backend, spectrum: Any, n: Any = None) -> Any:
    x = signal_array(b, spectrum, "spectrum")
    if n is not None:
        n = check_positive_int("n", n)
    return b.fft.ifft(x, n=n, axis=-1)


def dominant_frequencies(b: Backend, fs: float, signal: Any, k: Any = 1) -> Any:
    x = signal_array(b, signal)
    k = check_positive_int("k", k)
    n = x.shape[-1]
    complex_input = is_complex(b, x)
    n_bins = n if complex_input else n // 2 + 1
    if k > n_bins - 1:
        raise ValueError(f"k={k}: the spectrum of {n} samples has only {n_bins - 1} bin(s) besides DC; pass k <= {n_bins - 1}")
    freqs, magnitudes = compute_fft(b, fs, x, normalize=True)
    dc = n // 2 if complex_input else 0
    xp = b.xp
    magnitudes = xp.concat([magnitudes[..., :dc], magnitudes[..., dc + 1 :]], axis=-1)
    host_freqs = np.fft.fftshift(scipy.fft.fftfreq(n, 1 / fs)) if complex_input else scipy.fft.rfftfreq(n, 1 / fs)
    order = xp.argsort(-magnitudes, axis=-1)[..., :k]
    picked = xp.take(host_constant(b, np.delete(host_freqs, dc)), xp.reshape(order, (-1,)), axis=0)
    return xp.reshape(picked, tuple(order.shape))


def _windowed_ffts(b: Backend, x: Any, w: np.ndarray, nperseg: int, step: int, complex_input: bool) -> Any:
    """FFT of every detrended, windowed segment: shape (..., n_segments, n_freqs)."""
    xp = b.xp
    seg = frames(b, x, nperseg, step)
    seg = seg - xp.mean(seg, axis=-1, keepdims=True)  # detrend='constant'
    seg = seg * host_constant(b, w, complex_input)
    return b.fft.fft(seg, axis=-1) if complex_input else b.fft.rfft(seg, axis=-1)


def _scale_vector(fs: float, w: np.ndarray, nperseg: int, scaling: str, onesided: bool) -> np.ndarray:
    """SciPy's density/spectrum scale per frequency bin, doubled where one side folds onto the other."""
    scale = 1.0 / (fs * (w * w).sum()) if scaling == "density" else 1.0 / w.sum() ** 2
    n_freqs = nperseg // 2 + 1 if onesided else nperseg
    vector = np.full(n_freqs, scale)
    if onesided:
        if nperseg % 2:
            vector[1:] *= 2
        else:
            vector[1:-1] *= 2
    return vector


def _frequencies(fs: float, nperseg: int, onesided: bool) -> np.ndarray:
    return scipy.fft.rfftfreq(nperseg, 1 / fs) if onesided else scipy.fft.fftfreq(nperseg, 1 / fs)


def _power(b: Backend, spectra: Any) -> Any:
    xp = b.xp
    return xp.square(xp.real(spectra)) + xp.square(xp.imag(spectra))


def _segment_psd(b: Backend, fs: float, x: Any, window: Any, nperseg: int, noverlap: int, scaling: str) -> tuple[np.ndarray, Any]:
    """Per-segment PSD (..., n_segments, n_freqs) and the host frequency grid."""
    check_choice("scaling", scaling, SCALINGS)
    w = window_values(window, nperseg)
    onesided = not is_complex(b, x)
    spectra = _windowed_ffts(b, x, w, nperseg, nperseg - noverlap, not onesided)
    scale = host_constant(b, _scale_vector(fs, w, nperseg, scaling, onesided))
    return _frequencies(fs, nperseg, onesided), _power(b, spectra) * scale


def power_spectral_density(
    b: Backend,
    fs: float,
    signal: Any,
    method: str = "welch",
    nperseg: Any = 256,
    noverlap: Any = None,
    window: Any = "hann",
    scaling: str = "density",
) -> tuple[Any, Any]:
    check_choice("method", method, PSD_METHODS)
    x = signal_array(b, signal)
    n = x.shape[-1]
    if method == "periodogram":  # one segment: the whole signal (nperseg/noverlap unused)
        nperseg, noverlap = n, 0
    else:
        nperseg, noverlap = segment_params(n, nperseg, noverlap)
    freqs, psd = _segment_psd(b, fs, x, window, nperseg, noverlap, scaling)
    return host_constant(b, freqs), b.xp.mean(psd, axis=-2)


def compute_spectrogram(
    b: Backend, fs: float, signal: Any, nperseg: Any = 256, noverlap: Any = None, window: Any = "hann"
) -> tuple[Any, Any, Any]:
    x = signal_array(b, signal)
    n = x.shape[-1]
    nperseg, noverlap = segment_params(n, nperseg, noverlap, default_divisor=8)  # scipy's spectrogram default
    freqs, psd = _segment_psd(b, fs, x, window, nperseg, noverlap, "density")
    step = nperseg - noverlap
    times = (nperseg / 2 + step * np.arange((n - nperseg) // step + 1)) / float(fs)
    return host_constant(b, freqs), host_constant(b, times), b.xp.matrix_transpose(psd)


def compute_coherence(b: Backend, fs: float, x: Any, y: Any, nperseg: Any = 256) -> tuple[Any, Any]:
    xa = signal_array(b, x, "x")
    ya = signal_array(b, y, "y")
    if xa.shape[-1] != ya.shape[-1]:
        raise ValueError(f"y: must have as many samples as x along the last axis ({ya.shape[-1]} != {xa.shape[-1]})")
    try:
        np.broadcast_shapes(*(tuple(1 if s is None else s for s in t.shape[:-1]) for t in (xa, ya)))  # None: tracing
    except ValueError as exc:
        raise ValueError(f"y: batch shape {tuple(ya.shape)} does not broadcast with x's {tuple(xa.shape)}") from exc
    nperseg, noverlap = segment_params(xa.shape[-1], nperseg, None)
    complex_input = is_complex(b, xa) or is_complex(b, ya)
    if complex_input:
        xa, ya = (b.xp.astype(v, b.complex_dtype) for v in (xa, ya))
    w = window_values("hann", nperseg)
    step = nperseg - noverlap
    fx = _windowed_ffts(b, xa, w, nperseg, step, complex_input)
    fy = _windowed_ffts(b, ya, w, nperseg, step, complex_input)
    xp = b.xp
    scale = host_constant(b, _scale_vector(fs, w, nperseg, "density", not complex_input))
    rx, ix, ry, iy = xp.real(fx), xp.imag(fx), xp.real(fy), xp.imag(fy)
    pxx = xp.mean((xp.square(rx) + xp.square(ix)) * scale, axis=-2)
    pyy = xp.mean((xp.square(ry) + xp.square(iy)) * scale, axis=-2)
    pxy_re = xp.mean((rx * ry + ix * iy) * scale, axis=-2)  # conj(X) * Y
    pxy_im = xp.mean((rx * iy - ix * ry) * scale, axis=-2)
    for name, power in (("x", pxx), ("y", pyy)):
        if is_concrete(power) and not bool(xp.all(power > 0)):
            raise ValueError(f"{name}: has zero power in some frequency bin (a constant segment?); coherence is undefined there")
    coherence = (xp.square(pxy_re) + xp.square(pxy_im)) / pxx / pyy
    return host_constant(b, _frequencies(fs, nperseg, not complex_input)), coherence
