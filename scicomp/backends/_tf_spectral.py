"""FFT and linear algebra for the TensorFlow backend, with NumPy's signatures.

tf.signal transforms only the innermost axis and tf.linalg differs from
numpy.linalg in argument order and in how it reports a singular matrix; this
module hides both so algorithms see one interface.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import namespace

_NORMS = (None, "backward", "ortho", "forward")


class TensorFlowFFT:
    """fft, ifft, rfft, irfft, fftn, ifftn, fftfreq, rfftfreq over tf.signal."""

    def __init__(self, tf: Any, float_dtype: Any, complex_dtype: Any):
        self.tf = tf
        self.float_dtype = float_dtype
        self.complex_dtype = complex_dtype

    # -- helpers --------------------------------------------------------------
    def _to_last(self, x: Any, axis: int) -> tuple[Any, list[int] | None]:
        ndim = len(x.shape)
        axis = axis % ndim
        if axis == ndim - 1:
            return x, None
        perm = [i for i in range(ndim) if i != axis] + [axis]
        return self.tf.transpose(x, perm), perm

    def _from_last(self, x: Any, perm: list[int] | None) -> Any:
        if perm is None:
            return x
        inverse = [perm.index(i) for i in range(len(perm))]
        return self.tf.transpose(x, inverse)

    def _fit(self, x: Any, n: int | None) -> Any:
        """Zero-pad or crop the last axis to n (numpy's ``n=`` semantics)."""
        if n is None:
            return x
        length = x.shape[-1]
        if length is None:
            length = self.tf.shape(x)[-1]
        if isinstance(length, int) and length == n:
            return x
        if isinstance(length, int) and length > n:
            return x[..., :n]
        pad = [[0, 0]] * (len(x.shape) - 1) + [[0, n - length]]
        return self.tf.pad(x, pad)

    def _scale(self, x: Any, n: Any, norm: str | None, forward: bool) -> Any:
        if norm not in _NORMS:
            raise ValueError(f"norm={norm!r}: must be one of None, 'backward', 'ortho', 'forward'")
        # tf.signal's forward transforms are unscaled and its inverse ones divide by n.
        if norm in (None, "backward"):
            return x
        n = self.tf.cast(n, x.dtype)
        if norm == "ortho":
            return x / self.tf.sqrt(n) if forward else x * self.tf.sqrt(n)
        return x / n if forward else x * n

    def _complex(self, x: Any) -> Any:
        return x if x.dtype.is_complex else self.tf.cast(x, self.complex_dtype)

    # -- transforms ------------------------------------------------------------
    def fft(self, x: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
        x, perm = self._to_last(self._complex(x), axis)
        x = self._fit(x, n)
        out = self._scale(self.tf.signal.fft(x), self.tf.shape(x)[-1], norm, True)
        return self._from_last(out, perm)

    def ifft(self, x: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
        x, perm = self._to_last(self._complex(x), axis)
        x = self._fit(x, n)
        out = self._scale(self.tf.signal.ifft(x), self.tf.shape(x)[-1], norm, False)
        return self._from_last(out, perm)

    def rfft(self, x: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
        tf = self.tf
        if x.dtype.is_complex:
            raise TypeError("rfft needs a real input; use fft for complex signals")
        x, perm = self._to_last(x, axis)
        length = n if n is not None else (x.shape[-1] if x.shape[-1] is not None else tf.shape(x)[-1])
        out = tf.signal.rfft(x, fft_length=[length] if isinstance(length, int) else tf.reshape(length, [1]))
        return self._from_last(self._scale(out, length, norm, True), perm)

    def irfft(self, x: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> Any:
        tf = self.tf
        x, perm = self._to_last(self._complex(x), axis)
        if n is None:
            m = x.shape[-1] if x.shape[-1] is not None else tf.shape(x)[-1]
            n = 2 * (m - 1)
        out = tf.signal.irfft(x, fft_length=[n] if isinstance(n, int) else tf.reshape(n, [1]))
        return self._from_last(self._scale(out, n, norm, False), perm)

    def fftn(self, x: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
        axes = list(range(len(x.shape))) if axes is None else list(axes)
        sizes = [None] * len(axes) if s is None else list(s)
        for ax, n in zip(axes, sizes, strict=True):
            x = self.fft(x, n=n, axis=ax, norm=norm)
        return x

    def ifftn(self, x: Any, s: Any = None, axes: Any = None, norm: str | None = None) -> Any:
        axes = list(range(len(x.shape))) if axes is None else list(axes)
        sizes = [None] * len(axes) if s is None else list(s)
        for ax, n in zip(axes, sizes, strict=True):
            x = self.ifft(x, n=n, axis=ax, norm=norm)
        return x

    def fftfreq(self, n: int, d: float = 1.0) -> Any:
        return self.tf.constant(np.fft.fftfreq(n, d), dtype=self.float_dtype)

    def rfftfreq(self, n: int, d: float = 1.0) -> Any:
        return self.tf.constant(np.fft.rfftfreq(n, d), dtype=self.float_dtype)


def tensorflow_linalg(tf: Any) -> Any:
    """numpy.linalg's functions and return conventions over tf.linalg."""
    LinAlgError = np.linalg.LinAlgError

    def _checked(name: str, fn: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except tf.errors.InvalidArgumentError as exc:
                raise LinAlgError(f"{name}: the matrix is singular or not positive definite ({exc.message})") from exc

        call.__name__ = name
        return call

    def solve(a: Any, b: Any) -> Any:
        vector = len(b.shape) == len(a.shape) - 1
        x = tf.linalg.solve(a, b[..., None] if vector else b)
        return x[..., 0] if vector else x

    def lstsq(a: Any, b: Any) -> tuple[Any, Any, Any, Any]:
        vector = len(b.shape) == 1
        bm = b[:, None] if vector else b
        x = tf.linalg.lstsq(a, bm, fast=False)
        rank = matrix_rank(a)
        m, n = a.shape[-2], a.shape[-1]
        full_rank = bool(rank == n) if tf.executing_eagerly() else True  # tracing: rank unknown, assume full
        if full_rank and m > n:  # numpy reports residuals only for full-rank, tall systems
            residual = tf.reduce_sum(tf.square(tf.abs(tf.linalg.matmul(a, x) - bm)), axis=0)
        else:
            residual = tf.zeros([0], dtype=a.dtype)
        return (x[:, 0] if vector else x), residual, rank, tf.linalg.svd(a, compute_uv=False)

    def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
        if not compute_uv:
            return tf.linalg.svd(a, compute_uv=False)
        s, u, v = tf.linalg.svd(a, full_matrices=full_matrices)
        return u, s, tf.linalg.adjoint(v)

    def eigh(a: Any) -> tuple[Any, Any]:
        return tf.linalg.eigh(a)

    def eig(a: Any) -> tuple[Any, Any]:
        return tf.linalg.eig(a)

    def qr(a: Any, mode: str = "reduced") -> tuple[Any, Any]:
        if mode not in ("reduced", "complete"):
            raise ValueError(f"mode={mode!r}: must be 'reduced' or 'complete'")
        return tf.linalg.qr(a, full_matrices=mode == "complete")

    def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
        matrix = (axis is None and len(x.shape) == 2) or (isinstance(axis, tuple) and len(axis) == 2)
        if not matrix:
            if ord is None:
                ord = 2  # noqa: A001
            if axis is None:
                x = tf.reshape(x, [-1])
                axis = 0
            return tf.norm(x, ord=ord if ord != math.inf else np.inf, axis=axis, keepdims=keepdims)
        if axis not in (None, (-2, -1), (0, 1)) and len(x.shape) != 2:
            raise NotImplementedError("matrix norms over axes other than the last two")
        if ord in (None, "fro"):
            return tf.sqrt(tf.reduce_sum(tf.square(tf.abs(x)), axis=[-2, -1], keepdims=keepdims))
        if ord in ("nuc", 2, -2):
            s = tf.linalg.svd(x, compute_uv=False)
            out = tf.reduce_sum(s, -1) if ord == "nuc" else (tf.reduce_max(s, -1) if ord == 2 else tf.reduce_min(s, -1))
            return out[..., None, None] if keepdims else out
        col = tf.reduce_sum(tf.abs(x), axis=-2)
        row = tf.reduce_sum(tf.abs(x), axis=-1)
        table = {
            1: (col, tf.reduce_max),
            -1: (col, tf.reduce_min),
            math.inf: (row, tf.reduce_max),
            -math.inf: (row, tf.reduce_min),
        }
        if ord not in table:
            raise ValueError(f"ord={ord!r}: invalid norm order for matrices")
        sums, reduce = table[ord]
        out = reduce(sums, axis=-1)
        return out[..., None, None] if keepdims else out

    def matrix_rank(a: Any, tol: Any = None) -> Any:
        s = tf.linalg.svd(a, compute_uv=False)
        if tol is None:
            eps = np.finfo(a.dtype.as_numpy_dtype).eps
            tol = tf.reduce_max(s, axis=-1, keepdims=True) * max(a.shape[-2:]) * eps
        return tf.reduce_sum(tf.cast(s > tol, tf.int64), axis=-1)

    def cond(a: Any, p: Any = None) -> Any:
        if p in (None, 2, -2):
            s = tf.linalg.svd(a, compute_uv=False)
            big, small = tf.reduce_max(s, -1), tf.reduce_min(s, -1)
            return big / small if p != -2 else small / big
        return norm(a, p) * norm(_checked("inv", tf.linalg.inv)(a), p)

    def lu(a: Any) -> tuple[Any, Any, Any]:
        """(P, L, U) with a = P @ L @ U, as scipy.linalg.lu (square matrices)."""
        packed, perm = tf.linalg.lu(a)
        n = a.shape[-1]
        eye = tf.eye(n, dtype=a.dtype)
        lower = tf.linalg.band_part(packed, -1, 0) - tf.linalg.band_part(packed, 0, 0) + eye
        upper = tf.linalg.band_part(packed, 0, -1)
        # tf.linalg.lu gives a[perm] = L @ U, so a = P @ L @ U with P = eye[perm].T
        p = tf.transpose(tf.gather(eye, perm))
        return p, lower, upper

    return namespace(
        solve=_checked("solve", solve),
        lstsq=lstsq,
        inv=_checked("inv", tf.linalg.inv),
        det=tf.linalg.det,
        svd=svd,
        eigh=eigh,
        eig=eig,
        cholesky=_checked("cholesky", tf.linalg.cholesky),
        qr=qr,
        norm=norm,
        matrix_rank=matrix_rank,
        cond=cond,
        lu=lu,
    )
