"""Benchmark suite settings: `pytest benchmarks/ --benchmark-only`.

Each target pairs a scicomp benchmark with its reference in the same group, so
`check_targets.py` can turn the run's JSON into ratios; absolute times on a
shared machine mean little. SCICOMP_BENCH_QUICK=1 shrinks sizes and rounds
(`scicomp bench --quick`).
"""

from __future__ import annotations

import os
import platform

import pytest

import scicomp
from scicomp.backends import status

QUICK = os.environ.get("SCICOMP_BENCH_QUICK") == "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


SIZE_BACKENDS = ("numpy", "numba", "tensorflow", "cupy")


def skip_unless_available(name: str) -> None:
    """Skip the calling benchmark when backend ``name`` cannot run here, with the reason."""
    st = status(name)
    if not st.available:
        pytest.skip(f"{name} unavailable: {st.reason}")


def pytest_benchmark_update_machine_info(config, machine_info):
    from scicomp.diagnose import _cpu_model

    machine_info["scicomp_version"] = scicomp.__version__
    machine_info["cpu_model"] = _cpu_model()
    machine_info["cores"] = os.cpu_count()
    machine_info["backends"] = scicomp.available_backends()
    machine_info["quick"] = QUICK
    gpu = status("cupy")
    machine_info["gpu"] = gpu.device if gpu.available else None
    machine_info["platform"] = platform.platform()


@pytest.fixture(autouse=True)
def _fresh_config():
    saved = scicomp.get_config().to_dict()
    yield
    scicomp.set_config(**saved)
