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
