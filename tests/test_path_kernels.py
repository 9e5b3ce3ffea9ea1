"""Sampling kernels with in-kernel random numbers (scicomp.kernels.paths / _rng / _numba_paths / montecarlo).

The Numba kernels draw their normals from per-path xoshiro256** streams and a
256-layer ziggurat. Checked here: the compiled generator equals its plain
Python definition bit for bit; its normals have the standard normal law
(Kolmogorov-Smirnov p > 1e-3; moments and tail mass within 5 standard
errors: mean SE 1/sqrt(n), variance SE sqrt(2/(n-1)), a proportion p's SE
sqrt(p(1-p)/n)); paths do not depend on the thread count; neighbouring path
streams are uncorrelated (SE 1/sqrt(n)); and the numpy backend's in-place
GBM equals the naive normals -> cumsum -> exp construction on the same normals.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import scicomp
from scicomp.kernels import _rng, paths
from scicomp.stochastic import BrownianMotion, GeometricBrownianMotion, OrnsteinUhlenbeck, price_european_option

numba = pytest.importorskip("numba")
pytestmark = pytest.mark.skipif("numba" not in scicomp.available_backends(), reason="numba backend unavailable")

KEY = np.array([11, 22, 33, 44], dtype=np.uint64)


def _numba_fill(kind: str, n_paths: int, n_cols: int, x0=0.0, a=0.0, b=1.0, c=0.0, key=KEY):
    from scicomp.kernels import _numba_paths

    out = np.empty((n_paths, n_cols))
    _numba_paths.fill_paths(out, key, getattr(_numba_paths, kind), x0, a, b, c, *_rng.ziggurat_tables())
    return out


def test_ziggurat_tables_tile_the_normal_density():
    """Every layer of the ziggurat has the same area v (x_i (f(x_{i-1}) - f(x_i)) = v), the base included."""
    ki, wi, fi = _rng.ziggurat_tables()
    x = wi * 2.0**52  # layer right edges
    v = 0.00492867323399
    areas = x[1:] * (fi[:-1] - fi[1:])  # layer i spans heights f(x_i)..f(x_{i-1}), with f(x_0) = f(0) = 1
    np.testing.assert_allclose(areas, v, rtol=1e-9)
    r = x[255]
    base = r * fi[255] + math.sqrt(math.pi / 2) * math.erfc(r / math.sqrt(2))  # the base strip and the tail
    assert base == pytest.approx(v, rel=1e-9)
    assert fi[0] == 1.0
    np.testing.assert_allclose(fi[1:], np.exp(-0.5 * x[1:] ** 2), rtol=1e-12, atol=0)  # f(x) = exp(-x^2 / 2)
    assert ki.dtype == np.int64 and np.all(ki[2:] > 0) and np.all(ki < 2**52)


def test_compiled_generator_equals_its_python_definition():
    """The same functions run as plain Python (no jit) give the numbers the Numba kernel wrote."""
    py = _rng.build(lambda f: f)
    tables = _rng.ziggurat_tables()
    got = _numba_fill("BROWNIAN", 3, 41)  # x0 = 0, a = 0, b = 1: the running sum of the normals
    with np.errstate(over="ignore"):
        for p in range(3):
            state = py.seed(*KEY, p)
            z = []
            for _ in range(40):
                value, *state = py.normal(*state, *tables)
                z.append(value)
            np.testing.assert_allclose(np.diff(got[p]), z, rtol=1e-12, atol=1e-12)


def test_in_kernel_normals_have_the_standard_normal_law():
    n_paths, n_steps = 4000, 250
    z = np.diff(_numba_fill("BROWNIAN", n_paths, n_steps + 1), axis=1)
    flat = z.ravel()
    n = flat.size
    assert abs(flat.mean()) < 5 / math.sqrt(n)
    assert abs(flat.var(ddof=1) - 1.0) < 5 * math.sqrt(2.0 / (n - 1))
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    for edge in (1.0, 2.5, 3.6541528853610088, 4.5):  # the ziggurat's layers, its tail start and the far tail
        p = 2 * stats.norm.sf(edge)
        assert abs(np.mean(np.abs(flat) > edge) - p) < 5 * math.sqrt(p * (1 - p) / n) + 1e-12, edge
    # neighbouring paths (streams p and p + 1) and successive draws are uncorrelated
    r_paths = np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]
    r_steps = np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]
    assert abs(r_paths) < 5 / math.sqrt(z[:-1].size) and abs(r_steps) < 5 / math.sqrt(z[:, 1:].size)


def test_kernel_kinds_follow_their_recurrences():
    """Given the kernel's own normals (the Brownian kind with a = 0, b = 1), each kind is its exact construction."""
    z = np.diff(_numba_fill("BROWNIAN", 5, 31), axis=1)
    a, b, c, x0 = 0.002, 0.03, 0.4, 1.5
    bm = _numba_fill("BROWNIAN", 5, 31, x0, a, b)
    np.testing.assert_allclose(bm, x0 + np.concatenate([np.zeros((5, 1)), np.cumsum(a + b * z, axis=1)], axis=1), rtol=1e-12)
    gbm = _numba_fill("GEOMETRIC", 5, 31, 80.0, a, b)
    ref = 80.0 * np.exp(np.concatenate([np.zeros((5, 1)), np.cumsum(a + b * z, axis=1)], axis=1))
    np.testing.assert_allclose(gbm, ref, rtol=1e-12)
    assert np.all(gbm[:, 0] == 80.0) and np.all(bm[:, 0] == x0)
    ar1 = _numba_fill("AR1", 5, 31, x0, 0.9, b, c)
    loop = np.empty((5, 31))
    loop[:, 0] = x0
    for k in range(30):
        loop[:, k + 1] = 0.9 * loop[:, k] + c + b * z[:, k]
    np.testing.assert_allclose(ar1, loop, rtol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: GeometricBrownianMotion(0.05, 0.2, s0=100.0, seed=8),
        lambda: BrownianMotion(0.1, 0.4, seed=8),
        lambda: OrnsteinUhlenbeck(2.0, 1.0, 0.3, x0=0.5, seed=8),
    ],
)
def test_numba_paths_do_not_depend_on_the_thread_count(make):
    results = []
    for threads in (1, 2):
        with scicomp.config_context(num_threads=threads):
            results.append(make().generate_paths(257, T=1.0, n_steps=33, backend="numba")[1])
    np.testing.assert_array_equal(results[0], results[1])
    other = OrnsteinUhlenbeck(2.0, 1.0, 0.3, x0=0.5, seed=9).generate_paths(257, T=1.0, n_steps=33, backend="numba")[1]
    assert not np.array_equal(results[0], other)


