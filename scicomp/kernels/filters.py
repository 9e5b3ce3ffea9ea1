"""IIR filtering kernels: ``sosfilt`` and ``sosfiltfilt`` over second-order sections.

A recursive filter is a loop over time that no array namespace vectorises, so
each backend gets its own route:

* numpy / numba: :func:`scipy.signal.sosfilt` / :func:`scipy.signal.sosfiltfilt`
  (compiled C loops; Numba would not beat them).
* tensorflow: a ``tf.while_loop`` over time in transposed direct form II, all
  sections cascaded inside one step and vectorised over the batch, compiled
  once per (number of sections, dtype) with ``tf.function``. Gradients flow
  through it with respect to the signal. ``sosfiltfilt`` reproduces SciPy's
  odd extension and ``sosfilt_zi`` initial conditions (constants computed on
  the host), so it matches SciPy to rounding.
* cupy: :func:`cupyx.scipy.signal.sosfilt` / ``sosfiltfilt``.

Kernel signatures: ``sosfilt(backend, sos, x)`` and
``sosfiltfilt(backend, sos, x, padlen)``; ``sos`` is a host NumPy array of
shape (n_sections, 6), ``x`` a backend array filtered along its last axis.
The coefficients are cast to ``x``'s dtype, so float32 stays float32.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

__all__ = ["implementations"]


# -- numpy / numba: SciPy --------------------------------------------------------
def _scipy_sosfilt(backend: Any, sos: np.ndarray, x: Any) -> Any:
    import scipy.signal

    return scipy.signal.sosfilt(sos.astype(x.dtype), x, axis=-1).astype(x.dtype, copy=False)


def _scipy_sosfiltfilt(backend: Any, sos: np.ndarray, x: Any, padlen: int) -> Any:
    import scipy.signal

    return scipy.signal.sosfiltfilt(sos.astype(x.dtype), x, axis=-1, padtype="odd", padlen=padlen).astype(x.dtype, copy=False)


# -- cupy: cupyx.scipy.signal ------------------------------------------------------
def _cupy_sosfilt(backend: Any, sos: np.ndarray, x: Any) -> Any:
    import cupyx.scipy.signal as cusignal

    return cusignal.sosfilt(backend.cp.asarray(sos, dtype=x.dtype), x, axis=-1)


def _cupy_sosfiltfilt(backend: Any, sos: np.ndarray, x: Any, padlen: int) -> Any:
    import cupyx.scipy.signal as cusignal

    return cusignal.sosfiltfilt(backend.cp.asarray(sos, dtype=x.dtype), x, axis=-1, padtype="odd", padlen=padlen)


# -- tensorflow: a compiled loop over time -----------------------------------------
_tf_graphs: dict[tuple[int, Any], Any] = {}
_tf_lock = threading.Lock()


def _tf_graph(tf: Any, n_sections: int, dtype: Any) -> Any:
    """A tf.function filtering x of shape (n, batch) from states zi (n_sections, batch, 2)."""
    key = (n_sections, dtype)
    with _tf_lock:
        fn = _tf_graphs.get(key)
        if fn is not None:
            return fn

        def run(x_tb: Any, sos: Any, zi: Any) -> Any:
            n = tf.shape(x_tb)[0]
            coeffs = [[sos[s, j] for j in (0, 1, 2, 4, 5)] for s in range(n_sections)]
            inputs = tf.TensorArray(dtype, size=n).unstack(x_tb)
            outputs = tf.TensorArray(dtype, size=n)
            states = tuple(zi[s, :, k] for s in range(n_sections) for k in (0, 1))

            def body(i: Any, out: Any, *z: Any) -> Any:
                x_cur = inputs.read(i)
                new = []
                for s in range(n_sections):  # sections cascade within one time step
                    b0, b1, b2, a1, a2 = coeffs[s]
                    y = b0 * x_cur + z[2 * s]
                    new.append(b1 * x_cur - a1 * y + z[2 * s + 1])
                    new.append(b2 * x_cur - a2 * y)
                    x_cur = y
                return (i + 1, out.write(i, x_cur), *new)

            result = tf.while_loop(lambda i, *_: i < n, body, (tf.constant(0), outputs, *states))
            return result[1].stack()

        fn = tf.function(
            run,
            input_signature=[
                tf.TensorSpec([None, None], dtype),
                tf.TensorSpec([n_sections, 6], dtype),
                tf.TensorSpec([n_sections, None, 2], dtype),
            ],
        )
        _tf_graphs[key] = fn
        return fn


def _tf_run(backend: Any, sos: np.ndarray, x: Any, zi: Any) -> Any:
    """Filter x (..., n) with initial states zi (n_sections, batch, 2) or None (zeros)."""
    tf = backend.tf
    shape = tf.shape(x)
    n = shape[-1]
    x_tb = tf.transpose(tf.reshape(x, [-1, n]))  # (n, batch)
    sos_t = tf.constant(sos, dtype=x.dtype)
    if zi is None:
        zi = tf.zeros([sos.shape[0], tf.shape(x_tb)[1], 2], dtype=x.dtype)
    y_tb = _tf_graph(tf, sos.shape[0], x.dtype)(x_tb, sos_t, zi)
    return tf.reshape(tf.transpose(y_tb), shape)


def _tf_sosfilt(backend: Any, sos: np.ndarray, x: Any) -> Any:
    with backend.scope():
        return _tf_run(backend, sos, x, None)


def _tf_sosfiltfilt(backend: Any, sos: np.ndarray, x: Any, padlen: int) -> Any:
    import scipy.signal

    tf = backend.tf
    with backend.scope():
        if padlen > 0:  # SciPy's odd extension
            left = 2 * x[..., :1] - tf.reverse(x[..., 1 : padlen + 1], [-1])
            right = 2 * x[..., -1:] - tf.reverse(x[..., -padlen - 1 : -1], [-1])
            ext = tf.concat([left, x, right], axis=-1)
        else:
            ext = x
        zi = tf.constant(scipy.signal.sosfilt_zi(sos), dtype=x.dtype)[:, None, :]  # (n_sections, 1, 2)
        first = tf.reshape(ext[..., 0], [1, -1, 1])
        y = _tf_run(backend, sos, ext, zi * first)
        last = tf.reshape(y[..., -1], [1, -1, 1])
        y = tf.reverse(_tf_run(backend, sos, tf.reverse(y, [-1]), zi * last), [-1])
        return y[..., padlen:-padlen] if padlen > 0 else y


def implementations(backend_name: str) -> dict[str, Any]:
    if backend_name in ("numpy", "numba"):
        return {"sosfilt": _scipy_sosfilt, "sosfiltfilt": _scipy_sosfiltfilt}
    if backend_name == "tensorflow":
        return {"sosfilt": _tf_sosfilt, "sosfiltfilt": _tf_sosfiltfilt}
    if backend_name == "cupy":
        return {"sosfilt": _cupy_sosfilt, "sosfiltfilt": _cupy_sosfiltfilt}
    return {}
