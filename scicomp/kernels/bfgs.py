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
  scalar line searches of :mod:`scicomp.optimize.line_search` do); only the
  direction comes back as an array. Otherwise fused NumPy: in-place updates,
  ``ufunc.outer`` instead of broadcast temporaries. Batched: in place on the
  rows of ``mask``, batched products by ``einsum`` (NumPy's batched matmul
  makes one small call per matrix and is several times slower at n = 2).
* tensorflow / cupy: the same formulas through the array namespace.
"""

from __future__ import annotations

import math
from operator import mul
from typing import Any

import numpy as np

__all__ = ["implementations", "SMALL_N"]

SMALL_N = 6  # up to this size the single-problem model is kept in Python floats


def _rho(ys: float) -> float:
    return 1000.0 if ys == 0 else 1.0 / ys  # scipy's guard


# -- one problem, numpy: Python floats for tiny n -----------------------------------------
class _ScalarModel:
    """H as a list of rows of Python floats."""

    __slots__ = ("h", "n", "dtype", "_g", "_p")

    def __init__(self, n: int, dtype: Any):
        self.n, self.dtype = n, dtype
        self.h = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
        self._g = self._p = None

    def direction(self, g: np.ndarray) -> tuple[np.ndarray, float]:
        gl = g.tolist()
        p = [-sum(map(mul, row, gl)) for row in self.h]
        self._g, self._p = gl, p
        return np.array(p, dtype=self.dtype), sum(map(mul, gl, p))

    def slope(self, g: np.ndarray) -> float:
        """``g . p`` for the last direction p."""
        return sum(map(mul, g.tolist(), self._p))

    def step(self, alpha: float, p: np.ndarray, g: np.ndarray, g_new: np.ndarray, require_curvature: bool) -> None:
        """The update for the step ``s = alpha p`` from the last direction, ``y = g_new - g``."""
        if self._p is None:
            return self.update(alpha * p, g_new - g, require_curvature)
        sl = [alpha * v for v in self._p]
        yl = [a - b for a, b in zip(g_new.tolist(), self._g, strict=False)]
        return self._update(sl, yl, require_curvature)

    def update(self, s: np.ndarray, y: np.ndarray, require_curvature: bool) -> None:
        return self._update(s.tolist(), y.tolist(), require_curvature)

    def _update(self, sl: list, yl: list, require_curvature: bool) -> None:
        ys = sum(map(mul, yl, sl))
        if ys <= 0 and require_curvature:
            return
        rho = _rho(ys)
        hy = [sum(map(mul, row, yl)) for row in self.h]
        c = rho * rho * sum(map(mul, yl, hy)) + rho
        rhy = [rho * v for v in hy]
        u = [c * si - ri for si, ri in zip(sl, rhy, strict=False)]
        # H + s u^T - (rho H y) s^T: the expanded (I - rho s y^T) H (I - rho y s^T) + rho s s^T.
        # (zip(strict=False): equal lengths by construction, and strict checking costs ~1 us here.)
        self.h = [
            [hij + si * uj - ri * sj for hij, uj, sj in zip(row, u, sl, strict=False)]
            for row, si, ri in zip(self.h, sl, rhy, strict=False)
        ]


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
            "bfgs_model_batched": _NumpyBatchedModel.identity,
            "max_abs": _numpy_max_abs,
        }
    return {
        "bfgs_model": _XPModel,
        "bfgs_model_batched": _XPBatchedModel.identity,
        "max_abs": _xp_max_abs,
    }
