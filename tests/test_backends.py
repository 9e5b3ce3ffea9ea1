"""Backend layer: resolution, fallback, laziness, and each backend against NumPy/SciPy."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import scipy.fft

import scicomp
from scicomp.backends import BACKEND_NAMES, resolve_backend_name, status
from tests.conftest import rtol_for, to_np

RNG = np.random.default_rng(0)


# -- selection ----------------------------------------------------------------
def test_numpy_is_always_available():
    assert scicomp.available_backends()[0] == "numpy"
    info = {b.name: b for b in scicomp.backend_info()}
    assert set(info) == set(BACKEND_NAMES)
    assert info["numpy"].available and info["numpy"].version == np.__version__


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI promise: numpy, numba and tensorflow run there")
def test_ci_runs_numpy_numba_and_tensorflow():
    assert {"numpy", "numba", "tensorflow"} <= set(scicomp.available_backends())


def test_unavailable_backend_reports_reason():
    for b in scicomp.backend_info():
        assert b.available or b.reason, b


@pytest.mark.skipif(status("cupy").available, reason="a CUDA device answers here")
def test_cupy_without_gpu_is_unavailable_not_a_crash():
    st = status("cupy")
    assert not st.available
    assert "cupy" not in scicomp.available_backends()
    with pytest.raises(scicomp.BackendUnavailableError, match="cupy") as err:
        scicomp.get_backend("cupy")
    assert "scicomp[gpu]" in str(err.value) or "CUDA" in str(err.value)


def test_auto_is_numpy_on_the_cpu():
    assert resolve_backend_name("auto") == "numpy"
    assert scicomp.get_backend().name == "numpy"


@pytest.mark.skipif(status("cupy").available, reason="a CUDA device answers here")
def test_use_gpu_without_gpu_falls_back_with_one_warning(caplog, monkeypatch):
    import scicomp.backends as backends

    monkeypatch.setattr(backends, "_fallback_warned", False)
    monkeypatch.setitem(
        backends._status, "tensorflow", backends.BackendStatus("tensorflow", True, "", "x", "/CPU:0", "tensorflow")
    )
    with caplog.at_level(logging.WARNING, logger="scicomp"), scicomp.config_context(use_gpu=True):
        assert scicomp.get_backend().name == "numpy"
        assert scicomp.get_backend().name == "numpy"
    warnings = [r for r in caplog.records if "falling back" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.skipif(status("cupy").available, reason="a CUDA device answers here")
def test_strict_gpu_makes_the_fallback_an_error(monkeypatch):
    import scicomp.backends as backends

    monkeypatch.setitem(
        backends._status, "tensorflow", backends.BackendStatus("tensorflow", True, "", "x", "/CPU:0", "tensorflow")
    )
    with scicomp.config_context(use_gpu=True, strict_gpu=True):
        with pytest.raises(scicomp.BackendUnavailableError, match="strict_gpu"):
            scicomp.get_backend()


def test_unknown_backend_lists_choices():
    with pytest.raises(scicomp.ConfigError, match="numba"):
        scicomp.get_backend("torch")
    with pytest.raises(scicomp.ConfigError, match="tensorflow"):
        with scicomp.use_backend("jax"):
            pass


def test_missing_package_names_the_extra(monkeypatch):
    import scicomp.backends as backends

    monkeypatch.setitem(
        backends._status, "numba", backends.BackendStatus("numba", False, "numba is not installed", None, None, "numba")
    )
    monkeypatch.setattr(backends, "_last", {})  # forget the answer cached for this config
    with pytest.raises(scicomp.BackendUnavailableError, match=r"scicomp\[numba\]"):
        scicomp.get_backend("numba")


def test_use_backend_nests_and_restores(backend_name):
    with scicomp.use_backend(backend_name) as b:
        assert b.name == backend_name and scicomp.get_backend().name == backend_name
        with scicomp.use_backend("numpy"):
            assert scicomp.get_backend().name == "numpy"
        assert scicomp.get_backend().name == backend_name
    assert scicomp.get_backend().name == "numpy"


def test_use_backend_is_thread_local():
    barrier = threading.Barrier(2)
    seen = {}

    def inside():
        with scicomp.use_backend("numba" if status("numba").available else "numpy"):
            barrier.wait()
            barrier.wait()

    def outside():
        barrier.wait()
        seen["outside"] = scicomp.get_backend().name
        barrier.wait()

    threads = [threading.Thread(target=inside), threading.Thread(target=outside)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert seen["outside"] == "numpy"


def test_instances_are_cached_per_settings():
    assert scicomp.get_backend("numpy") is scicomp.get_backend("numpy")
    with scicomp.config_context(float_precision="float32"):
        assert scicomp.get_backend("numpy").float_dtype == np.float32


def test_import_is_lazy_and_cheap():
    code = (
        "import sys, time; t = time.perf_counter(); import scicomp; dt = time.perf_counter() - t;"
        "print([m for m in ('tensorflow', 'cupy', 'numba', 'matplotlib', 'scipy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_num_threads_reaches_blas_and_scipy_fft():
    from threadpoolctl import threadpool_info

    with scicomp.config_context(num_threads=1):
        b = scicomp.get_backend("numpy")
        assert b.fft.rfft.keywords["workers"] == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    scicomp.get_backend("numpy")  # back to the default count
    assert all(pool["num_threads"] == scicomp.get_config().num_threads for pool in threadpool_info())


@pytest.mark.skipif(not status("numba").available, reason="numba unavailable")
def test_num_threads_reaches_numba():
    import numba

    with scicomp.config_context(num_threads=1):
        with scicomp.get_backend("numba").scope():
            assert numba.get_num_threads() == 1


@pytest.mark.parametrize("method", ["scipy", "numpy", "mkl"])
def test_fft_method(method):
    if method == "mkl":
        pytest.importorskip("mkl_fft")
    x = RNG.standard_normal(256)
    with scicomp.config_context(fft_method=method):
        b = scicomp.get_backend("numpy")
        np.testing.assert_allclose(b.fft.rfft(x), np.fft.rfft(x), rtol=1e-12, atol=1e-12)


# -- each backend against NumPy/SciPy ---------------------------------------------
def test_asarray_uses_configured_precision(backend_name, precision):
    b = scicomp.get_backend(backend_name)
    x = b.asarray([1, 2, 3])
    assert to_np(x).dtype == np.dtype(precision)
    z = b.asarray(np.array([1 + 2j]))
    assert to_np(z).dtype == np.dtype("complex64" if precision == "float32" else "complex128")
    assert b.owns(x) and not b.owns([1, 2])


@pytest.mark.parametrize("shape, axis", [((64,), -1), ((3, 50), -1), ((6, 33), 0)])
def test_fft_matches_scipy(backend_name, precision, shape, axis):
    b = scicomp.get_backend(backend_name)
    x = RNG.standard_normal(shape)
    rtol = rtol_for(precision)
    xb = b.asarray(x)
    ref_x = to_np(xb).astype(np.float64)
    atol = rtol * np.abs(scipy.fft.fft(ref_x, axis=axis)).max()
    for norm in (None, "ortho", "forward"):
        np.testing.assert_allclose(
            to_np(b.fft.rfft(xb, axis=axis, norm=norm)), scipy.fft.rfft(ref_x, axis=axis, norm=norm), rtol=rtol, atol=atol
        )
        np.testing.assert_allclose(
            to_np(b.fft.fft(xb, axis=axis, norm=norm)), scipy.fft.fft(ref_x, axis=axis, norm=norm), rtol=rtol, atol=atol
        )
    spec = b.fft.rfft(xb, axis=axis)
    n = shape[axis]
    np.testing.assert_allclose(to_np(b.fft.irfft(spec, n=n, axis=axis)), ref_x, rtol=rtol, atol=atol)
    np.testing.assert_allclose(to_np(b.fft.ifft(b.fft.fft(xb, axis=axis), axis=axis)).real, ref_x, rtol=rtol, atol=atol)
    np.testing.assert_allclose(
        to_np(b.fft.rfft(xb, n=2 * n, axis=axis)), scipy.fft.rfft(ref_x, n=2 * n, axis=axis), rtol=rtol, atol=atol
    )
    assert to_np(b.fft.rfft(xb)).dtype == np.dtype("complex64" if precision == "float32" else "complex128")


def test_fftn_and_frequencies(backend):
    x = RNG.standard_normal((8, 12)) + 1j * RNG.standard_normal((8, 12))
    xb = backend.asarray(x)
    np.testing.assert_allclose(to_np(backend.fft.fftn(xb)), np.fft.fftn(x), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(to_np(backend.fft.ifftn(backend.fft.fftn(xb))), x, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_np(backend.fft.fftfreq(10, 0.1)), np.fft.fftfreq(10, 0.1))
    np.testing.assert_allclose(to_np(backend.fft.rfftfreq(11, 0.5)), np.fft.rfftfreq(11, 0.5))


def test_linalg_matches_numpy(backend):
    la = backend.linalg
    a = RNG.standard_normal((5, 5))
    spd = a @ a.T + 5 * np.eye(5)
    b = RNG.standard_normal(5)
    A, S, B = backend.asarray(a), backend.asarray(spd), backend.asarray(b)
    close = lambda got, want: np.testing.assert_allclose(to_np(got), want, rtol=1e-9, atol=1e-10)
    close(la.solve(A, B), np.linalg.solve(a, b))
    close(la.inv(A), np.linalg.inv(a))
    close(la.det(A), np.linalg.det(a))
    close(la.cholesky(S), np.linalg.cholesky(spd))
    close(la.eigh(S)[0], np.linalg.eigh(spd)[0])
    close(la.svd(A, compute_uv=False), np.linalg.svd(a, compute_uv=False))
    u, s, vh = la.svd(A)
    close(to_np(u) @ np.diag(to_np(s)) @ to_np(vh), a)
    q, r = la.qr(A)
    close(to_np(q) @ to_np(r), a)
    for order in (None, "fro", "nuc", 1, 2, np.inf):
        close(la.norm(A, order), np.linalg.norm(a, order))
    close(la.norm(B), np.linalg.norm(b))
    close(la.cond(A), np.linalg.cond(a))
    close(la.cond(A, 1), np.linalg.cond(a, 1))
    assert int(to_np(la.matrix_rank(A))) == 5
    tall = RNG.standard_normal((8, 3))
    x, res, rank, sv = la.lstsq(backend.asarray(tall), backend.asarray(RNG.standard_normal(8)))
    assert int(to_np(rank)) == 3 and to_np(res).shape == (1,)
    ev = np.sort_complex(to_np(la.eig(A)[0]))
    np.testing.assert_allclose(ev, np.sort_complex(np.linalg.eigvals(a)), rtol=1e-9)


def test_singular_matrix_raises_linalgerror(backend):
    singular = backend.asarray([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError):
        backend.linalg.inv(singular)
    with pytest.raises(np.linalg.LinAlgError):
        backend.linalg.solve(singular, backend.asarray([1.0, 1.0]))


def test_random_is_reproducible_and_spawns_independent_streams(backend, precision):
    b = scicomp.get_backend(backend.name)
    one = to_np(b.random(7).normal(size=1000))
    two = to_np(b.random(7).normal(size=1000))
    np.testing.assert_array_equal(one, two)
    assert one.dtype == np.dtype(precision)
    other = to_np(b.random(8).normal(size=1000))
    assert not np.array_equal(one, other)
    children = b.random(7).spawn(2)
    c0, c1 = (to_np(g.normal(size=20000)) for g in children)
    # Independent standard normals: correlation ~ N(0, 1/n); 5 standard errors.
    assert abs(np.corrcoef(c0, c1)[0, 1]) < 5 / np.sqrt(20000)
    np.testing.assert_array_equal(to_np(b.random(7).spawn(2)[1].normal(size=5)), c1[:5])


def test_random_moments(backend):
    g = backend.random(3)
    n = 100_000
    x = to_np(g.normal(2.0, 3.0, size=n))
    assert abs(x.mean() - 2.0) < 5 * 3.0 / np.sqrt(n)
    assert abs(x.var() - 9.0) < 5 * 9.0 * np.sqrt(2 / n)
    u = to_np(g.uniform(-1.0, 1.0, size=n))
    assert u.min() >= -1 and u.max() < 1 and abs(u.mean()) < 5 * np.sqrt(1 / 3 / n)
    k = to_np(g.integers(0, 10, size=n))
    assert k.min() == 0 and k.max() == 9
    p = to_np(g.poisson(4.0, size=n))
    assert abs(p.mean() - 4.0) < 5 * 2.0 / np.sqrt(n)


def test_bad_seed_is_a_clear_error(backend):
    with pytest.raises(ValueError, match="seed"):
        backend.random(-1)
    with pytest.raises(ValueError, match="seed"):
        backend.random("abc")


def test_to_numpy_and_synchronize(backend):
    x = backend.asarray([1.0, 2.0])
    backend.synchronize()
    assert isinstance(scicomp.to_numpy(x), np.ndarray)
    np.testing.assert_array_equal(scicomp.to_numpy(x), [1.0, 2.0])


# -- interop ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128", "int64"])
def test_asarray_moves_between_backends_keeping_dtype(backend_name, dtype):
    x = (np.arange(12).reshape(3, 4) * (1 + 1j if dtype.startswith("complex") else 1)).astype(dtype)
    moved = scicomp.asarray(x, backend=backend_name)
    assert scicomp.get_backend(backend_name).owns(moved)
    back = scicomp.asarray(moved, backend="numpy")
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, x)


# -- the CuPy backend's logic, driven through its seam with a NumPy stand-in ----------
class _FakeCuda:
    class runtime:
        @staticmethod
        def getDeviceCount():
            return 1

        @staticmethod
        def getDevice():
            return 0

    class _Stream:
        def synchronize(self):
            pass

    @classmethod
    def get_current_stream(cls):
        return cls._Stream()


class _FakePool:
    limit = None

    def set_limit(self, size):
        _FakePool.limit = size


def _fake_cupy():
    from types import SimpleNamespace

    import array_api_compat.numpy as xp

    fake = SimpleNamespace(
        cuda=_FakeCuda,
        ndarray=np.ndarray,
        asarray=np.asarray,
        asnumpy=np.asarray,
        from_dlpack=np.from_dlpack,
        get_default_memory_pool=lambda: _FakePool(),
        random=np.random,
        fft=np.fft,
    )
    return SimpleNamespace(cupy=fake, xp=xp, fft=scipy.fft, linalg=np.linalg)


def test_cupy_backend_logic_through_its_seam(monkeypatch):
    from scicomp.backends import cupy_backend

    monkeypatch.setattr(cupy_backend, "load_cupy", _fake_cupy)
    monkeypatch.setattr(cupy_backend, "_cupy_version", lambda: "test")
    st = cupy_backend.CupyBackend.probe()
    assert st.available and st.gpu and st.device == "cuda:0"
    config = scicomp.get_config()
    config.memory_limit_gb = 2
    b = cupy_backend.CupyBackend(config)
    assert _FakePool.limit == 2 * 1024**3
    x = RNG.standard_normal(32)
    np.testing.assert_allclose(b.fft.rfft(b.asarray(x)), np.fft.rfft(x))
    np.testing.assert_allclose(b.fft.rfftfreq(32, 0.1), np.fft.rfftfreq(32, 0.1))
    np.testing.assert_array_equal(b.random(5).normal(size=4), b.random(5).normal(size=4))
    assert b.random(5).normal(size=3).dtype == np.float64
    assert b.linalg.cond(np.eye(3) * 2) == pytest.approx(1.0)


def test_cupy_probe_reads_a_failing_driver_as_unavailable(monkeypatch):
    from scicomp.backends import cupy_backend

    def no_driver(_):
        raise RuntimeError("cudaErrorInsufficientDriver")

    monkeypatch.setattr(cupy_backend, "load_cupy", _fake_cupy)
    monkeypatch.setattr(cupy_backend, "cuda_device_count", no_driver)
    st = cupy_backend.CupyBackend.probe()
    assert not st.available and "no CUDA device / driver" in st.reason
