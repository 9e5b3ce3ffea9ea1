"""CuPy backend: arrays on the current CUDA device, cuFFT, cuBLAS/cuSOLVER, cupy.random.

Everything CuPy-specific goes through :func:`load_cupy`, the seam the tests
use to drive this module's logic with a NumPy stand-in on machines without a
GPU. Arrays never move to the host behind the user's back: ``asarray`` of a
host array is an explicit upload, and CuPy itself refuses implicit downloads.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..config import SciCompConfig
from ..errors import BackendUnavailableError
from .base import FFT_NAMES, Backend, BackendStatus, GeneratorRandom, RandomGenerator, namespace, seed_sequence

_EXTRA = "gpu"


def load_cupy() -> SimpleNamespace:
    """Import CuPy and the pieces this backend uses (replaced by a fake in tests)."""
    import array_api_compat.cupy as xp
    import cupy
    import cupyx.scipy.fft as cufft

    return SimpleNamespace(cupy=cupy, xp=xp, fft=cufft, linalg=cupy.linalg)


def cuda_device_count(cupy: Any) -> int:
    """Number of CUDA devices; raises when the driver or runtime does not answer."""
    return int(cupy.cuda.runtime.getDeviceCount())


def _cupy_version() -> str | None:
    for dist in ("cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x", "cupy"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


class CupyRandom(GeneratorRandom):
    """cupy.random.Generator seeded from the SeedSequence's 64-bit state."""

    def __init__(self, backend: CupyBackend, seed_sequence: np.random.SeedSequence):
        super().__init__(backend, seed_sequence)
        seed = int(seed_sequence.generate_state(1, dtype=np.uint64)[0])
        self._rng = backend.cp.random.default_rng(seed)
        self._dtype = backend.float_dtype

    # Path kernels on CuPy draw inside the CUDA kernel; keep the portable draw-and-copy here.
    fill_standard_normal = RandomGenerator.fill_standard_normal


class CupyBackend(Backend):
    """CuPy arrays on the current CUDA device."""

    name = "cupy"
    extra = _EXTRA
    package = "cupy"
    is_gpu = True

    def __init__(self, config: SciCompConfig):
        super().__init__(config)
        status = self.probe()
        if not status.available:
            raise BackendUnavailableError(f"cupy backend: {status.reason}")
        mods = load_cupy()
        cp = self.cp = mods.cupy
        self.xp = mods.xp
        self.float_dtype = np.dtype(config.float_precision)
        self.complex_dtype = np.dtype("complex64" if config.float_precision == "float32" else "complex128")
        self.device = f"cuda:{cp.cuda.runtime.getDevice()}"
        # memory_limit_gb caps CuPy's pool, so a runaway request fails cleanly.
        cp.get_default_memory_pool().set_limit(size=int(config.memory_limit_gb * 1024**3))
        dtype = self.float_dtype
        self.fft = namespace(
            **{n: getattr(mods.fft, n) for n in FFT_NAMES if n not in ("fftfreq", "rfftfreq")},
            fftfreq=lambda n, d=1.0: cp.fft.fftfreq(n, d).astype(dtype, copy=False),
            rfftfreq=lambda n, d=1.0: cp.fft.rfftfreq(n, d).astype(dtype, copy=False),
        )
        la = mods.linalg
        self.linalg = namespace(
            solve=la.solve,
            lstsq=functools.partial(la.lstsq, rcond=None),
            inv=la.inv,
            det=la.det,
            svd=la.svd,
            eigh=la.eigh,
            eig=getattr(la, "eig", None) or _eig_unsupported,
            cholesky=la.cholesky,
            qr=la.qr,
            norm=la.norm,
            matrix_rank=la.matrix_rank,
            cond=getattr(la, "cond", None) or _cond_from_svd(la),
            lu=_cupyx_lu,
        )
        from ..kernels import kernels_for

        self.kernels = kernels_for(self.name)

    @classmethod
    def probe(cls) -> BackendStatus:
        version = _cupy_version()
        if version is None and importlib.util.find_spec("cupy") is None:
            return BackendStatus(cls.name, False, f'cupy is not installed (pip install "scicomp[{_EXTRA}]")', None, None, _EXTRA)
        try:
            mods = load_cupy()
        except Exception as exc:
            return BackendStatus(cls.name, False, f"cupy fails to import: {exc}", version, None, _EXTRA)
        try:
            count = cuda_device_count(mods.cupy)
        except Exception as exc:  # CUDARuntimeError when no driver or an old one
            return BackendStatus(cls.name, False, f"no CUDA device / driver ({exc})", version, None, _EXTRA)
        if count < 1:
            return BackendStatus(cls.name, False, "no CUDA device / driver (0 devices)", version, None, _EXTRA)
        return BackendStatus(cls.name, True, "", version, f"cuda:{mods.cupy.cuda.runtime.getDevice()}", _EXTRA, gpu=True)

    def asarray(self, x, dtype=None):
        if dtype is None:
            dtype = self.result_dtype(x)
        if hasattr(x, "numpy") and not isinstance(x, np.ndarray) and not hasattr(x, "__cuda_array_interface__"):
            x = self.from_dlpack(x)  # a TensorFlow tensor: DLPack, on-device when it is on the GPU
        return self.cp.asarray(x, dtype=dtype)

    def to_numpy(self, x):
        return self.cp.asnumpy(x)

    def owns(self, x):
        return isinstance(x, self.cp.ndarray)

    def from_dlpack(self, x):
        if isinstance(x, self.cp.ndarray):
            return x
        if isinstance(x, np.ndarray):
            return self.cp.asarray(x)  # host -> device: an explicit upload
        try:
            return self.cp.from_dlpack(x)
        except Exception:
            import tensorflow as tf

            return self.cp.from_dlpack(tf.experimental.dlpack.to_dlpack(x))

    def synchronize(self):
        self.cp.cuda.get_current_stream().synchronize()

    def random(self, seed=None):
        return CupyRandom(self, seed_sequence(seed, self.config.default_random_seed))


def _cupyx_lu(a):
    import cupyx.scipy.linalg

    return cupyx.scipy.linalg.lu(a)


def _eig_unsupported(a):
    raise NotImplementedError("eig of a general (non-symmetric) matrix needs CuPy >= 14; use eigh for symmetric matrices")


def _cond_from_svd(la):
    def cond(a, p=None):
        if p not in (None, 2, -2):
            return la.norm(a, p) * la.norm(la.inv(a), p)
        s = la.svd(a, compute_uv=False)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]

    return cond
