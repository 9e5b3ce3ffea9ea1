"""Butterworth filter design, zero-phase / causal filtering, and peak detection."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_choice, check_positive_int
from ..backends import Backend, backend_of, to_numpy
from ._checks import host_constant, number_or_pair, signal_array

__all__ = ["FILTER_TYPES", "FILTER_METHODS", "design_filter", "apply_filter", "detect_peaks", "filtfilt_padlen"]

FILTER_TYPES = ("lowpass", "highpass", "bandpass", "bandstop")
FILTER_METHODS = ("filtfilt", "filter")


def _cutoff(filter_type: str, cutoff: Any, fs: float) -> float | tuple[float, float]:
    nyquist = fs / 2
    band = filter_type in ("bandpass", "bandstop")
    values = cutoff if isinstance(cutoff, (Sequence, np.ndarray)) and not isinstance(cutoff, str) else [cutoff]
    values = list(np.asarray(values).ravel()) if isinstance(values, np.ndarray) else list(values)
    want = "two frequencies [low, high]" if band else "one frequency"
    if len(values) != (2 if band else 1):
        raise ValueError(f"cutoff={cutoff!r}: a {filter_type} filter needs {want} in Hz")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"cutoff={cutoff!r}: frequencies must be real numbers (Hz)")
        if not 0 < v < nyquist:
            raise ValueError(f"cutoff={cutoff!r}: each frequency must lie in (0, {nyquist:g}) Hz, the Nyquist range at fs={fs:g}")
    if band and not values[0] < values[1]:
        raise ValueError(f"cutoff={cutoff!r}: the band must be [low, high] with low < high")
    return (float(values[0]), float(values[1])) if band else float(values[0])


def design_filter(b: Backend, fs: float, filter_type: str, cutoff: Any, order: Any = 5) -> Any:
    import scipy.signal

    check_choice("filter_type", filter_type, FILTER_TYPES)
    order = check_positive_int("order", order)
    wn = _cutoff(filter_type, cutoff, fs)
    sos = scipy.signal.butter(order, wn, btype=filter_type, fs=fs, output="sos")
    return host_constant(b, sos)


def _host_sos(sos: Any) -> np.ndarray:
    """The (small) coefficient array on the host, checked like SciPy does."""
    if sos is None or isinstance(sos, (str, bytes)):
        raise TypeError(f"sos: expected an (n_sections, 6) array of second-order sections, got {type(sos).__name__}")
    try:
        host = to_numpy(sos) if backend_of(sos) is not None else np.asarray(sos)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"sos: cannot be read as a numeric array ({exc})") from exc
    if host.dtype.kind not in "biuf":
        raise TypeError(f"sos: expected real coefficients, got dtype {host.dtype}")
    host = host.astype(np.float64)
    if host.ndim != 2 or host.shape[1] != 6 or host.shape[0] < 1:
        raise ValueError(f"sos: expected shape (n_sections, 6), got {host.shape}")
    if not np.all(np.isfinite(host)):
        raise ValueError("sos: contains NaN or inf")
    if not np.all(host[:, 3] == 1):
        raise ValueError("sos: the a0 coefficients sos[:, 3] must all be 1 (normalised sections, as scipy.signal makes)")
    return host


def filtfilt_padlen(sos: np.ndarray) -> int:
    """SciPy's default padlen of sosfiltfilt: 3 * (2 * n_sections + 1 - trailing zero taps)."""
    ntaps = 2 * sos.shape[0] + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * ntaps


def apply_filter(b: Backend, signal: Any, sos: Any, method: str = "filtfilt") -> Any:
    check_choice("method", method, FILTER_METHODS)
    host = _host_sos(sos)
    x = signal_array(b, signal, allow_complex=False)
    if method == "filter":
        return b.kernels.sosfilt(b, host, x)
    padlen = filtfilt_padlen(host)
    if x.shape[-1] <= padlen:
        raise ValueError(
            f"signal: filtfilt with {host.shape[0]} section(s) pads {padlen} samples at each end and needs more than "
            f"{padlen} samples along the last axis, got {x.shape[-1]}; use method='filter' or a lower order"
        )
    return b.kernels.sosfiltfilt(b, host, x, padlen)


def detect_peaks(b: Backend, signal: Any, height: Any = None, distance: Any = None, prominence: Any = None) -> dict[str, Any]:
    x = signal_array(b, signal, allow_complex=False, ndim=1)
    height = number_or_pair("height", height)
    prominence = number_or_pair("prominence", prominence)
    if distance is not None:
        if isinstance(distance, bool) or not isinstance(distance, numbers.Real):
            raise TypeError(f"distance={distance!r}: must be a number of samples")
        if not (np.isfinite(distance) and distance >= 1):
            raise ValueError(f"distance={distance!r}: must be a finite number of samples >= 1")
    indices = b.kernels.find_peaks(b, x, height, distance, prominence)
    return {"indices": indices, "values": b.xp.take(x, indices, axis=0)}
