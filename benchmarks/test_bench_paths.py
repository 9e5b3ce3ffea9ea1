"""Target 3: GBM 10,000 paths x 252 steps (float64) against the naive NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import QUICK, SIZE_BACKENDS, skip_unless_available

import scicomp
from scicomp import GeometricBrownianMotion

MU, SIGMA, S0, T, STEPS = 0.05, 0.2, 100.0, 1.0, 252
N_PATHS = 10_000


def naive_gbm(n_paths: int, seed: int = 0) -> np.ndarray:
    """What a user writes without scicomp: normals, cumulative sum, exponential."""
    dt = T / STEPS
    z = np.random.default_rng(seed).standard_normal((n_paths, STEPS))
    log_paths = np.cumsum((MU - 0.5 * SIGMA**2) * dt + SIGMA * np.sqrt(dt) * z, axis=1)
    return np.concatenate([np.full((n_paths, 1), S0), S0 * np.exp(log_paths)], axis=1)


@pytest.mark.benchmark(group="paths-gbm-10000x252")
def test_reference_naive_numpy_gbm(benchmark):
    benchmark(naive_gbm, N_PATHS)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.benchmark(group="paths-gbm-10000x252")
def test_scicomp_gbm(benchmark, backend):
    skip_unless_available(backend)
    gbm = GeometricBrownianMotion(MU, SIGMA, s0=S0, seed=0, backend=backend)
    gbm.generate_paths(100, T=T, n_steps=STEPS)  # compile / warm up outside the timing
    benchmark(gbm.generate_paths, N_PATHS, T=T, n_steps=STEPS)


PATH_SIZES = [1_000, 10_000] if QUICK else [1_000, 10_000, 100_000]


@pytest.mark.parametrize("n_paths", PATH_SIZES)
@pytest.mark.parametrize("backend", SIZE_BACKENDS)
@pytest.mark.benchmark(group="size-paths")
def test_size_paths(benchmark, backend, n_paths):
    skip_unless_available(backend)
    b = scicomp.get_backend(backend)
    gbm = GeometricBrownianMotion(MU, SIGMA, s0=S0, seed=0, backend=backend)
    gbm.generate_paths(10, T=T, n_steps=STEPS)
    benchmark.extra_info.update(backend=backend, size=n_paths * STEPS, family="paths")

    def run():
        out = gbm.generate_paths(n_paths, T=T, n_steps=STEPS)
        b.synchronize()
        return out

    benchmark.pedantic(run, rounds=3 if n_paths >= 100_000 else 5, warmup_rounds=1)
