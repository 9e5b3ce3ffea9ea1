"""The system report behind ``scicomp diagnose``.

OS, CPU and cores, memory, BLAS/LAPACK libraries and their thread counts
(threadpoolctl), GPUs (CuPy's CUDA device, TensorFlow's devices), package
versions, and an FFT timing (4096 samples x 100 per available backend).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import time
from typing import Any

import numpy as np

from .backends import available_backends, backend_info, get_backend, to_numpy

__all__ = ["system_report", "fft_timing"]

PACKAGES = (
    "scicomp",
    "numpy",
    "scipy",
    "numba",
    "llvmlite",
    "cupy-cuda12x",
    "tensorflow",
    "tensorflow-cpu",
    "mkl-fft",
    "threadpoolctl",
)


def _memory_gb() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def _gpus() -> dict[str, Any]:
    gpus: dict[str, Any] = {}
    statuses = {s.name: s for s in backend_info()}
    cupy = statuses["cupy"]
    if cupy.available:
        import cupy as cp

        props = cp.cuda.runtime.getDeviceProperties(cp.cuda.runtime.getDevice())
        gpus["cuda"] = {"name": props["name"].decode(errors="replace"), "memory_gb": props["totalGlobalMem"] / 1024**3}
    else:
        gpus["cuda"] = f"none ({cupy.reason})"
    tf = statuses["tensorflow"]
    if tf.available:
        import tensorflow

        gpus["tensorflow"] = [d.name for d in tensorflow.config.list_physical_devices()]
    else:
        gpus["tensorflow"] = f"unavailable ({tf.reason})"
    return gpus


def fft_timing(n: int = 4096, repeats: int = 100) -> dict[str, float]:
    """Mean seconds per rfft of ``n`` samples, per available backend (after one warm-up)."""
    timings = {}
    x = np.random.default_rng(0).standard_normal(n)
    for name in available_backends():
        b = get_backend(name)
        xb = b.asarray(x)
        with b.scope():
            to_numpy(b.fft.rfft(xb))
            b.synchronize()
            start = time.perf_counter()
            for _ in range(repeats):
                out = b.fft.rfft(xb)
            b.synchronize()
            to_numpy(out)
        timings[name] = (time.perf_counter() - start) / repeats
    return timings


def system_report(timing: bool = True) -> dict[str, Any]:
    """Everything ``scicomp diagnose`` prints, as a dict."""
    from threadpoolctl import threadpool_info

    get_backend("numpy")  # loads BLAS and applies num_threads, so threadpoolctl sees them
    return {
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "blas": [
            {k: pool.get(k) for k in ("user_api", "internal_api", "num_threads", "version", "filepath")}
            for pool in threadpool_info()
        ],
        "gpu": _gpus(),
        "packages": _versions(),
        "backends": [s.as_dict() for s in backend_info()],
        "fft_seconds_per_call_4096": fft_timing() if timing else None,
    }
