"""Convolution and cross-correlation by FFT along the last axis (batch dimensions broadcast)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft

from .._validation import check_choice
from ..backends import Backend
from ._checks import is_complex, is_concrete, signal_array

__all__ = ["CONVOLUTION_MODES", "convolve", "compute_correlation"]

CONVOLUTION_MODES = ("full", "same", "valid")


def _fft_convolve(b: Backend, a: Any, v: Any, mode: str) -> Any:
    """scipy.signal.fftconvolve(a, v, mode, axes=-1) for validated backend arrays."""
    n1, n2 = a.shape[-1], v.shape[-1]
    length = n1 + n2 - 1
    if is_complex(b, a) or is_complex(b, v):
        nfft = scipy.fft.next_fast_len(length, False)
        out = b.fft.ifft(b.fft.fft(a, n=nfft, axis=-1) * b.fft.fft(v, n=nfft, axis=-1), n=nfft, axis=-1)
    else:
        nfft = scipy.fft.next_fast_len(length, True)
        out = b.fft.irfft(b.fft.rfft(a, n=nfft, axis=-1) * b.fft.rfft(v, n=nfft, axis=-1), n=nfft, axis=-1)
    out = out[..., :length]
    if mode == "full":
        return out
    keep = n1 if mode == "same" else max(n1, n2) - min(n1, n2) + 1
    start = (length - keep) // 2
    return out[..., start : start + keep]


def _check_pair(a: Any, v: Any, first: str, second: str) -> None:
    try:
        np.broadcast_shapes(*(tuple(1 if s is None else s for s in t.shape[:-1]) for t in (a, v)))  # None: tracing
    except ValueError as exc:
        raise ValueError(
            f"{second}: batch shape {tuple(v.shape)[:-1]} does not broadcast with {first}'s {tuple(a.shape)[:-1]}"
        ) from exc


def convolve(bk: Backend, a: Any, b: Any, mode: str = "full") -> Any:
    check_choice("mode", mode, CONVOLUTION_MODES)
    a = signal_array(bk, a, "a")
    v = signal_array(bk, b, "b")
    _check_pair(a, v, "a", "b")
    return _fft_convolve(bk, a, v, mode)


def _energy(b: Backend, x: Any) -> Any:
    xp = b.xp
    power = xp.square(xp.real(x)) + xp.square(xp.imag(x)) if is_complex(b, x) else xp.square(x)
    return xp.sum(power, axis=-1, keepdims=True)


def compute_correlation(b: Backend, x: Any, y: Any, mode: str = "full", normalize: bool = True) -> Any:
    check_choice("mode", mode, CONVOLUTION_MODES)
    xa = signal_array(b, x, "x")
    ya = signal_array(b, y, "y")
    _check_pair(xa, ya, "x", "y")
    xp = b.xp
    reversed_y = xp.flip(ya, axis=-1)
    if is_complex(b, ya):
        reversed_y = xp.conj(reversed_y)
    out = _fft_convolve(b, xa, reversed_y, mode)
    if not normalize:
        return out
    ex, ey = _energy(b, xa), _energy(b, ya)
    for name, energy in (("x", ex), ("y", ey)):
        if is_concrete(energy) and not bool(xp.all(energy > 0)):
            raise ValueError(f"{name}: is all zeros, so the correlation cannot be normalised; pass normalize=False")
    scale = xp.sqrt(ex * ey)
    if is_complex(b, out):
        scale = xp.astype(scale, out.dtype)
    return out / scale
