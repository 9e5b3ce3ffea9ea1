"""A thin Array-API-named namespace over TensorFlow ops.

array-api-compat has no TensorFlow module, so this shim maps the standard's
names onto ``tf`` ops. Two rules make it safe for algorithms:

* Default floating dtype is the backend's configured precision, never
  TensorFlow's float32 default (and ops never upcast float32 silently).
* Every function is a TF op, so it traces inside ``tf.function`` and
  gradients flow through it.

Only what scicomp's algorithms use is here; the cross-backend tests catch a
missing name.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np


class TensorFlowNamespace:
    """Array API names for TensorFlow, with ``float_dtype`` as the default float."""

    pi = math.pi
    e = math.e
    inf = math.inf
    nan = math.nan

    def __init__(self, tf: Any, float_dtype: Any, complex_dtype: Any):
        self.tf = tf
        self.float_dtype = float_dtype
        self.complex_dtype = complex_dtype
        self.float32, self.float64 = tf.float32, tf.float64
        self.complex64, self.complex128 = tf.complex64, tf.complex128
        self.int32, self.int64, self.bool = tf.int32, tf.int64, tf.bool
        m = tf.math
        # Elementwise functions whose TF op already has the standard's semantics.
        for name, op in {
            "abs": m.abs,
            "exp": m.exp,
            "log": m.log,
            "log1p": m.log1p,
            "expm1": m.expm1,
            "sqrt": m.sqrt,
            "sin": m.sin,
            "cos": m.cos,
            "tan": m.tan,
            "tanh": m.tanh,
            "sinh": m.sinh,
            "cosh": m.cosh,
            "atan": m.atan,
            "asin": m.asin,
            "acos": m.acos,
            "atan2": m.atan2,
            "square": m.square,
            "sign": m.sign,
            "floor": m.floor,
            "ceil": m.ceil,
            "round": m.round,
            "maximum": m.maximum,
            "minimum": m.minimum,
            "real": m.real,
            "imag": m.imag,
            "conj": m.conj,
            "isnan": m.is_nan,
            "isinf": m.is_inf,
            "logical_and": m.logical_and,
            "logical_or": m.logical_or,
            "logical_not": m.logical_not,
            "pow": m.pow,
            "erf": m.erf,
            "erfc": m.erfc,
            "reshape": tf.reshape,
            "expand_dims": tf.expand_dims,
            "broadcast_to": tf.broadcast_to,
            "stack": tf.stack,
            "concat": tf.concat,
            "shape": tf.shape,
            "equal": m.equal,
            "greater": m.greater,
            "less": m.less,
            "floor_divide": m.floordiv,
            "remainder": m.floormod,
        }.items():
            setattr(self, name, op)
        self.concatenate = self.concat
        self.reshape = self._reshape  # tf.reshape, plus shapes with unknown (None) batch dimensions

    def _reshape(self, x: Any, shape: Any) -> Any:
        """tf.reshape that also takes a shape holding ``None`` (a dimension unknown while tracing).

        Algorithms build target shapes from ``x.shape``, whose leading
        dimensions are None under ``tf.function`` with a dynamic batch. A lone
        None becomes -1; several take the matching dimension of ``tf.shape(x)``
        (the leading-dimensions-kept pattern: ``(*x.shape[:-1], a, b)``).
        """
        tf = self.tf
        if isinstance(shape, (tuple, list)) and any(s is None for s in shape):
            if sum(s is None for s in shape) == 1 and -1 not in shape:
                shape = [-1 if s is None else s for s in shape]
            else:
                dynamic = tf.shape(x)
                shape = tf.stack([dynamic[i] if s is None else tf.constant(s, dynamic.dtype) for i, s in enumerate(shape)])
        return tf.reshape(x, shape)

    def isfinite(self, x: Any) -> Any:
        """Elementwise finiteness; a complex value is finite when both its parts are (tf.math.is_finite refuses complex)."""
        m = self.tf.math
        if getattr(x, "dtype", None) is not None and x.dtype.is_complex:
            return m.logical_and(m.is_finite(m.real(x)), m.is_finite(m.imag(x)))
        return m.is_finite(x)

    # -- creation -------------------------------------------------------------
    def _default(self, value: Any, dtype: Any) -> Any:
        if dtype is not None:
            return dtype
        if isinstance(value, (bool, np.bool_)):
            return self.tf.bool
        if isinstance(value, (int, np.integer)):
            return self.tf.int64
        if isinstance(value, complex):
            return self.complex_dtype
        return self.float_dtype

    def asarray(self, x: Any, dtype: Any = None, copy: bool | None = None) -> Any:
        tf = self.tf
        if isinstance(x, (tf.Tensor, tf.Variable)):
            return x if dtype is None or x.dtype == dtype else tf.cast(x, dtype)
        if dtype is None:
            kind = np.asarray(x).dtype.kind
            dtype = {"b": tf.bool, "i": tf.int64, "u": tf.int64, "c": self.complex_dtype}.get(kind, self.float_dtype)
        return tf.convert_to_tensor(np.asarray(x, dtype=tf.as_dtype(dtype).as_numpy_dtype))

    def astype(self, x: Any, dtype: Any, copy: bool = True) -> Any:
        return self.tf.cast(x, dtype)

    def zeros(self, shape: Any, dtype: Any = None) -> Any:
        return self.tf.zeros(shape, dtype=dtype or self.float_dtype)

    def ones(self, shape: Any, dtype: Any = None) -> Any:
        return self.tf.ones(shape, dtype=dtype or self.float_dtype)

    def empty(self, shape: Any, dtype: Any = None) -> Any:
        return self.zeros(shape, dtype)

    def full(self, shape: Any, fill_value: Any, dtype: Any = None) -> Any:
        return self.tf.fill(shape, self.tf.constant(fill_value, dtype=self._default(fill_value, dtype)))

    def zeros_like(self, x: Any, dtype: Any = None) -> Any:
        return self.tf.zeros_like(x, dtype=dtype)

    def ones_like(self, x: Any, dtype: Any = None) -> Any:
        return self.tf.ones_like(x, dtype=dtype)

    def full_like(self, x: Any, fill_value: Any, dtype: Any = None) -> Any:
        dtype = dtype or x.dtype
        return self.tf.fill(self.tf.shape(x), self.tf.constant(fill_value, dtype=dtype))

    def arange(self, start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Any:
        if stop is None:
            start, stop = 0, start
        if dtype is None:
            floats = any(isinstance(v, float) for v in (start, stop, step))
            dtype = self.float_dtype if floats else self.tf.int64
        return self.tf.range(start, stop, step, dtype=dtype)

    def linspace(self, start: Any, stop: Any, num: int, dtype: Any = None, endpoint: bool = True) -> Any:
        dtype = dtype or self.float_dtype
        if endpoint:
            return self.tf.linspace(self.tf.constant(start, dtype), self.tf.constant(stop, dtype), num)
        step = (stop - start) / num
        return self.tf.constant(start, dtype) + self.tf.range(num, dtype=dtype) * step

    def eye(self, n: int, m: int | None = None, dtype: Any = None) -> Any:
        return self.tf.eye(n, m, dtype=dtype or self.float_dtype)

    # -- reductions -------------------------------------------------------------
    def sum(self, x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
        return self.tf.reduce_sum(x if dtype is None else self.tf.cast(x, dtype), axis=axis, keepdims=keepdims)

    def prod(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return self.tf.reduce_prod(x, axis=axis, keepdims=keepdims)

    def mean(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return self.tf.reduce_mean(x, axis=axis, keepdims=keepdims)

    def var(self, x: Any, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
        tf = self.tf
        mean = tf.reduce_mean(x, axis=axis, keepdims=True)
        sq = tf.reduce_sum(tf.square(x - mean), axis=axis, keepdims=keepdims)
        n = tf.cast(tf.size(x) if axis is None else tf.shape(x)[axis], x.dtype)
        return sq / (n - correction)

    def std(self, x: Any, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
        return self.tf.sqrt(self.var(x, axis=axis, correction=correction, keepdims=keepdims))

    def max(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return self.tf.reduce_max(x, axis=axis, keepdims=keepdims)

    def min(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return self.tf.reduce_min(x, axis=axis, keepdims=keepdims)

    def all(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return self.tf.reduce_all(self.tf.cast(x, self.tf.bool), axis=axis, keepdims=keepdims)

    def any(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return self.tf.reduce_any(self.tf.cast(x, self.tf.bool), axis=axis, keepdims=keepdims)

    def argmax(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        if axis is None:
            x, axis = self.tf.reshape(x, [-1]), 0
        out = self.tf.argmax(x, axis=axis)
        return self.tf.expand_dims(out, axis) if keepdims else out

    def argmin(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        if axis is None:
            x, axis = self.tf.reshape(x, [-1]), 0
        out = self.tf.argmin(x, axis=axis)
        return self.tf.expand_dims(out, axis) if keepdims else out

    def cumulative_sum(self, x: Any, axis: int | None = None, dtype: Any = None, include_initial: bool = False) -> Any:
        tf = self.tf
        if axis is None:
            x, axis = tf.reshape(x, [-1]), 0
        out = tf.cumsum(x if dtype is None else tf.cast(x, dtype), axis=axis)
        if include_initial:
            zero = tf.zeros_like(tf.gather(out, [0], axis=axis))
            out = tf.concat([zero, out], axis=axis)
        return out

    def cumulative_prod(self, x: Any, axis: int | None = None) -> Any:
        if axis is None:
            x, axis = self.tf.reshape(x, [-1]), 0
        return self.tf.math.cumprod(x, axis=axis)

    # -- manipulation -------------------------------------------------------
    def where(self, condition: Any, x1: Any, x2: Any) -> Any:
        tf = self.tf
        dtype = x1.dtype if hasattr(x1, "dtype") else (x2.dtype if hasattr(x2, "dtype") else None)
        return tf.where(condition, tf.cast(x1, dtype) if dtype else x1, tf.cast(x2, dtype) if dtype else x2)

    def matmul(self, x1: Any, x2: Any) -> Any:
        """numpy.matmul semantics, vectors included (tf.linalg.matmul needs rank >= 2)."""
        tf = self.tf
        if len(x1.shape) == 1 and len(x2.shape) == 1:
            return tf.reduce_sum(x1 * x2)
        if len(x1.shape) == 1:
            return tf.linalg.matmul(x1[None, :], x2)[..., 0, :]
        if len(x2.shape) == 1:
            return tf.linalg.matvec(x1, x2)
        return tf.linalg.matmul(x1, x2)

    def squeeze(self, x: Any, axis: Any = None) -> Any:
        return self.tf.squeeze(x, axis=axis)

    def flip(self, x: Any, axis: Any = None) -> Any:
        if axis is None:
            axis = list(builtins.range(len(x.shape)))
        return self.tf.reverse(x, axis=[axis] if isinstance(axis, int) else list(axis))

    def permute_dims(self, x: Any, axes: Any) -> Any:
        return self.tf.transpose(x, perm=axes)

    def matrix_transpose(self, x: Any) -> Any:
        return self.tf.linalg.matrix_transpose(x)

    def moveaxis(self, x: Any, source: int, destination: int) -> Any:
        return self.tf.experimental.numpy.moveaxis(x, source, destination)

    def take(self, x: Any, indices: Any, axis: int | None = None) -> Any:
        if axis is None:
            x, axis = self.tf.reshape(x, [-1]), 0
        return self.tf.gather(x, indices, axis=axis)

    def nonzero(self, x: Any) -> tuple[Any, ...]:
        """Indices of the nonzero (True) elements, one int64 array per dimension (the standard's nonzero)."""
        where = self.tf.where(x)
        return tuple(where[:, i] for i in builtins.range(len(x.shape)))

    def sort(self, x: Any, axis: int = -1, descending: bool = False) -> Any:
        return self.tf.sort(x, axis=axis, direction="DESCENDING" if descending else "ASCENDING")

    def argsort(self, x: Any, axis: int = -1, descending: bool = False) -> Any:
        return self.tf.argsort(x, axis=axis, direction="DESCENDING" if descending else "ASCENDING")

    def clip(self, x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - standard's names
        tf = self.tf
        if min is not None:
            x = tf.maximum(x, tf.cast(min, x.dtype))
        if max is not None:
            x = tf.minimum(x, tf.cast(max, x.dtype))
        return x

    def diff(self, x: Any, axis: int = -1, n: int = 1) -> Any:
        for _ in builtins.range(n):
            length = self.tf.shape(x)[axis]
            x = self.tf.gather(x, self.tf.range(1, length), axis=axis) - self.tf.gather(
                x, self.tf.range(0, length - 1), axis=axis
            )
        return x

    def pad(self, x: Any, pad_width: Any, mode: str = "constant") -> Any:
        return self.tf.pad(x, pad_width, mode={"constant": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}[mode])

    def tile(self, x: Any, reps: Any) -> Any:
        return self.tf.tile(x, reps)

    def vecdot(self, x1: Any, x2: Any, axis: int = -1) -> Any:
        return self.tf.reduce_sum(self.tf.math.conj(x1) * x2, axis=axis)

    def isdtype(self, dtype: Any, kind: str) -> bool:
        dtype = self.tf.as_dtype(dtype)
        return {
            "real floating": dtype.is_floating,
            "complex floating": dtype.is_complex,
            "integral": dtype.is_integer,
            "bool": dtype == self.tf.bool,
        }[kind]
