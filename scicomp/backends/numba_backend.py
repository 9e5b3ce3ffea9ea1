"""Numba backend: NumPy arrays, with the hot loops of scicomp.kernels compiled by Numba.

Everything but the kernels is the numpy backend's. Numba is imported when
this backend is first used, never by ``import scicomp``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util

from ..config import SciCompConfig
from ..errors import BackendUnavailableError
from .base import BackendStatus
from .numpy_backend import NumpyBackend


class _NumbaThreads(contextlib.AbstractContextManager):
    """Sets Numba's thread count (a per-thread setting) for the calling thread."""

    def __init__(self, numba, threads: int):
        self._numba = numba
        self._threads = min(threads, numba.config.NUMBA_NUM_THREADS)

    def __enter__(self):
        if self._numba.get_num_threads() != self._threads:
            self._numba.set_num_threads(self._threads)
        return self

    def __exit__(self, *exc):
        return False


class NumbaBackend(NumpyBackend):
    """NumPy arrays on the CPU; compiled, parallel kernels (njit, parallel=True, cache=True)."""

    name = "numba"
    extra = "numba"
    package = "numba"

    def __init__(self, config: SciCompConfig):
        try:
            import numba
        except Exception as exc:  # ImportError, or a NumPy version numba refuses
            raise BackendUnavailableError(
                f'numba backend: numba cannot be imported ({exc}); install it with pip install "scicomp[numba]"'
            ) from exc
        super().__init__(config)
        self._scope = _NumbaThreads(numba, config.num_threads)

    @classmethod
    def probe(cls) -> BackendStatus:
        if importlib.util.find_spec("numba") is None:
            return BackendStatus(cls.name, False, 'numba is not installed (pip install "scicomp[numba]")', None, None, cls.extra)
        version = importlib.metadata.version("numba")
        try:
            import numba  # noqa: F401
        except Exception as exc:
            return BackendStatus(cls.name, False, f"numba fails to import: {exc}", version, None, cls.extra)
        return BackendStatus(cls.name, True, "", version, "cpu", cls.extra)

    def scope(self):
        return self._scope
