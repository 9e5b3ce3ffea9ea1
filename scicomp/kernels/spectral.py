"""Spectrum kernels: the magnitude spectrum behind ``SignalProcessor.compute_fft``.

``magnitude_spectrum(backend, x, weights, onesided)`` returns
``(abs(FFT(x)) * weights, finite)`` along the last axis (``rfft`` when
``onesided``, else ``fft``; ``weights`` a read-only host float64 vector of one
value per frequency bin, or None). ``finite`` is False when ``x`` held a NaN or
an infinity, None when that cannot be known yet (a TensorFlow graph tensor).
It is read off the DC bin, the sum of every sample: a NaN or an infinity
anywhere in ``x`` makes it non-finite, whatever the FFT's order of operations
(no operation of an FFT turns inf or NaN back into a finite number). So the
input is not scanned separately, which would cost as much as the transform's
magnitude pass.

``cached_constant(backend, values, dtype=None)`` turns a read-only host
constant (a frequency grid, window, weights) into a backend array.

* numpy / numba: one transform, ``abs`` and an in-place scaling; a batch on
  more than one thread (``num_threads``) is split by rows over a small thread
  pool, each thread running transform, ``abs`` and scaling on its rows (SciPy's
  FFT and NumPy's ufuncs release the GIL), so the magnitude pass is parallel
  too, not only the transform. Constants come back as fresh copies: NumPy
  arrays are mutable and the caller owns the result.
* tensorflow: the raw ops (``RFFT``/``FFT``, ``ComplexAbs``, ``Mul``,
  ``CheckNumerics``), skipping ``tf.signal``'s Python shape handling, which
  costs more than the transform itself at a few thousand samples; constants
  are cached as immutable tensors per (values, dtype, device). Gradients flow
  through every op. (A ``tf.function`` was measured slower here: its call
  overhead is larger than these three ops.)
* cupy: the same operations through the array namespace.
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Any

import numpy as np

__all__ = ["implementations", "PARALLEL_MIN_ELEMENTS"]

# A batch is split over threads only from this many samples on: below it, handing
# work to a thread costs more than it saves.
PARALLEL_MIN_ELEMENTS = 1 << 15

_pools: dict[int, Any] = {}
_pool_lock = threading.Lock()


def _pool(threads: int) -> Any:
    """A process-wide pool of ``threads - 1`` helpers (the caller is the last worker)."""
    pool = _pools.get(threads)
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor

        with _pool_lock:
            pool = _pools.get(threads)
            if pool is None:
                pool = _pools[threads] = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="scicomp-fft")
    return pool


def _single_worker(transform: Any) -> Any:
    """The transform without its ``workers=`` setting (scipy.fft / mkl_fft partials): one thread."""
    if isinstance(transform, functools.partial) and "workers" in transform.keywords:
        keywords = {k: v for k, v in transform.keywords.items() if k != "workers"}
        return functools.partial(transform.func, *transform.args, **keywords)
    return transform


def _dc_finite(magnitudes: np.ndarray) -> bool:
    if magnitudes.ndim == 1:
        return math.isfinite(magnitudes[0])
    return bool(np.isfinite(magnitudes[..., 0]).all())


# -- numpy / numba ---------------------------------------------------------------------
def _numpy_magnitude_spectrum(backend: Any, x: np.ndarray, weights: Any, onesided: bool) -> tuple[np.ndarray, bool]:
    transform = backend.fft.rfft if onesided else backend.fft.fft
    threads = backend.config.num_threads
    n = x.shape[-1]
    rows = x.size // n
    if threads > 1 and rows >= threads and x.size >= PARALLEL_MIN_ELEMENTS:
        magnitudes = _numpy_threaded(_single_worker(transform), x, weights, onesided, threads)
    else:
        magnitudes = np.abs(transform(x, axis=-1))
        if weights is not None:
            magnitudes *= weights if weights.dtype == magnitudes.dtype else weights.astype(magnitudes.dtype)
    return magnitudes, _dc_finite(magnitudes)


def _numpy_threaded(transform: Any, x: np.ndarray, weights: Any, onesided: bool, threads: int) -> np.ndarray:
    n = x.shape[-1]
    rows = x.reshape(-1, n)
    n_bins = n // 2 + 1 if onesided else n
    real = np.finfo(np.result_type(x.dtype, np.float32)).dtype  # complex128 -> float64, float32 -> float32
    out = np.empty((rows.shape[0], n_bins), dtype=real)
    if weights is not None and weights.dtype != real:
        weights = weights.astype(real)

    def work(lo: int, hi: int) -> None:
        part = out[lo:hi]
        np.abs(transform(rows[lo:hi], axis=-1), out=part)
        if weights is not None:
            part *= weights

    bounds = np.linspace(0, rows.shape[0], threads + 1).astype(int).tolist()
    pool = _pool(threads)
    futures = [pool.submit(work, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:], strict=True)]
    work(bounds[0], bounds[1])  # the calling thread takes the first block
    for future in futures:
        future.result()
    return out.reshape(*x.shape[:-1], n_bins)


def _numpy_cached_constant(backend: Any, values: np.ndarray, dtype: Any = None) -> np.ndarray:
    return np.array(values, dtype=backend.float_dtype if dtype is None else dtype)  # a copy the caller may write to


# -- tensorflow --------------------------------------------------------------------------
_tf_constants: dict[tuple[int, Any, str], tuple[Any, Any]] = {}
_tf_lock = threading.Lock()
_TF_CACHE_SIZE = 256


def _tf_cached_constant(backend: Any, values: Any, dtype: Any = None) -> Any:
    """An immutable tensor of ``values`` (a host array kept alive by its cache entry), made once."""
    dtype = backend.float_dtype if dtype is None else dtype
    key = (id(values), dtype, backend.device)
    hit = _tf_constants.get(key)
    if hit is not None and hit[0] is values:
        return hit[1]
    with backend.tf.init_scope():  # an eager tensor even while tracing: a graph captures it, and it outlives the graph
        tensor = backend.asarray(values, dtype=dtype)
    with _tf_lock:
        if len(_tf_constants) >= _TF_CACHE_SIZE:
            _tf_constants.clear()
        _tf_constants[key] = (values, tensor)
    return tensor


def _tf_magnitude_spectrum(backend: Any, x: Any, weights: Any, onesided: bool) -> tuple[Any, bool | None]:
    tf = backend.tf
    raw = tf.raw_ops
    n = x.shape[-1]
    with backend.scope():
        if onesided:
            length = tf.shape(x)[-1:] if n is None else _tf_cached_constant(backend, _fft_length(n), tf.int32)
            spectrum = raw.RFFT(input=x, fft_length=length, Tcomplex=backend.complex_dtype)
        else:
            spectrum = raw.FFT(input=x)
        magnitudes = raw.ComplexAbs(x=spectrum, Tout=backend.float_dtype)
        if weights is not None:
            magnitudes = raw.Mul(x=magnitudes, y=_tf_cached_constant(backend, weights))
        if not tf.executing_eagerly():
            return magnitudes, None  # tracing a graph: the values are unknown yet
        try:
            raw.CheckNumerics(tensor=magnitudes, message="magnitude spectrum")
        except tf.errors.InvalidArgumentError:
            return magnitudes, False
    return magnitudes, True


@functools.lru_cache(maxsize=64)
def _fft_length(n: int) -> np.ndarray:
    values = np.array([n], dtype=np.int32)
    values.flags.writeable = False
    return values


# -- cupy: the array namespace ---------------------------------------------------------------
def _xp_magnitude_spectrum(backend: Any, x: Any, weights: Any, onesided: bool) -> tuple[Any, bool]:
    xp = backend.xp
    magnitudes = xp.abs(backend.fft.rfft(x, axis=-1) if onesided else backend.fft.fft(x, axis=-1))
    if weights is not None:
        magnitudes = magnitudes * backend.asarray(weights, dtype=backend.float_dtype)
    return magnitudes, bool(xp.all(xp.isfinite(magnitudes[..., 0])))


def _xp_cached_constant(backend: Any, values: Any, dtype: Any = None) -> Any:
    return backend.asarray(values, dtype=backend.float_dtype if dtype is None else dtype)


def implementations(backend_name: str) -> dict[str, Any]:
    if backend_name in ("numpy", "numba"):
        return {"magnitude_spectrum": _numpy_magnitude_spectrum, "cached_constant": _numpy_cached_constant}
    if backend_name == "tensorflow":
        return {"magnitude_spectrum": _tf_magnitude_spectrum, "cached_constant": _tf_cached_constant}
    return {"magnitude_spectrum": _xp_magnitude_spectrum, "cached_constant": _xp_cached_constant}
