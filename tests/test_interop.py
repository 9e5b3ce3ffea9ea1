"""Interop: scicomp.asarray moves arrays between backends through DLPack, zero-copy where the devices allow.

The CuPy -> TensorFlow-GPU path (``TensorFlowBackend.from_dlpack`` hands
``cupy.ndarray.toDlpack()`` to ``tf.experimental.dlpack``) needs a GPU with
both frameworks; here the cupy parameters skip.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import scicomp
from scicomp.backends import BACKEND_NAMES, status

pytestmark = pytest.mark.skipif(not status("tensorflow").available, reason="tensorflow backend unavailable")

DTYPES = ["float32", "float64", "int32", "int64", "complex64", "complex128", "bool"]
PAIRS = [pytest.param(a, b, id=f"{a}->{b}") for a, b in itertools.product(BACKEND_NAMES, repeat=2)]


def _aligned(n: int, dtype=np.float64) -> np.ndarray:
    """A C-contiguous array whose data pointer is 64-byte aligned (what TensorFlow's DLPack import needs)."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.zeros(n + 64 // itemsize, dtype=dtype)
    offset = (-raw.ctypes.data % 64) // itemsize
    out = raw[offset : offset + n]
    assert out.ctypes.data % 64 == 0
    return out


def _tf_pointer(t) -> int:
    """Address of a CPU tensor's buffer (read through DLPack, which never copies)."""
    return np.from_dlpack(t).ctypes.data


def test_numpy_to_tensorflow_shares_memory():
    host = _aligned(16)
    host[:] = np.arange(16.0)
    tensor = scicomp.asarray(host, backend="tensorflow")
    assert _tf_pointer(tensor) == host.ctypes.data  # the same buffer, no copy
    host[3] = 42.0  # a write through the NumPy view shows in the tensor
    assert float(tensor[3]) == 42.0


def test_tensorflow_to_numpy_shares_memory():
    import tensorflow as tf

    tensor = tf.constant(np.arange(32.0))
    host = scicomp.asarray(tensor, backend="numpy")
    assert isinstance(host, np.ndarray) and host.ctypes.data == _tf_pointer(tensor)
    back = scicomp.asarray(host, backend="tensorflow")
    np.testing.assert_array_equal(back.numpy(), np.arange(32.0))


def test_unaligned_or_strided_input_is_copied_correctly():
    strided = np.arange(20.0)[::2]
    tensor = scicomp.asarray(strided, backend="tensorflow")
    np.testing.assert_array_equal(tensor.numpy(), strided)
    strided[0] = -1.0  # a copy: the tensor keeps the old value
    assert float(tensor[0]) == 0.0


@pytest.mark.parametrize(("source", "target"), PAIRS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_values_and_dtypes_survive_every_pair(source, target, dtype):
    for name in (source, target):
        if not status(name).available:
            pytest.skip(f"{name} backend unavailable: {status(name).reason}")
    rng = np.random.default_rng(0)
    values = rng.standard_normal((3, 5)) * 10
    if dtype.startswith("complex"):
        values = values + 1j * rng.standard_normal((3, 5))
    host = (values > 0) if dtype == "bool" else values.astype(dtype)
    x = scicomp.asarray(host, backend=source)
    y = scicomp.asarray(x, backend=target)
    assert scicomp.backends.backend_of(y) == ("numpy" if target == "numba" else target)
    out = scicomp.to_numpy(y)
    assert out.dtype == host.dtype and out.shape == host.shape
    np.testing.assert_array_equal(out, host)


def test_asarray_returns_own_arrays_unchanged():
    import tensorflow as tf

    t = tf.constant([1.0, 2.0])
    assert scicomp.asarray(t, backend="tensorflow") is t
    a = np.ones(3)
    assert scicomp.asarray(a, backend="numpy") is a
