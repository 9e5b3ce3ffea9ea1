"""Input validation shared by every algorithm.

Each check raises ValueError or TypeError whose message names the argument,
what is wrong with its value and, where useful, the fix. Algorithms call these
before touching a backend, so bad input never fails deep inside a framework.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backends import Backend, get_backend
from .config import current_config
from .errors import MemoryLimitError

__all__ = [
    "resolve_backend",
    "element_count",
    "as_array",
    "check_positive",
    "check_positive_int",
    "check_non_negative",
    "check_finite_number",
    "check_choice",
    "check_callable",
    "check_memory",
    "itemsize",
    "check_scalar_parameter",
    "is_tensor_parameter",
    "is_tracing",
]


def element_count(x: Any) -> int | None:
    """Number of elements of an array-like, read from its shape (no conversion); None if unknown."""
    if x is None:
        return None
    try:
        shape = np.shape(x)
    except Exception:  # ragged lists and the like: let validation report them
        return None
    count = 1
    for n in shape:
        if n is None:
            return None
        count *= int(n)
    return count


def resolve_backend(backend: str | Backend | None, family: str | None = None, size: int | None = None) -> Backend:
    """The Backend a public function runs on (its ``backend=`` keyword).

    ``family`` ('fft', 'paths', 'bfgs', 'linalg') and ``size`` (element count)
    let ``'auto'`` follow the calibration profile (scicomp calibrate).
    """
    return get_backend(backend, family=family, size=size)


def _is_symbolic(x: Any) -> bool:
    """A TensorFlow graph tensor, whose values are unknown while tracing."""
    return type(x).__name__ == "SymbolicTensor" or (hasattr(x, "graph") and not hasattr(x, "numpy"))


def as_array(
    backend: Backend,
    x: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    min_ndim: int = 0,
    allow_complex: bool = True,
    finite: bool = True,
    min_size: int = 1,
    dtype: Any = None,
) -> Any:
    """Convert ``x`` to a ``backend`` array in the configured precision, checking it.

    Checks: numeric, rank (``ndim`` exact or ``min_ndim``), at least
    ``min_size`` elements along the last axis, real unless ``allow_complex``,
    and no NaN or inf when ``finite``.
    """
    if x is None:
        raise TypeError(f"{name}: expected an array, got None")
    if isinstance(x, (str, bytes, dict, set)):
        raise TypeError(f"{name}: expected a numeric array, got {type(x).__name__}")
    if not backend.owns(x) and not hasattr(x, "__cuda_array_interface__") and not hasattr(x, "numpy"):
        try:
            host = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name}: cannot be read as a numeric array ({exc})") from exc
        if host.dtype.kind not in "biufc":
            raise TypeError(f"{name}: expected numbers, got an array of dtype {host.dtype}")
        x = host
    shape = tuple(x.shape)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if len(shape) not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name}: expected a {want} array, got shape {shape}")
    if any(s == 0 for s in shape if s is not None):
        raise ValueError(f"{name}: is empty (shape {shape})")
    if len(shape) < min_ndim:
        raise ValueError(f"{name}: expected at least {min_ndim} dimension(s), got shape {shape}")
    if min_size and shape and shape[-1] is not None and shape[-1] < min_size:
        raise ValueError(f"{name}: needs at least {min_size} sample(s) along the last axis, got shape {shape}")
    if min_size and not shape and min_ndim > 0:
        raise ValueError(f"{name}: expected an array, got a scalar")
    arr = backend.asarray(x) if dtype is None else backend.asarray(x, dtype=dtype)
    xp = backend.xp
    if not allow_complex and xp.isdtype(arr.dtype, "complex floating"):
        raise TypeError(f"{name}: expected real values, got a complex array")
    if finite and not _is_symbolic(arr):
        all_finite = xp.all(xp.isfinite(arr))  # symbolic inside tf.function even for a captured eager tensor
        if not _is_symbolic(all_finite) and not bool(all_finite):
            raise ValueError(f"{name}: contains NaN or inf; clean or interpolate the data first")
    return arr


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r}: must be a real number")
    return float(value)


def check_finite_number(name: str, value: Any) -> float:
    v = _number(name, value)
    if not math.isfinite(v):
        raise ValueError(f"{name}={value!r}: must be finite")
    return v


def check_positive(name: str, value: Any) -> float:
    v = check_finite_number(name, value)
    if v <= 0:
        raise ValueError(f"{name}={value!r}: must be > 0")
    return v


def check_non_negative(name: str, value: Any) -> float:
    v = check_finite_number(name, value)
    if v < 0:
        raise ValueError(f"{name}={value!r}: must be >= 0")
    return v


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r}: must be an integer")
    if value < minimum:
        raise ValueError(f"{name}={value!r}: must be >= {minimum}")
    return int(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    if value not in choices:
        raise ValueError(f"{name}={value!r}: must be one of {', '.join(map(repr, choices))}")
    return value


def check_callable(name: str, value: Any) -> Callable[..., Any]:
    if not callable(value):
        raise TypeError(f"{name}: must be callable, got {type(value).__name__}")
    return value


def itemsize(backend: Backend) -> int:
    """Bytes per element of the backend's float dtype (TensorFlow dtypes included)."""
    return int(np.dtype(getattr(backend.float_dtype, "as_numpy_dtype", backend.float_dtype)).itemsize)


