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

Sampling kernels draw the normals too, so a backend that can generate random
numbers inside a compiled loop never builds an array of normals:

* ``sample_brownian_paths(backend, generator, n_paths, n_steps, x0, drift_dt, vol_sqrt_dt)``
* ``sample_geometric_paths(backend, generator, n_paths, n_steps, s0, log_drift_dt, vol_sqrt_dt)``
* ``sample_ar1_paths(backend, generator, n_paths, n_steps, x0, a, c, s)``

``generator`` is the backend's seeded :class:`~scicomp.backends.RandomGenerator`;
each call continues its stream. Per backend:

* generic (tensorflow): ``generator.standard_normal((n_paths, n_steps))``, then
  the construction kernels above.
* numpy: NumPy's Generator fills the output buffer itself (``out=``), then the
  cumulative sum and exponential run in place: no temporaries.
* numba and cupy: one compiled kernel per request writes each path in place
  from its own counter-keyed stream (:mod:`scicomp.kernels._rng`; on the GPU
  :mod:`scicomp.kernels._cuda_paths`), keyed by four 64-bit words drawn from
  ``generator``: the same seed gives the same paths whatever the thread count.
  (On numba the GBM kernel writes log-prices and NumPy's vectorised ``exp``
  finishes in place: Numba's scalar ``exp`` was half the kernel's time.)
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = [
    "cumulative_paths",
    "geometric_paths",
    "linear_recurrence",
    "sample_brownian_paths",
    "sample_geometric_paths",
    "sample_ar1_paths",
    "implementations",
]


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


# -- sampling kernels: normals drawn inside ----------------------------------------------
def sample_brownian_paths(
    backend: Any, generator: Any, n_paths: int, n_steps: int, x0: float, drift_dt: float, vol_sqrt_dt: float
) -> Any:
    """Paths x_k = x0 + sum_{j<k} (drift_dt + vol_sqrt_dt z_j), shape (n_paths, n_steps + 1) (generic)."""
    z = generator.standard_normal((n_paths, n_steps))
    return backend.kernels.cumulative_paths(backend, x0, drift_dt + vol_sqrt_dt * z)


def sample_geometric_paths(
    backend: Any, generator: Any, n_paths: int, n_steps: int, s0: float, log_drift_dt: float, vol_sqrt_dt: float
) -> Any:
    """Paths s_k = s0 exp(sum_{j<k} (log_drift_dt + vol_sqrt_dt z_j)), shape (n_paths, n_steps + 1) (generic)."""
    z = generator.standard_normal((n_paths, n_steps))
    return backend.kernels.geometric_paths(backend, s0, log_drift_dt + vol_sqrt_dt * z)


def sample_ar1_paths(backend: Any, generator: Any, n_paths: int, n_steps: int, x0: float, a: float, c: float, s: float) -> Any:
    """Paths y_0 = x0, y_k = a y_{k-1} + c + s z_k, shape (n_paths, n_steps + 1) (generic)."""
    z = generator.standard_normal((n_paths, n_steps))
    return backend.kernels.linear_recurrence(backend, x0, a, c + s * z)


def _numpy_filled_normals(backend: Any, generator: Any, n_paths: int, n_steps: int) -> Any:
    """An (n_paths, n_steps + 1) buffer whose columns 1.. hold standard normals, drawn straight into it.

    NumPy fills only contiguous outputs, so the normals go into the flat
    buffer from index 1 on; each row's first slot (a normal too, from the
    second row on) is overwritten by the caller. Reproducible per seed.
    """
    import numpy as np

    out = np.empty((n_paths, n_steps + 1), dtype=backend.float_dtype)
    generator.fill_standard_normal(out.reshape(-1)[1:])
    return out


def sample_brownian_paths_numpy(backend, generator, n_paths, n_steps, x0, drift_dt, vol_sqrt_dt):
    """As :func:`sample_brownian_paths`, in place in one buffer (no array of normals besides the output)."""
    import numpy as np

    out = _numpy_filled_normals(backend, generator, n_paths, n_steps)
    out *= vol_sqrt_dt
    out += drift_dt
    out[:, 0] = x0
    return np.cumsum(out, axis=1, out=out)


def sample_geometric_paths_numpy(backend, generator, n_paths, n_steps, s0, log_drift_dt, vol_sqrt_dt):
    """As :func:`sample_geometric_paths`, in place in one buffer: fill, scale, cumsum, exp, scale."""
    import numpy as np

    out = _numpy_filled_normals(backend, generator, n_paths, n_steps)
    out *= vol_sqrt_dt
    out += log_drift_dt
    out[:, 0] = 0.0
    np.cumsum(out, axis=1, out=out)
    np.exp(out, out=out)
    out *= s0  # s0 * exp(0) == s0 exactly in the first column
    return out


def _numba_sampler(kind: str):
    def kernel(backend, generator, n_paths, n_steps, x0, a, b, c=0.0):
        import numpy as np

        from . import _numba_paths, _rng

        out = np.empty((n_paths, n_steps + 1), dtype=backend.float_dtype)
        key = _rng.stream_key(generator)
        tables = _rng.ziggurat_tables()
        with backend.scope():
            if kind == "GEOMETRIC":
                return _numba_paths.fill_geometric_paths(out, key, float(x0), float(a), float(b), tables)
            code = getattr(_numba_paths, kind)
            _numba_paths.fill_paths(out, key, code, float(x0), float(a), float(b), float(c), *tables)
        return out

    return kernel


def _numba_ar1(backend, generator, n_paths, n_steps, x0, a, c, s):
    return _numba_sampler("AR1")(backend, generator, n_paths, n_steps, x0, a, s, c)


def _cuda_sampler(kind: str):
    def kernel(backend, generator, n_paths, n_steps, x0, a, b, c=0.0):
        from . import _cuda_paths

        return _cuda_paths.sample_paths_cupy(backend, generator, kind, n_paths, n_steps, x0, a, b, c)

    return kernel


def _cuda_ar1(backend, generator, n_paths, n_steps, x0, a, c, s):
    return _cuda_sampler("AR1")(backend, generator, n_paths, n_steps, x0, a, s, c)


def implementations(backend_name: str) -> dict[str, Any]:
    kernels: dict[str, Any] = {
        "cumulative_paths": cumulative_paths,
        "geometric_paths": geometric_paths,
        "linear_recurrence": linear_recurrence,
        "sample_brownian_paths": sample_brownian_paths,
        "sample_geometric_paths": sample_geometric_paths,
        "sample_ar1_paths": sample_ar1_paths,
    }
    if backend_name == "numpy":
        kernels["linear_recurrence"] = linear_recurrence_lfilter
        kernels["sample_brownian_paths"] = sample_brownian_paths_numpy
        kernels["sample_geometric_paths"] = sample_geometric_paths_numpy
    elif backend_name == "numba":
        kernels["linear_recurrence"] = linear_recurrence_numba
        kernels["sample_brownian_paths"] = _numba_sampler("BROWNIAN")
        kernels["sample_geometric_paths"] = _numba_sampler("GEOMETRIC")
        kernels["sample_ar1_paths"] = _numba_ar1
    elif backend_name == "cupy":
        kernels["sample_brownian_paths"] = _cuda_sampler("BROWNIAN")
        kernels["sample_geometric_paths"] = _cuda_sampler("GEOMETRIC")
        kernels["sample_ar1_paths"] = _cuda_ar1
    return kernels