def test_fused_pricing_does_not_depend_on_threads_or_chunking():
    args = (100.0, 95.0, 0.03, 0.25, 1.0)
    kwargs = {"n_paths": 6 * 2**14 + 10, "seed": 3, "backend": "numba"}
    with scicomp.config_context(num_threads=1):
        one = price_european_option(*args, **kwargs)
    with scicomp.config_context(num_threads=2, memory_limit_gb=2e-3):
        two = price_european_option(*args, **kwargs)
    assert one.n_chunks == 1 and two.n_chunks > 1
    assert two.price == pytest.approx(one.price, rel=1e-12)
    assert two.std_error == pytest.approx(one.std_error, rel=1e-10)


def test_numpy_in_place_gbm_is_the_naive_construction():
    """The numpy kernel draws into its output buffer; from the same normals, the naive construction agrees."""
    b = scicomp.get_backend("numpy")
    n_paths, n_steps, a, s, s0 = 7, 12, 0.001, 0.02, 50.0
    got = paths.sample_geometric_paths_numpy(b, b.random(5), n_paths, n_steps, s0, a, s)
    flat = np.empty(n_paths * (n_steps + 1))
    flat[1:] = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5))).standard_normal(flat.size - 1)
    z = flat.reshape(n_paths, n_steps + 1)[:, 1:]
    ref = s0 * np.exp(np.concatenate([np.zeros((n_paths, 1)), np.cumsum(a + s * z, axis=1)], axis=1))
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert np.all(got[:, 0] == s0)
    bm = paths.sample_brownian_paths_numpy(b, b.random(5), n_paths, n_steps, 2.0, a, s)
    np.testing.assert_allclose(bm, 2.0 + np.log(ref / s0), rtol=1e-10, atol=1e-12)


def test_float32_kernels_write_float32():
    with scicomp.config_context(float_precision="float32"):
        for backend in ("numpy", "numba"):
            _, p = GeometricBrownianMotion(0.05, 0.2, s0=10.0, seed=1).generate_paths(20, n_steps=8, backend=backend)
            assert p.dtype == np.float32 and np.all(p[:, 0] == np.float32(10.0)) and np.all(np.isfinite(p))


def test_numba_paths_are_the_same_run_after_run():
    """A fresh interpreter (the kernel loaded from the on-disk cache) gives this process's paths."""
    import subprocess
    import sys

    code = (
        "from scicomp.stochastic import GeometricBrownianMotion as G; import numpy as np; "
        "print(repr(G(0.05, 0.2, s0=10.0, seed=21).generate_paths(6, n_steps=7, backend='numba')[1].sum()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    here = GeometricBrownianMotion(0.05, 0.2, s0=10.0, seed=21).generate_paths(6, n_steps=7, backend="numba")[1].sum()
    assert float(out.strip().splitlines()[-1].replace("np.float64(", "").rstrip(")")) == float(here)
