"""GPU targets (run by gpu_check.sh on an NVIDIA machine; skipped elsewhere).

Each against the same machine's CPU numpy in the same run: FFT of 2^24
complex64 points >= 20x, GBM 10^6 paths x 252 steps >= 50x, batched BFGS of
10^5 Rosenbrock problems >= 20x; the FFT's effective bandwidth is recorded
as a fraction of the device's peak memory bandwidth.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import QUICK, skip_unless_available

import scicomp
from scicomp import BFGS, GeometricBrownianMotion

N_FFT = 2**20 if QUICK else 2**24
N_GBM = 10**5 if QUICK else 10**6
N_BFGS = 10**4 if QUICK else 10**5
pytestmark = pytest.mark.gpu


def _peak_bandwidth_bytes_per_s() -> float | None:
    import cupy as cp

    props = cp.cuda.runtime.getDeviceProperties(cp.cuda.runtime.getDevice())
    clock_khz = props.get("memoryClockRate", 0)
    bus_bits = props.get("memoryBusWidth", 0)
    return 2.0 * clock_khz * 1e3 * bus_bits / 8 if clock_khz and bus_bits else None


def _signal() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.standard_normal(N_FFT) + 1j * rng.standard_normal(N_FFT)).astype(np.complex64)


@pytest.mark.benchmark(group="gpu-fft")
def test_gpu_reference_numpy_fft(benchmark):
    skip_unless_available("cupy")
    x = _signal()
    benchmark.pedantic(np.fft.fft, args=(x,), rounds=3, warmup_rounds=1)


@pytest.mark.benchmark(group="gpu-fft")
def test_gpu_cupy_fft(benchmark):
    skip_unless_available("cupy")
    with scicomp.config_context(float_precision="float32"):
        b = scicomp.get_backend("cupy")
        x = b.asarray(_signal())

        def run():
            out = b.fft.fft(x)
            b.synchronize()
            return out

        benchmark.pedantic(run, rounds=20, warmup_rounds=2)
    seconds = benchmark.stats.stats.min
    moved = 2 * N_FFT * 8  # one complex64 read and one written per point
    peak = _peak_bandwidth_bytes_per_s()
    benchmark.extra_info.update(bytes=moved, bandwidth_gb_s=moved / seconds / 1e9)
    if peak:
        benchmark.extra_info.update(peak_gb_s=peak / 1e9, bandwidth_fraction=moved / seconds / peak)


@pytest.mark.benchmark(group="gpu-paths")
def test_gpu_reference_numpy_gbm(benchmark):
    skip_unless_available("cupy")
    gbm = GeometricBrownianMotion(0.05, 0.2, s0=100.0, seed=0, backend="numpy")
    benchmark.pedantic(gbm.generate_paths, args=(N_GBM,), kwargs={"T": 1.0, "n_steps": 252}, rounds=2, warmup_rounds=0)


@pytest.mark.benchmark(group="gpu-paths")
def test_gpu_cupy_gbm(benchmark):
    skip_unless_available("cupy")
    b = scicomp.get_backend("cupy")
    gbm = GeometricBrownianMotion(0.05, 0.2, s0=100.0, seed=0, backend="cupy")

    def run():
        out = gbm.generate_paths(N_GBM, T=1.0, n_steps=252)
        b.synchronize()
        return out

    benchmark.pedantic(run, rounds=5, warmup_rounds=1)


def _starts() -> np.ndarray:
    return np.random.default_rng(4).uniform(-2.0, 2.0, size=(N_BFGS, 2))


@pytest.mark.benchmark(group="gpu-bfgs")
def test_gpu_reference_numpy_bfgs(benchmark):
    skip_unless_available("cupy")
    from scicomp.optimize.problems import get_problem

    p = get_problem("rosenbrock")
    solver = BFGS(tolerance=1e-6, backend="numpy")
    benchmark.pedantic(solver.minimize, args=(p.f, _starts()), kwargs={"jac": p.grad}, rounds=2, warmup_rounds=0)


@pytest.mark.benchmark(group="gpu-bfgs")
def test_gpu_cupy_bfgs(benchmark):
    skip_unless_available("cupy")
    from scicomp.optimize.problems import get_problem

    b = scicomp.get_backend("cupy")
    p = get_problem("rosenbrock")
    solver = BFGS(tolerance=1e-6, backend="cupy")
    starts = b.asarray(_starts())

    def run():
        out = solver.minimize(p.f, starts, jac=p.grad)
        b.synchronize()
        return out

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
