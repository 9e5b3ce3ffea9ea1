"""Peak finding: ``find_peaks(backend, x, height, distance, prominence) -> indices``.

Peak search is a sequence of data-dependent passes (local maxima, plateaus,
distance pruning by priority, prominences) with a ragged result, so it is not
worth vectorising per backend:

* numpy / numba: :func:`scipy.signal.find_peaks` on the array.
* cupy: :func:`cupyx.scipy.signal.find_peaks`, on the device.
* tensorflow: :func:`scipy.signal.find_peaks` on the host through
  ``tf.numpy_function`` (the signal is copied to the host once; the peak
  indices are small). It runs inside ``tf.function`` too, but does not
  differentiate (indices have no gradient; the values gathered from them do).

``x`` is a 1-D backend array; the result is a backend array of int64 indices
in increasing order, exactly SciPy's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["implementations"]


def _host_find_peaks(x: np.ndarray, height: Any, distance: Any, prominence: Any) -> np.ndarray:
    import scipy.signal

    indices, _ = scipy.signal.find_peaks(np.asarray(x), height=height, distance=distance, prominence=prominence)
    return indices.astype(np.int64, copy=False)


def _numpy_find_peaks(backend: Any, x: Any, height: Any, distance: Any, prominence: Any) -> Any:
    return _host_find_peaks(x, height, distance, prominence)


def _cupy_find_peaks(backend: Any, x: Any, height: Any, distance: Any, prominence: Any) -> Any:
    import cupyx.scipy.signal as cusignal

    indices, _ = cusignal.find_peaks(x, height=height, distance=distance, prominence=prominence)
    return indices.astype(backend.cp.int64, copy=False)


def _tf_find_peaks(backend: Any, x: Any, height: Any, distance: Any, prominence: Any) -> Any:
    tf = backend.tf

    def host(values: np.ndarray) -> np.ndarray:
        return _host_find_peaks(values, height, distance, prominence)

    with backend.scope():
        indices = tf.numpy_function(host, [x], tf.int64, stateful=False)
        return tf.ensure_shape(indices, [None])


def implementations(backend_name: str) -> dict[str, Any]:
    if backend_name in ("numpy", "numba"):
        return {"find_peaks": _numpy_find_peaks}
    if backend_name == "tensorflow":
        return {"find_peaks": _tf_find_peaks}
    if backend_name == "cupy":
        return {"find_peaks": _cupy_find_peaks}
    return {}
