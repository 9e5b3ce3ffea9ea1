"""Size-aware 'auto' backend from a (synthetic) calibration profile."""

from __future__ import annotations

import json

import pytest

import scicomp
from scicomp.backends import profile, status


@pytest.fixture
def profile_file(tmp_path, monkeypatch):
    path = tmp_path / "calibration.json"
    monkeypatch.setenv(profile.PROFILE_ENV, str(path))
    profile.reload_profile()
    yield path
    monkeypatch.delenv(profile.PROFILE_ENV)
    profile.reload_profile()


SYNTHETIC = {
    "version": 1,
    "families": {
        "fft": {"choice": [{"up_to": 4096, "backend": "numpy"}, {"up_to": None, "backend": "numba"}]},
        "linalg": {"choice": [{"up_to": None, "backend": "cupy"}]},
    },
}


@pytest.mark.skipif(not status("numba").available, reason="numba unavailable")
def test_auto_picks_by_size(profile_file):
    profile.write_profile(SYNTHETIC)
    assert scicomp.get_backend(family="fft", size=1024).name == "numpy"
    assert scicomp.get_backend(family="fft", size=4096).name == "numpy"
    assert scicomp.get_backend(family="fft", size=4097).name == "numba"
    assert scicomp.get_backend(family="paths", size=10**9).name == "numpy"  # family not calibrated


def test_named_backend_ignores_the_profile(profile_file):
    profile.write_profile(SYNTHETIC)
    assert scicomp.get_backend("numpy", family="fft", size=10**7).name == "numpy"
    with scicomp.config_context(backend="numpy"):
        assert scicomp.get_backend(family="fft", size=10**7).name == "numpy"


@pytest.mark.skipif(status("cupy").available, reason="a CUDA device answers here")
def test_gpu_choice_needs_use_gpu_and_a_gpu(profile_file):
    profile.write_profile(SYNTHETIC)
    assert scicomp.get_backend(family="linalg", size=10**6).name == "numpy"
    with scicomp.config_context(use_gpu=True):
        assert scicomp.get_backend(family="linalg", size=10**6).name == "numpy"  # no CUDA here: fallback


def test_no_profile_means_plain_auto(profile_file):
    assert profile.load_profile() is None
    assert scicomp.get_backend(family="fft", size=10**7).name == "numpy"


def test_malformed_profile_is_ignored_with_a_warning(profile_file, caplog):
    profile_file.write_text(json.dumps({"families": {"fft": {"choice": "numba"}}}))
    assert profile.reload_profile() is None
    assert "malformed" in caplog.text
    profile_file.write_text("{oops")
    assert profile.reload_profile() is None


def test_write_profile_refuses_a_bad_profile(profile_file):
    with pytest.raises(ValueError, match="families"):
        profile.write_profile({"fft": "numba"})


@pytest.mark.skipif(not status("numba").available, reason="numba unavailable")
def test_algorithms_pass_their_size_to_auto(profile_file, monkeypatch):
    """Each algorithm family asks 'auto' with its own size (samples, paths x steps, problems, elements)."""
    import numpy as np

    import scicomp.backends as backends
    from scicomp import BFGS, GeometricBrownianMotion, MatrixOperations, SignalProcessor

    limits = {"fft": 1000, "paths": 1000, "bfgs": 10, "linalg": 100}
    profile.write_profile(
        {
            "families": {
                f: {"choice": [{"up_to": n, "backend": "numpy"}, {"up_to": None, "backend": "numba"}]} for f, n in limits.items()
            }
        }
    )
    chosen = []
    real = backends._size_aware

    def spy(family, size, config):
        chosen.append((family, size, real(family, size, config)))
        return chosen[-1][2]

    monkeypatch.setattr(backends, "_size_aware", spy)
    sp = SignalProcessor(1000.0)
    assert isinstance(sp.compute_fft(np.ones(512))[1], np.ndarray)
    assert isinstance(sp.compute_fft(np.ones(4096))[1], np.ndarray)  # numba returns NumPy arrays too
    GeometricBrownianMotion(0.05, 0.2, seed=1).generate_paths(10, n_steps=10)
    GeometricBrownianMotion(0.05, 0.2, seed=1).generate_paths(100, n_steps=100)
    BFGS().minimize(lambda x: (1 - x[..., 0]) ** 2 + 100 * (x[..., 1] - x[..., 0] ** 2) ** 2, np.zeros((20, 2)))
    MatrixOperations.condition_number(np.eye(5))
    MatrixOperations.condition_number(np.eye(20))
    assert chosen == [
        ("fft", 512, "numpy"),
        ("fft", 4096, "numba"),
        ("paths", 100, "numpy"),
        ("paths", 10_000, "numba"),
        ("bfgs", 20, "numba"),
        ("linalg", 25, "numpy"),
        ("linalg", 400, "numba"),
    ]
