"""``application/x-npy`` bodies: NumPy ``.npy`` arrays in requests and responses.

Reading never unpickles (object arrays are refused) and checks the header's
shape against the element limit before any data is copied.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["NPY_MEDIA_TYPE", "NpyError", "read_npy", "write_npy", "write_npy_rows", "wants_npy", "is_npy"]

NPY_MEDIA_TYPE = "application/x-npy"


class NpyError(ValueError):
    """An ``application/x-npy`` body that is not a usable numeric array."""


def is_npy(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() == NPY_MEDIA_TYPE


def wants_npy(accept: str | None) -> bool:
    """True when the ``Accept`` header asks for x-npy (over JSON)."""
    if not accept:
        return False
    return any(part.split(";")[0].strip().lower() == NPY_MEDIA_TYPE for part in accept.split(","))


def read_npy(body: bytes, field: str, max_elements: int) -> np.ndarray:
    """Parse ``body`` as one ``.npy`` numeric array (no pickle), at most ``max_elements`` elements."""
    try:
        shape, fortran, dtype, offset = _header(body)
    except Exception as exc:
        raise NpyError(f"{field}: the application/x-npy body is not a valid .npy array ({exc})") from None
    if dtype.hasobject or dtype.kind not in "biuf" or dtype.fields is not None:
        raise NpyError(f"{field}: the .npy array must have a real numeric dtype, got {dtype}")
    count = math.prod(shape)  # exact: a hostile header cannot overflow it
    if count > max_elements:
        raise NpyError(f"{field}: {count} elements exceed the limit of {max_elements} elements per array")
    data = memoryview(body)[offset:]
    if len(data) != count * dtype.itemsize:
        raise NpyError(f"{field}: the .npy header announces {count * dtype.itemsize} data bytes but the body has {len(data)}")
    array = np.frombuffer(data, dtype=dtype, count=count)
    array = array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
    return np.asarray(array, dtype=np.float64)


def _header(body: bytes) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Shape, Fortran order, dtype and data offset of a .npy body; headers seen before come from a cache."""
    if body[:6] != b"\x93NUMPY" or len(body) < 10:
        raise ValueError("missing the .npy magic string")
    major = body[6]
    if major == 1:
        end = 10 + int.from_bytes(body[8:10], "little")
    elif major in (2, 3):
        end = 12 + int.from_bytes(body[8:12], "little")
    else:
        raise ValueError(f"unsupported .npy version {major}")
    raw = bytes(body[:end])
    cached = _HEADERS.get(raw)
    if cached is None:
        stream = io.BytesIO(raw)
        version = npy_format.read_magic(stream)
        reader = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        shape, fortran, dtype = reader(stream)
        cached = (tuple(shape), bool(fortran), dtype, end)
        if len(_HEADERS) > 256:
            _HEADERS.clear()
        _HEADERS[raw] = cached
    return cached


_HEADERS: dict[bytes, tuple[tuple[int, ...], bool, np.dtype, int]] = {}
_OUT_HEADERS: dict[tuple[str, tuple[int, ...]], bytes] = {}


def write_npy(array: Any) -> memoryview:
    """``array`` as ``.npy`` bytes (C order), the data copied once, straight into the output."""
    arr = np.asarray(array)  # keeps 0-d arrays 0-d
    out, buffer = _allocate(arr.dtype, arr.shape)
    out[...] = arr
    return buffer


def write_npy_rows(rows: Sequence[Any]) -> memoryview:
    """The ``rows`` (1-D arrays and 2-D blocks of one width) stacked into one 2-D ``.npy`` array.

    Equivalent to ``write_npy(np.concatenate([np.atleast_2d(r) for r in rows]))``
    with one copy of the data instead of three.
    """
    blocks = [np.atleast_2d(np.asarray(row)) for row in rows]
    widths = {block.shape[1:] for block in blocks}
    if len(widths) != 1 or any(block.ndim != 2 for block in blocks):
        raise ValueError(f"rows of shapes {[b.shape for b in blocks]} do not stack into one 2-D array")
    shape = (sum(block.shape[0] for block in blocks), blocks[0].shape[1])
    out, buffer = _allocate(np.result_type(*blocks), shape)
    start = 0
    for block in blocks:
        out[start : start + block.shape[0]] = block
        start += block.shape[0]
    return buffer


def _allocate(dtype: np.dtype, shape: tuple[int, ...]) -> tuple[np.ndarray, memoryview]:
    """An empty array of ``dtype`` and ``shape`` living inside a ``.npy`` byte buffer (header included)."""
    key = (dtype.str, shape)
    header = _OUT_HEADERS.get(key)
    if header is None:
        stream = io.BytesIO()
        npy_format.write_array_header_1_0(stream, {"descr": dtype.str, "fortran_order": False, "shape": shape})
        header = stream.getvalue()
        if len(_OUT_HEADERS) > 256:
            _OUT_HEADERS.clear()
        _OUT_HEADERS[key] = header
    count = math.prod(shape)
    buffer = bytearray(len(header) + count * dtype.itemsize)
    buffer[: len(header)] = header
    out = np.frombuffer(buffer, dtype=dtype, count=count, offset=len(header)).reshape(shape)
    return out, memoryview(buffer)
