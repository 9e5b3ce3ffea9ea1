"""Backend selection: one function decides which backend runs a call.

Precedence: a call's ``backend=`` keyword, then ``use_backend(...)`` /
``config_context(backend=...)``, then ``set_config``, the environment and the
config file. ``'auto'`` means cupy when ``use_gpu`` is set and a CUDA device
answers, else TensorFlow when ``use_gpu`` is set and it sees a GPU, else numpy.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..config import BACKEND_CHOICES, SciCompConfig, config_context, current_config
from ..errors import BackendUnavailableError, ConfigError
from .base import Backend, BackendStatus, RandomGenerator
from .profile import load_profile

__all__ = [
    "Backend",
    "BackendStatus",
    "RandomGenerator",
    "available_backends",
    "backend_info",
    "get_backend",
    "use_backend",
    "resolve_backend_name",
    "asarray",
    "to_numpy",
    "backend_of",
]

logger = logging.getLogger("scicomp.backends")

BACKEND_NAMES = tuple(name for name in BACKEND_CHOICES if name != "auto")
_CLASSES = {
    "numpy": ("scicomp.backends.numpy_backend", "NumpyBackend"),
    "numba": ("scicomp.backends.numba_backend", "NumbaBackend"),
    "cupy": ("scicomp.backends.cupy_backend", "CupyBackend"),
    "tensorflow": ("scicomp.backends.tensorflow_backend", "TensorFlowBackend"),
}
_lock = threading.RLock()
_status: dict[str, BackendStatus] = {}
_instances: dict[tuple[Any, ...], Backend] = {}
_last: dict[str | None, tuple[SciCompConfig, Backend]] = {}
_fallback_warned = False
_applied_threads: int | None = None


def backend_class(name: str) -> type[Backend]:
    module, cls = _CLASSES[name]
    return getattr(importlib.import_module(module), cls)


def _check_name(name: Any, argument: str = "backend") -> str:
    if name not in BACKEND_CHOICES:
        raise ConfigError(f"{argument}={name!r}: unknown backend; must be one of {', '.join(BACKEND_CHOICES)}")
    return name


def status(name: str) -> BackendStatus:
    """Probe one backend once per process (imports its framework)."""
    with _lock:
        if name not in _status:
            try:
                _status[name] = backend_class(name).probe()
            except Exception as exc:  # a probe must never take scicomp down
                _status[name] = BackendStatus(name, False, f"probe failed: {exc}", None, None, name)
        return _status[name]


def backend_info() -> list[BackendStatus]:
    """Every known backend: available or not, why not, version and device."""
    return [status(name) for name in BACKEND_NAMES]


def available_backends() -> list[str]:
    """The backends that can run on this machine, numpy first."""
    return [s.name for s in backend_info() if s.available]


def _unavailable(name: str) -> BackendUnavailableError:
    st = status(name)
    hint = f' (pip install "scicomp[{st.extra}]")' if st.extra and "pip install" not in st.reason else ""
    return BackendUnavailableError(f"backend {name!r} cannot run here: {st.reason}{hint}")


def resolve_backend_name(name: str | None = None, config: SciCompConfig | None = None) -> str:
    """The backend a call with ``backend=name`` runs on under ``config``."""
    global _fallback_warned
    config = config or current_config()
    name = _check_name(config.backend if name is None else name)
    if name != "auto":
        if name != "numpy" and not status(name).available:
            raise _unavailable(name)
        return name  # a named backend runs as named; use_gpu/strict_gpu steer 'auto' only
    if not config.use_gpu:
        return "numpy"
    if status("cupy").available:
        return "cupy"
    tf_status = status("tensorflow")
    if tf_status.available and tf_status.gpu:
        return "tensorflow"
    reason = f"cupy: {status('cupy').reason}; tensorflow: {tf_status.reason or 'no GPU visible'}"
    if config.strict_gpu:
        raise BackendUnavailableError(f"use_gpu and strict_gpu are set but no GPU backend can run ({reason})")
    if not _fallback_warned:
        _fallback_warned = True
        logger.warning("use_gpu is set but no GPU backend can run (%s); falling back to the CPU (numpy)", reason)
    return "numpy"


def _apply_threads(config: SciCompConfig) -> None:
    """BLAS/OpenMP pools follow num_threads without the user exporting MKL/OMP variables."""
    global _applied_threads
    if _applied_threads == config.num_threads:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=config.num_threads)
    _applied_threads = config.num_threads


def _size_aware(family: str, size: int, config: SciCompConfig) -> str | None:
    """The calibration profile's pick for an 'auto' call of ``family`` at ``size``."""
    from .profile import choose

    candidates = {"numpy"}
    for other in ("numba", "cupy", "tensorflow") if config.use_gpu else ("numba",):
        st = status(other)
        if st.available and (other == "numba" or st.gpu):  # TensorFlow only on a GPU
            candidates.add(other)
    return choose(family, size, candidates)


