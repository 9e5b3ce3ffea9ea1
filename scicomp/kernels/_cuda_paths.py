"""CUDA path kernels (numba.cuda): the same per-path streams and arithmetic as the Numba CPU kernel.

One GPU thread per path: thread ``p`` seeds xoshiro256** from ``(key, p)``
(:mod:`scicomp.kernels._rng`, compiled as device functions) and writes its row
of the output in place, so a request allocates only its paths. Given the same
key, the CPU (:mod:`scicomp.kernels._numba_paths`) and GPU kernels draw the
same normals; the paths agree to the last few ulps (the GPU's ``exp``).

Tested without a GPU under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``,
set before numba is imported; see tests/test_cuda_kernels.py). Nothing here is
imported until the cupy backend (or such a test) first calls it.
"""

from __future__ import annotations

import functools
import math
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import _rng

__all__ = ["KINDS", "cuda_kernels", "launch_fill_paths", "sample_paths_cupy"]

KINDS = {"BROWNIAN": 0, "GEOMETRIC": 1, "AR1": 2}
THREADS_PER_BLOCK = 128
cuda: Any = None  # numba.cuda, a module global (the simulator swaps globals, not closure cells)


@functools.cache
def cuda_kernels() -> SimpleNamespace:
    """Compile (lazily, once) the device functions and the ``fill_paths`` kernel."""
    global cuda
    from numba import cuda

    rng = _rng.build(cuda.jit(device=True))
    seed, normal = rng.seed, rng.normal
    brownian, geometric, ar1 = KINDS["BROWNIAN"], KINDS["GEOMETRIC"], KINDS["AR1"]

    @cuda.jit
    def fill_paths(out, key, kind, x0, a, b, c, ki, wi, fi):  # pragma: no cover - runs on the device
        p = cuda.grid(1)
        n_paths = out.shape[0]
        n_cols = out.shape[1]
        if p >= n_paths:
            return
        s0, s1, s2, s3 = seed(key[0], key[1], key[2], key[3], p)
        shift = x0 if kind == brownian else 0.0
        y = x0 if kind == ar1 else 0.0
        out[p, 0] = y + shift
        for k in range(1, n_cols):
            z, s0, s1, s2, s3 = normal(s0, s1, s2, s3, ki, wi, fi)
            if kind == ar1:
                y = a * y + (c + b * z)
            else:
                y += a + b * z
            out[p, k] = y + shift
        if kind == geometric:
            for k in range(n_cols):
                out[p, k] = x0 * math.exp(out[p, k])

    return SimpleNamespace(fill_paths=fill_paths, rng=rng)


def launch_fill_paths(out: Any, key: Any, kind: str, x0: float, a: float, b: float, c: float, tables: Any = None) -> Any:
    """Launch ``fill_paths`` over ``out`` (n_paths, n_steps + 1): a device array, or a host array under the simulator."""
    if tables is None:
        tables = _rng.ziggurat_tables()
    n_paths = int(out.shape[0])
    blocks = max(1, math.ceil(n_paths / THREADS_PER_BLOCK))
    cuda_kernels().fill_paths[blocks, THREADS_PER_BLOCK](out, key, KINDS[kind], float(x0), float(a), float(b), float(c), *tables)
    return out


@functools.cache
def _device_tables(cp: Any, device: str) -> tuple[Any, ...]:
    return tuple(cp.asarray(t) for t in _rng.ziggurat_tables())


def sample_paths_cupy(
    backend: Any, generator: Any, kind: str, n_paths: int, n_steps: int, x0: float, a: float, b: float, c: float
) -> Any:
    """Paths of ``kind`` as a CuPy array, written in place by one kernel (keyed by 4 words from ``generator``)."""
    cp = backend.cp
    out = cp.empty((n_paths, n_steps + 1), dtype=backend.float_dtype)
    key = cp.asarray(_rng.stream_key(generator, backend.to_numpy).astype(np.uint64))  # 32 bytes, an explicit upload
    launch_fill_paths(out, key, kind, x0, a, b, c, _device_tables(cp, backend.device))
    return out
