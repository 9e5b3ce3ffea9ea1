"""BFGS kernels: the dense inverse-Hessian model of one problem or of a batch.

``bfgs_model(backend, n, dtype)`` returns a model of one problem with

* ``direction(g) -> (p, slope)``: ``p = -H g`` (a backend array) and
  ``slope = g . p`` (a Python float, what the line search needs);
* ``step(alpha, p, g, g_new, require_curvature)``: the update for ``s = alpha p``,
  ``y = g_new - g``; the host model may also offer ``slope(g) -> g . p``;
* ``update(s, y, require_curvature)``: scipy's BFGS update of ``H``
  (``rho = 1000`` when ``y . s == 0``; with ``require_curvature`` a step
  without positive curvature leaves ``H`` as it is).

``bfgs_model_batched(backend, batch, n, dtype)`` returns the same for ``(batch, n)``
arrays: ``direction(g) -> p``, ``update(s, y, mask, require_curvature)`` (rows
outside ``mask`` keep their model) and ``take(rows)`` (the models of those
rows only, for a batch that shrinks as problems finish).

``max_abs(backend, v) -> float``: ``max |v_i|``, NaN when ``v`` is not finite.

Why kernels: for one problem the arrays are tiny (Rosenbrock: n = 2) and the
time goes into per-operation overhead, not arithmetic.

* numpy / numba, float64, ``n <= SMALL_N``: the model lives in Python floats
  (O(n^2) scalar arithmetic beats ~1 us per NumPy call at this size, as the
  scalar line searches of :mod:`scicomp.optimize.line_search` do), in
  straight-line code generated per n (:mod:`._bfgs_host`); the model also
  offers the host interface that :mod:`scicomp.optimize._host`'s loop runs
  on. Otherwise fused NumPy: in-place updates, ``ufunc.outer`` instead of
  broadcast temporaries. Batched, ``n <= SMALL_N``: one operation per matrix
  entry on strided columns, written with ``copyto(where=mask)`` (reductions
  and ``einsum`` over a short last axis cost several times more); larger n:
  in place on the rows of ``mask``, batched products by ``einsum`` (NumPy's
  batched matmul makes one small call per matrix).
* tensorflow / cupy: the same formulas through the array namespace.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._bfgs_host import host_functions

__all__ = ["implementations", "SMALL_N"]

SMALL_N = 6  # up to this size the single-problem model is kept in Python floats


def _rho(ys: float) -> float:
    return 1000.0 if ys == 0 else 1.0 / ys  # scipy's guard


# -- one problem, numpy: Python floats for tiny n -----------------------------------------
_F64 = np.dtype(np.float64)


class _ScalarModel:
    """H as a flat tuple of Python floats, updated by straight-line code generated for n.

    Besides the model interface it offers the host one the quasi-Newton loop
    of :mod:`scicomp.optimize._host` runs on (iterate, gradient and direction
    as lists of floats, arrays only at the user's boundary): ``host_ops``
    (the unrolled ``point``, ``dot``, ``gnorm``, ``direction`` and ``step`` of
    :mod:`._bfgs_host`, ``step`` and ``direction`` taking ``h``), ``h``,
    ``to_list(v)`` (a list of floats, or None when ``v`` is not a float64
    array of shape ``(n,)``) and ``to_array(values)``.
    """

    __slots__ = ("h", "n", "dtype", "host_ops", "_g", "_p")

    def __init__(self, n: int, dtype: Any):
        self.n, self.dtype = n, dtype
        self.h = tuple(1.0 if i == j else 0.0 for i in range(n) for j in range(n))
        self.host_ops = host_functions(n)
        self._g = self._p = None

    # host interface
    def to_list(self, v: Any) -> list | None:
        if type(v) is np.ndarray and v.dtype is _F64 and v.shape == (self.n,):
            return v.tolist()
        return None

    @staticmethod
    def to_array(values: list) -> np.ndarray:
        return np.array(values)  # a list of Python floats: float64

    # model interface
    def direction(self, g: np.ndarray) -> tuple[np.ndarray, float]:
        gl = g.tolist()
        p = self.host_ops.direction(self.h, gl)
        self._g, self._p = gl, p
        return np.array(p, dtype=self.dtype), self.host_ops.dot(gl, p)

    def slope(self, g: np.ndarray) -> float:
        """``g . p`` for the last direction p."""
        return self.host_ops.dot(g.tolist(), self._p)

    def step(self, alpha: float, p: np.ndarray, g: np.ndarray, g_new: np.ndarray, require_curvature: bool) -> None:
        """The update for the step ``s = alpha p`` from the last direction, ``y = g_new - g``."""
        if self._p is None:
            return self.update(alpha * p, g_new - g, require_curvature)
        self.h = self.host_ops.step(self.h, alpha, self._p, self._g, g_new.tolist(), require_curvature)

    def update(self, s: np.ndarray, y: np.ndarray, require_curvature: bool) -> None:
        self.h = self.host_ops.update(self.h, s.tolist(), y.tolist(), require_curvature)


# -- one problem, numpy: fused in-place updates -------------------------------------------------
class _NumpyModel:
    __slots__ = ("h",)

    def __init__(self, n: int, dtype: Any):
        self.h = np.eye(n, dtype=dtype)

    def direction(self, g: np.ndarray) -> tuple[np.ndarray, float]:
        p = self.h @ g
        np.negative(p, out=p)
        return p, float(g @ p)

    def step(self, alpha: float, p: Any, g: Any, g_new: Any, require_curvature: bool) -> None:
        """The update for the step ``s = alpha p``, ``y = g_new - g``."""
        self.update(alpha * p, g_new - g, require_curvature)

    def update(self, s: np.ndarray, y: np.ndarray, require_curvature: bool) -> None:
        ys = float(y @ s)
        if ys <= 0 and require_curvature:
            return
        rho = _rho(ys)
        h = self.h
        hy = h @ y
        c = rho * rho * float(y @ hy) + rho
        hy *= rho
        u = s * c
        u -= hy
        h += np.multiply.outer(s, u)
        h -= np.multiply.outer(hy, s)


# -- one problem, any namespace -------------------------------------------------------------------
class _XPModel:
    __slots__ = ("xp", "h")

    def __init__(self, backend: Any, n: int, dtype: Any):
        self.xp = backend.xp
        self.h = self.xp.eye(n, dtype=dtype)

    def _matvec(self, v: Any) -> Any:
        return self.xp.matmul(self.h, v[:, None])[:, 0]  # TensorFlow's matmul wants matrices

    def direction(self, g: Any) -> tuple[Any, float]:
        p = -self._matvec(g)
        return p, float(self.xp.vecdot(g, p))

    def step(self, alpha: float, p: Any, g: Any, g_new: Any, require_curvature: bool) -> None:
        """The update for the step ``s = alpha p``, ``y = g_new - g``."""
        self.update(alpha * p, g_new - g, require_curvature)

    def update(self, s: Any, y: Any, require_curvature: bool) -> None:
        xp = self.xp
        ys = float(xp.vecdot(y, s))
        if ys <= 0 and require_curvature:
            return
        rho = _rho(ys)
        hy = self._matvec(y)
        c = rho * rho * float(xp.vecdot(y, hy)) + rho
        self.h = self.h + s[:, None] * (c * s - rho * hy)[None, :] - (rho * hy)[:, None] * s[None, :]


# -- a batch --------------------------------------------------------------------------------------
class _XPBatchedModel:
    """(batch, n, n) models through the array namespace."""

    __slots__ = ("xp", "h")

    def __init__(self, xp: Any, h: Any):
        self.xp, self.h = xp, h

    @classmethod
    def identity(cls, backend: Any, batch: int, n: int, dtype: Any) -> _XPBatchedModel:
        xp = backend.xp
        return cls(xp, xp.broadcast_to(xp.eye(n, dtype=dtype), (batch, n, n)))

    def direction(self, g: Any) -> Any:
        xp = self.xp
        return -xp.squeeze(xp.matmul(self.h, xp.expand_dims(g, -1)), axis=-1)

    def update(self, s: Any, y: Any, mask: Any, require_curvature: bool) -> None:
        xp = self.xp
        h = self.h
        ys = xp.sum(y * s, axis=-1)
        if require_curvature:
            mask = mask & (ys > 0)
        rho = xp.where(ys != 0, 1.0 / xp.where(ys != 0, ys, 1.0), 1000.0)
        hy = xp.squeeze(xp.matmul(h, xp.expand_dims(y, -1)), axis=-1)
        yhy = xp.sum(y * hy, axis=-1)
        col, row = (lambda v: xp.expand_dims(v, -1)), (lambda v: xp.expand_dims(v, -2))
        r = col(col(rho))
        new = h - r * (col(s) * row(hy) + col(hy) * row(s)) + col(col(rho * rho * yhy + rho)) * (col(s) * row(s))
        self.h = xp.where(col(col(mask)), new, h)

    def take(self, rows: Any) -> _XPBatchedModel:
        return type(self)(self.xp, self.xp.take(self.h, rows, axis=0))


class _NumpyBatchedModel:
    """(batch, n, n) NumPy models updated in place, with few temporaries."""

    __slots__ = ("h",)

    def __init__(self, h: np.ndarray):
        self.h = h

    @classmethod
    def identity(cls, backend: Any, batch: int, n: int, dtype: Any) -> _NumpyBatchedModel:
        h = np.zeros((batch, n, n), dtype=dtype)
        h[:, np.arange(n), np.arange(n)] = 1.0
        return cls(h)

    def direction(self, g: np.ndarray) -> np.ndarray:
        p = np.einsum("ijk,ik->ij", self.h, g)  # a batched matvec: einsum beats matmul's per-matrix calls for small n
        np.negative(p, out=p)
        return p

    def update(self, s: np.ndarray, y: np.ndarray, mask: np.ndarray, require_curvature: bool) -> None:
        ys = np.einsum("ij,ij->i", y, s)
        if require_curvature:
            mask = mask & (ys > 0)
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return
        full = rows.size == mask.shape[0]
        h = self.h if full else self.h[rows]
        s_, y_, ys_ = (s, y, ys) if full else (s[rows], y[rows], ys[rows])
        with np.errstate(divide="ignore"):
            rho = np.where(ys_ != 0, 1.0 / ys_, 1000.0)
        hy = np.einsum("ijk,ik->ij", h, y_)
        c = rho * rho * np.einsum("ij,ij->i", y_, hy) + rho
        hy *= rho[:, None]
        u = s_ * c[:, None]
        u -= hy
        h += np.einsum("ij,ik->ijk", s_, u)
        h -= np.einsum("ij,ik->ijk", hy, s_)
        if not full:
            self.h[rows] = h

    def take(self, rows: Any) -> _NumpyBatchedModel:
        return type(self)(self.h[rows])


class _NumpyColumnsBatchedModel(_NumpyBatchedModel):
    """(batch, n, n) NumPy models for small n: one operation per matrix entry, no reductions.

    NumPy's reductions and ``einsum`` over a short last axis cost several times
    more than ``n`` column operations on strided views; an update is computed
    for every row and written where ``mask`` holds with ``copyto(where=)``
    (no gather / scatter of the rows).
    """

    __slots__ = ()

    def direction(self, g: np.ndarray) -> np.ndarray:
        h = self.h
        n = g.shape[1]
        p = np.empty_like(g)
        for i in range(n):
            acc = h[:, i, 0] * g[:, 0]
            for j in range(1, n):
                acc += h[:, i, j] * g[:, j]
            np.negative(acc, out=p[:, i])
        return p

    def update(self, s: np.ndarray, y: np.ndarray, mask: np.ndarray, require_curvature: bool) -> None:
        h = self.h
        n = s.shape[1]
        cols = range(n)
        ys = y[:, 0] * s[:, 0]
        for j in range(1, n):
            ys += y[:, j] * s[:, j]
        if require_curvature:
            mask = mask & (ys > 0)
        count = int(np.count_nonzero(mask))
        if count == 0:
            return
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            rho = np.divide(1.0, ys, out=np.full_like(ys, 1000.0), where=ys != 0)
            hy = []
            for i in cols:
                acc = h[:, i, 0] * y[:, 0]
                for j in range(1, n):
                    acc += h[:, i, j] * y[:, j]
                hy.append(acc)
            yhy = y[:, 0] * hy[0]
            for j in range(1, n):
                yhy += y[:, j] * hy[j]
            c = rho * rho * yhy + rho
            r = [rho * v for v in hy]
            u = [c * s[:, j] - r[j] for j in cols]
            where = None if count == mask.shape[0] else mask
            for i in cols:
                for j in cols:
                    new = h[:, i, j] + s[:, i] * u[j] - r[i] * s[:, j]
                    np.copyto(h[:, i, j], new, where=True if where is None else where)

    @classmethod
    def identity(cls, backend: Any, batch: int, n: int, dtype: Any) -> _NumpyBatchedModel:
        h = np.zeros((batch, n, n), dtype=dtype)
        h[:, np.arange(n), np.arange(n)] = 1.0
        return cls(h)

    def take(self, rows: Any) -> _NumpyBatchedModel:
        return type(self)(np.take(self.h, rows, axis=0))


def _numpy_model_batched(backend: Any, batch: int, n: int, dtype: Any) -> Any:
    if n <= SMALL_N:
        return _NumpyColumnsBatchedModel.identity(backend, batch, n, dtype)
    return _NumpyBatchedModel.identity(backend, batch, n, dtype)


def _numpy_model(backend: Any, n: int, dtype: Any) -> Any:
    if n <= SMALL_N and np.dtype(dtype) == np.float64:
        return _ScalarModel(n, dtype)
    return _NumpyModel(n, dtype)


def _numpy_max_abs(backend: Any, v: np.ndarray) -> float:
    if v.shape[0] <= 16 and v.ndim == 1:
        values = v.tolist()
        return max(map(abs, values)) if all(map(math.isfinite, values)) else math.nan
    return float(np.abs(v).max())


def _xp_max_abs(backend: Any, v: Any) -> float:
    xp = backend.xp
    return float(xp.max(xp.abs(v)))


def implementations(backend_name: str) -> dict[str, Any]:
    if backend_name in ("numpy", "numba"):
        return {
            "bfgs_model": _numpy_model,
            "bfgs_model_batched": _numpy_model_batched,
            "max_abs": _numpy_max_abs,
        }
    return {
        "bfgs_model": _XPModel,
        "bfgs_model_batched": _XPBatchedModel.identity,
        "max_abs": _xp_max_abs,
    }