def check_memory(n_elements: int, itemsize: int, what: str, hint: str = "") -> None:
    """Refuse, before allocating, a request larger than ``memory_limit_gb``."""
    limit_gb = current_config().memory_limit_gb
    need = n_elements * itemsize
    if need > limit_gb * 1024**3:
        raise MemoryLimitError(
            f"{what} needs {need / 1024**3:.3g} GB, over memory_limit_gb={limit_gb:g}; "
            f"{hint + '; ' if hint else ''}or raise it with scicomp.set_config(memory_limit_gb=...)"
        )


def is_tracing(backend: Backend) -> bool:
    """Whether arrays made on ``backend`` now are symbolic (inside ``tf.function`` on the tensorflow backend)."""
    return _is_symbolic(backend.xp.asarray(0.0))


def is_tensor_parameter(value: Any) -> bool:
    """Whether ``value`` is a TensorFlow tensor or tf.Variable (a model parameter gradients may flow to)."""
    return type(value).__module__.startswith("tensorflow") or type(value).__name__ == "SymbolicTensor"


def check_scalar_parameter(name: str, value: Any, check: Callable[[str, Any], float] = check_finite_number) -> Any:
    """A scalar model parameter: a real number, or a TensorFlow scalar tensor / tf.Variable.

    A number goes through ``check`` (e.g. :func:`check_positive`) and comes
    back as a float, as before. A TensorFlow scalar is returned as given (a
    tf.Variable stays a Variable, read each time it is used, so
    ``tf.GradientTape`` sees it): it must be 0-d, real floating and in the
    configured precision (no silent cast); its value is checked with
    ``check`` when it is eager and not checked while tracing, when it is
    unknown.
    """
    if not is_tensor_parameter(value):
        return check(name, value)
    dtype = getattr(value, "dtype", None)
    if dtype is None or not getattr(dtype, "is_floating", False):
        raise TypeError(f"{name}: a TensorFlow parameter must be a real floating scalar, got dtype {dtype}")
    if tuple(value.shape) != ():
        raise ValueError(f"{name}: a TensorFlow parameter must be a scalar (shape ()), got shape {tuple(value.shape)}")
    precision = current_config().float_precision
    if dtype.name != precision:
        raise TypeError(f"{name}: a {dtype.name} tensor in {precision} mode; cast it (tf.cast) or set float_precision")
    if not _is_symbolic(value):
        try:
            number = float(value.numpy() if hasattr(value, "numpy") else value)
        except (TypeError, ValueError, NotImplementedError):  # a graph tensor: unknown while tracing
            return value
        check(name, number)
    return value