def get_backend(name: str | Backend | None = None, *, family: str | None = None, size: int | None = None) -> Backend:
    """The backend instance for ``name`` (None: the configured one) under the current config.

    ``family`` and ``size`` describe the call (see :mod:`scicomp.backends.profile`):
    under ``'auto'`` with a calibration profile present, they pick the backend
    that was fastest here for that size. Instances are cached per backend and
    the settings they depend on, and the last answer per name is remembered
    for the config object it was made under, so this costs well under a
    microsecond on the hot path of every algorithm call.
    """
    if isinstance(name, Backend):
        return name
    config = current_config()
    if _applied_threads != config.num_threads:
        _apply_threads(config)
    if family is None or size is None or load_profile() is None:
        hit = _last.get(name)
        if hit is not None and hit[0] is config:  # configs are replaced, never mutated, on change
            return hit[1]
        backend = _instance(resolve_backend_name(name, config), config)
        _last[name] = (config, backend)
        return backend
    resolved = _size_aware(family, size, config) if (name or config.backend) == "auto" else None
    return _instance(resolved or resolve_backend_name(name, config), config)


def _instance(resolved: str, config: SciCompConfig) -> Backend:
    """The cached Backend for ``resolved`` and the settings a backend depends on."""
    key = (
        resolved,
        config.float_precision,
        config.fft_method,
        config.num_threads,
        config.use_gpu,
        config.memory_limit_gb,
        config.default_random_seed,
    )
    backend = _instances.get(key)
    if backend is None:
        with _lock:
            backend = _instances.get(key)
            if backend is None:
                backend = backend_class(resolved)(config)
                _instances[key] = backend
    return backend


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[Backend]:
    """Run the block on backend ``name`` (thread- and task-local, nestable).

    >>> with scicomp.use_backend("numba"):  # doctest: +SKIP
    ...     paths = GeometricBrownianMotion(0.05, 0.2).generate_paths(1000)
    """
    backend = get_backend(_check_name(name))  # fail now, before the block runs
    with config_context(backend=name):
        yield backend


def backend_of(x: Any) -> str | None:
    """Name of the backend whose array ``x`` is (None for lists and scalars)."""
    module = type(x).__module__
    if isinstance(x, np.ndarray):
        return "numpy"
    if module.startswith("cupy"):
        return "cupy"
    if module.startswith("tensorflow"):
        return "tensorflow"
    return None


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy array of any backend's array (a device-to-host copy for GPU arrays)."""
    owner = backend_of(x)
    if owner == "cupy":
        return x.get()
    if owner == "tensorflow":
        return x.numpy()
    return np.asarray(x)


def asarray(x: Any, backend: str | Backend | None = None) -> Any:
    """Move ``x`` to ``backend`` (None: the configured one), keeping its dtype.

    Uses DLPack: zero-copy where both sides share a device (NumPy <-> a
    TensorFlow CPU tensor, CuPy <-> a TensorFlow GPU tensor); a host <-> GPU
    move is an explicit copy, made here because you asked for it.
    """
    target = get_backend(backend)
    if target.owns(x):
        return x
    return target.from_dlpack(x)
