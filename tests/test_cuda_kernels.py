"""CUDA path kernels (scicomp.kernels._cuda_paths), checked under Numba's CUDA simulator and, with @gpu, on a device.

The simulator must be switched on before numba is imported, so those checks
run in a fresh interpreter with NUMBA_ENABLE_CUDASIM=1 (small sizes: every
simulated GPU thread is a Python thread). The CUDA kernel runs the same
generator and arithmetic as the Numba CPU kernel, so given the same key its
paths must equal the CPU kernel's (whose law tests/test_path_kernels.py
checks) to rounding: rtol 1e-12 under the simulator (the same libm), 1e-10
on a GPU (its exp and fused multiply-adds differ in the last bits).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import scicomp
from scicomp.kernels import _rng, paths

pytest.importorskip("numba")
needs_numba = pytest.mark.skipif("numba" not in scicomp.available_backends(), reason="numba backend unavailable")

KEY = [3, 1, 4, 1592653589793]
CASES = {  # kind: (x0, a, b, c)
    "BROWNIAN": (0.5, 0.01, 0.2, 0.0),
    "GEOMETRIC": (100.0, -0.001, 0.05, 0.0),
    "AR1": (-1.0, 0.8, 0.3, 0.1),
}
N_PATHS, N_COLS = 37, 13  # 37 paths: a partial block of threads, so the bounds check matters

SIMULATED = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")  # numpy scalars warn on the generator's intended uint64 wrap-around
    import numpy as np
    from numba import config
    assert config.ENABLE_CUDASIM, "the simulator is not on"
    from types import SimpleNamespace
    import scicomp
    from scicomp.kernels import _cuda_paths

    key = np.array({key}, dtype=np.uint64)
    result = {{}}
    for kind, (x0, a, b, c) in {cases}.items():
        first = _cuda_paths.launch_fill_paths(np.full(({n}, {m}), np.nan), key, kind, x0, a, b, c)
        again = _cuda_paths.launch_fill_paths(np.full(({n}, {m}), np.nan), key, kind, x0, a, b, c)
        result[kind] = first.tolist()
        result[kind + "-repeat-equal"] = bool(np.array_equal(first, again))
    # the cupy backend's entry point, driven with NumPy standing in for CuPy
    fake = SimpleNamespace(cp=np, float_dtype=np.dtype("float64"), to_numpy=np.asarray, device="sim")
    gen = scicomp.get_backend("numpy").random(7)
    out = _cuda_paths.sample_paths_cupy(fake, gen, "GEOMETRIC", 9, 6, 20.0, 0.001, 0.1, 0.0)
    result["cupy-entry"] = out.tolist()
    print(json.dumps(result))
    """
)


def _cpu(kind, key=KEY, n_paths=N_PATHS, n_cols=N_COLS, args=None):
    from scicomp.kernels import _numba_paths

    x0, a, b, c = CASES[kind] if args is None else args
    out = np.empty((n_paths, n_cols))
    key = np.asarray(key, dtype=np.uint64)
    return _numba_paths.fill_paths(out, key, getattr(_numba_paths, kind), x0, a, b, c, *_rng.ziggurat_tables())


@pytest.fixture(scope="module")
def simulated():
    code = SIMULATED.format(key=KEY, cases=CASES, n=N_PATHS, m=N_COLS)
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_numba
@pytest.mark.parametrize("kind", list(CASES))
def test_simulated_cuda_kernel_equals_the_cpu_kernel(simulated, kind):
    got = np.asarray(simulated[kind])
    assert got.shape == (N_PATHS, N_COLS) and np.all(np.isfinite(got))  # every row written, none left NaN
    np.testing.assert_allclose(got, _cpu(kind), rtol=1e-12, atol=1e-13)
    assert np.all(got[:, 0] == CASES[kind][0])  # exact start (geometric: s0 * exp(0))
    assert simulated[kind + "-repeat-equal"]  # deterministic: the same key gives the same paths
    assert len({tuple(row) for row in got[:, 1:].tolist()}) == N_PATHS  # every path its own stream


@needs_numba
def test_cupy_entry_point_matches_the_numba_backend(simulated):
    """Same seed, same key derivation: the cupy backend's kernel gives the numba backend's paths."""
    b = scicomp.get_backend("numba")
    ref = b.kernels.sample_geometric_paths(b, b.random(7), 9, 6, 20.0, 0.001, 0.1)
    np.testing.assert_allclose(np.asarray(simulated["cupy-entry"]), ref, rtol=1e-12)


def test_cupy_backend_kernel_table_uses_the_cuda_kernels():
    table = paths.implementations("cupy")
    for name in ("sample_brownian_paths", "sample_geometric_paths", "sample_ar1_paths"):
        assert table[name] is not getattr(paths, name), name
    assert "cuda" in table["sample_geometric_paths"].__qualname__
    assert table["sample_brownian_paths"] is not paths.implementations("tensorflow")["sample_brownian_paths"]


# -- on a real GPU (benchmarks/gpu_check.sh runs these) ------------------------------------
def _cupy_backend():
    if "cupy" not in scicomp.available_backends():
        pytest.skip("cupy backend unavailable (no CUDA device)")
    return scicomp.get_backend("cupy")


@pytest.mark.gpu
@needs_numba
@pytest.mark.parametrize("kind", list(CASES))
def test_device_kernel_equals_the_cpu_kernel(kind):
    b = _cupy_backend()
    from scicomp.kernels import _cuda_paths

    out = b.cp.empty((1000, 64), dtype=np.float64)
    key = b.cp.asarray(np.asarray(KEY, dtype=np.uint64))
    _cuda_paths.launch_fill_paths(out, key, kind, *CASES[kind], tables=tuple(b.cp.asarray(t) for t in _rng.ziggurat_tables()))
    b.synchronize()
    np.testing.assert_allclose(b.to_numpy(out), _cpu(kind, n_paths=1000, n_cols=64), rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
def test_cupy_gbm_law_and_reproducibility():
    """Terminal log-price mean and variance within 5 SE (SE sqrt(v/n) and v sqrt(2/(n-1)))."""
    b = _cupy_backend()
    from scicomp import GeometricBrownianMotion

    mu, sigma, n = 0.05, 0.2, 200_000
    _, p1 = GeometricBrownianMotion(mu, sigma, s0=1.0, seed=3).generate_paths(n, T=1.0, n_steps=50, backend=b)
    _, p2 = GeometricBrownianMotion(mu, sigma, s0=1.0, seed=3).generate_paths(n, T=1.0, n_steps=50, backend=b)
    assert b.owns(p1) and bool(b.xp.all(p1 == p2))
    log_terminal = np.log(b.to_numpy(p1[:, -1]))
    v = sigma**2
    assert abs(log_terminal.mean() - (mu - v / 2)) < 5 * np.sqrt(v / n)
    assert abs(log_terminal.var(ddof=1) - v) < 5 * v * np.sqrt(2 / (n - 1))
