"""Validation and host-side constants shared by the signal algorithms.

Everything here runs on the host with NumPy/SciPy and touches only arguments
and constants (window values, frequency grids, segment indices), never the
values of a non-NumPy backend's array.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import _is_symbolic, as_array, check_positive_int
from ..backends import Backend

__all__ = [
    "WINDOW_EXAMPLES",
    "signal_array",
    "is_complex",
    "is_concrete",
    "window_values",
    "segment_params",
    "frames",
    "host_constant",
    "number_or_pair",
]

# A few of scipy.signal.get_window's names, quoted in error messages.
WINDOW_EXAMPLES = ("boxcar", "hann", "hamming", "blackman", "blackmanharris", "bartlett", "flattop", "nuttall", "tukey")


def signal_array(
    b: Backend,
    x: Any,
    name: str = "signal",
    *,
    allow_complex: bool = True,
    ndim: int | None = None,
    min_size: int = 1,
    finite: bool = True,
) -> Any:
    """``x`` as a backend array of rank >= 1 (the last axis is time), finite unless ``finite=False``.

    ``finite=False`` leaves the NaN/inf check to the caller (compute_fft reads it off its result).
    An array of the backend already in the configured dtype then only has its shape checked:
    this runs on every call, so it skips as_array's conversions.
    """
    if not finite and ndim is None and b.owns(x) and (x.dtype == b.float_dtype or (allow_complex and x.dtype == b.complex_dtype)):
        shape = tuple(x.shape)
        if shape and 0 not in shape and (shape[-1] is None or shape[-1] >= min_size):
            return x
    return as_array(b, x, name, ndim=ndim, min_ndim=1, allow_complex=allow_complex, min_size=min_size, finite=finite)


def is_concrete(x: Any) -> bool:
    """Whether ``x``'s values can be inspected now (False for a TensorFlow graph tensor)."""
    return not _is_symbolic(x)


def is_complex(b: Backend, x: Any) -> bool:
    return bool(b.xp.isdtype(x.dtype, "complex floating"))


def host_constant(b: Backend, values: Any, complex_: bool = False) -> Any:
    """A host constant as a backend array in the configured real (or complex) dtype."""
    return b.asarray(np.asarray(values), dtype=b.complex_dtype if complex_ else b.float_dtype)


def window_values(window: Any, n: int, name: str = "window") -> np.ndarray:
    """Host float64 values of ``window`` for ``n`` samples (scipy.signal.get_window, periodic).

    ``window`` is a get_window name (``'hann'``), a tuple with parameters
    (``('tukey', 0.25)``) or a 1-D host array of length ``n``.
    """
    import scipy.signal

    if isinstance(window, (str, tuple)):
        try:
            w = scipy.signal.get_window(window, n)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"{name}={window!r}: unknown or malformed window ({exc}); use a scipy.signal.get_window name "
                f"such as {', '.join(map(repr, WINDOW_EXAMPLES))}, or a tuple like ('tukey', 0.25)"
            ) from exc
    elif isinstance(window, (list, np.ndarray)):
        w = np.asarray(window)
        if w.dtype.kind not in "biuf":
            raise TypeError(f"{name}: window values must be real numbers, got dtype {w.dtype}")
        if w.shape != (n,):
            raise ValueError(f"{name}: a window array must have shape ({n},) here, got {w.shape}")
    else:
        raise TypeError(
            f"{name}: expected a window name (e.g. 'hann'), a (name, parameter) tuple or a 1-D array, got {type(window).__name__}"
        )
    w = np.asarray(w, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name}: window values contain NaN or inf")
    if w.sum() == 0 or not np.any(w):
        raise ValueError(f"{name}: window values sum to zero, so the spectrum cannot be normalised")
    return w


def _nonneg_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r}: must be an integer")
    if value < 0:
        raise ValueError(f"{name}={value!r}: must be >= 0")
    return int(value)


def segment_params(n: int, nperseg: Any, noverlap: Any, default_divisor: int = 2) -> tuple[int, int]:
    """Validated (nperseg, noverlap) for a signal of ``n`` samples.

    ``noverlap=None`` means ``nperseg // default_divisor`` (SciPy: 2 for
    welch/coherence, 8 for spectrogram).
    Unlike SciPy, which warns and shrinks ``nperseg``, a segment longer than
    the signal is an error.
    """
    nperseg = check_positive_int("nperseg", nperseg)
    if nperseg > n:
        raise ValueError(f"nperseg={nperseg}: larger than the signal ({n} samples along the last axis); pass nperseg <= {n}")
    if noverlap is None:
        noverlap = nperseg // default_divisor
    noverlap = _nonneg_int("noverlap", noverlap)
    if noverlap >= nperseg:
        raise ValueError(f"noverlap={noverlap}: must be less than nperseg={nperseg}")
    return nperseg, noverlap


def frames(b: Backend, x: Any, nperseg: int, step: int) -> Any:
    """Segments of ``x`` along its last axis: shape (..., n_segments, nperseg).

    Built with one ``take`` of a host index array, so it is the same code on
    every backend (and differentiable on TensorFlow).
    """
    n = x.shape[-1]
    n_segments = (n - nperseg) // step + 1
    index = (step * np.arange(n_segments)[:, None] + np.arange(nperseg)[None, :]).ravel()
    xp = b.xp
    taken = xp.take(x, b.asarray(index, dtype=xp.int64), axis=-1)  # 1-D indices: the Array API's take
    return xp.reshape(taken, (*tuple(x.shape[:-1]), n_segments, nperseg))


def number_or_pair(name: str, value: Any) -> Any:
    """None, a real number, or a (min, max) pair of numbers/None, as SciPy's find_peaks takes them."""
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not np.isfinite(value):
            raise ValueError(f"{name}={value!r}: must be finite")
        return float(value)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        pair = tuple(None if v is None else number_or_pair(name, v) for v in value)
        if any(isinstance(v, tuple) for v in pair):
            raise TypeError(f"{name}={value!r}: a (min, max) pair must hold numbers or None")
        if pair[0] is not None and pair[1] is not None and pair[0] > pair[1]:
            raise ValueError(f"{name}={value!r}: min must not exceed max")
        return pair
    raise TypeError(f"{name}={value!r}: must be None, a number or a (min, max) pair")
