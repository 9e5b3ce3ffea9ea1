"""Path-generation kernels: turn increments into paths along the time axis.

* ``cumulative_paths(backend, x0, increments)`` - x0 followed by x0 + cumsum
  (Brownian motion, log-prices); a vectorised cumulative sum on every backend.
* ``geometric_paths(backend, s0, log_increments)`` - s0 * exp(cumsum), the
  exact log-normal stepping of geometric Brownian motion and Merton paths.
* ``linear_recurrence(backend, x0, a, c)`` - y_0 = x0, y_k = a * y_{k-1} + c_k
  along the last axis, for a scalar ``a`` (the exact AR(1) stepping of the
  Ornstein-Uhlenbeck process).

The linear recurrence is where backends genuinely differ. The closed form
``a**k * (x0 + sum a**-j c_j)`` needs ``a**-k``, which overflows (or loses
every digit) once ``theta * T`` is a few hundred, so no backend uses it:

* numpy: ``scipy.signal.lfilter([1], [1, -a], ...)`` - the recursion in C.
* numba: a compiled loop over steps, parallel over paths (``prange``).
* tensorflow, cupy and any other backend: a log-depth doubling scan
  (Hillis-Steele): ``ceil(log2(n_steps + 1))`` vectorised passes
  ``y <- y + a**s * shift(y, s)`` for s = 1, 2, 4, ... Every term is a power
  of ``a`` (|a| <= 1 for OU) times an input, so it is as stable as the loop;
  it costs O(n log n) work but only log n kernel launches, which suits a GPU,
  and avoids ``tf.scan``'s per-step overhead in eager mode.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["cumulative_paths", "geometric_paths", "linear_recurrence", "implementations"]


def cumulative_paths(backend: Any, x0: Any, increments: Any) -> Any:
    """Return paths of shape (..., n_steps + 1): x0 followed by x0 + cumsum(increments)."""
    xp = backend.xp
    return x0 + xp.cumulative_sum(increments, axis=-1, include_initial=True)


def geometric_paths(backend: Any, s0: Any, log_increments: Any) -> Any:
    """Return s0 * exp(cumsum(log_increments)) with s0 first, shape (..., n_steps + 1)."""
    xp = backend.xp
    return s0 * xp.exp(xp.cumulative_sum(log_increments, axis=-1, include_initial=True))


def _with_initial(backend: Any, x0: Any, c: Any) -> Any:
    """Prepend x0 (scalar or shape c.shape[:-1]) to c along the last axis."""
    xp = backend.xp
    x0 = xp.asarray(x0, dtype=c.dtype)
    first = xp.zeros(tuple(c.shape[:-1]) + (1,), dtype=c.dtype) + xp.reshape(x0, tuple(x0.shape) + (1,))
    return xp.concat([first, c], axis=-1)


def linear_recurrence_doubling(backend: Any, x0: Any, a: float, c: Any) -> Any:
    """y_0 = x0, y_k = a y_{k-1} + c_k along the last axis, by a log-depth doubling scan."""
    xp = backend.xp
    y = _with_initial(backend, x0, c)
    n = int(y.shape[-1])
    lead = tuple(y.shape[:-1])
    shift, power = 1, float(a)
    while shift < n:
        shifted = xp.concat([xp.zeros(lead + (shift,), dtype=y.dtype), y[..., : n - shift]], axis=-1)
        y = y + power * shifted
        shift, power = 2 * shift, power * power
    return y


def linear_recurrence_lfilter(backend: Any, x0: Any, a: float, c: Any) -> Any:
    """y_0 = x0, y_k = a y_{k-1} + c_k along the last axis, with scipy.signal.lfilter (NumPy arrays)."""
    import numpy as np
    from scipy.signal import lfilter

    y = _with_initial(backend, x0, c)
    num = np.ones(1, dtype=y.dtype)
    den = np.asarray([1.0, -float(a)], dtype=y.dtype)
    return np.asarray(lfilter(num, den, y, axis=-1), dtype=y.dtype)


@functools.cache
def _numba_recurrence():
    import numba

    @numba.njit(parallel=True, cache=True)
    def recurrence(x0, a, c, out):  # pragma: no cover - compiled
        n_paths, n_steps = c.shape
        for p in numba.prange(n_paths):
            y = x0[p]
            out[p, 0] = y
            for k in range(n_steps):
                y = a * y + c[p, k]
                out[p, k + 1] = y
        return out

    return recurrence


def linear_recurrence_numba(backend: Any, x0: Any, a: float, c: Any) -> Any:
    """y_0 = x0, y_k = a y_{k-1} + c_k along the last axis, as a compiled loop parallel over paths."""
    import numpy as np

    c = np.asarray(c)
    lead = c.shape[:-1]
    c2 = np.ascontiguousarray(c.reshape(-1, c.shape[-1]))
    x0_2 = np.ascontiguousarray(np.broadcast_to(np.asarray(x0, dtype=c.dtype), lead).reshape(-1))
    out = np.empty((c2.shape[0], c2.shape[1] + 1), dtype=c.dtype)
    with backend.scope():
        _numba_recurrence()(x0_2, c.dtype.type(a), c2, out)
    return out.reshape(lead + (c.shape[-1] + 1,))


def linear_recurrence(backend: Any, x0: Any, a: float, c: Any) -> Any:
    """y_0 = x0, y_k = a y_{k-1} + c_k along the last axis (generic: the doubling scan)."""
    return linear_recurrence_doubling(backend, x0, a, c)


def implementations(backend_name: str) -> dict[str, Any]:
    kernels: dict[str, Any] = {
        "cumulative_paths": cumulative_paths,
        "geometric_paths": geometric_paths,
        "linear_recurrence": linear_recurrence,
    }
    if backend_name == "numpy":
        kernels["linear_recurrence"] = linear_recurrence_lfilter
    elif backend_name == "numba":
        kernels["linear_recurrence"] = linear_recurrence_numba
    return kernels
