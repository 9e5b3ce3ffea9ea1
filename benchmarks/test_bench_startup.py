"""Target 6: `import scicomp` under 0.5 s; first numba call under 5 s cold, 0.5 s with a warm cache.

Each measurement runs in a fresh interpreter that times itself, so the
interpreter's own start is not counted; the seconds go into extra_info.

The first numba call is timed from just after ``import scicomp`` to the end of
a first GBM call on the numba backend: what a user waits for, so it includes
importing numba and building the backend (``numba_setup_seconds``) as well as
compiling, or loading from the on-disk cache, the path kernel
(``numba_*_kernel_seconds``). Each run also reports the kernel dispatcher's
cache hits and misses, and the test checks that the cold run compiled (an
empty NUMBA_CACHE_DIR) and the warm runs only loaded, so a stale or
unwritable cache cannot pass for a warm one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import skip_unless_available

IMPORT_CODE = "import time; t = time.perf_counter(); import scicomp; print(time.perf_counter() - t)"
NUMBA_CODE = """
import time, json
import scicomp
from scicomp import GeometricBrownianMotion
t = time.perf_counter()
scicomp.get_backend("numba")  # imports numba, builds the backend
setup = time.perf_counter() - t
GeometricBrownianMotion(0.05, 0.2, seed=1, backend="numba").generate_paths(10, T=1.0, n_steps=16)
total = time.perf_counter() - t
from scicomp.kernels import _numba_paths
stats = _numba_paths.fill_paths.stats
print(json.dumps({"total": total, "setup": setup, "kernel": total - setup,
                  "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
"""


def _run(code: str, env: dict[str, str] | None = None):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def _seconds(code: str, env: dict[str, str] | None = None) -> float:
    return float(_run(code, env))


@pytest.mark.benchmark(group="startup")
def test_import_time(benchmark):
    times = []
    benchmark.pedantic(lambda: times.append(_seconds(IMPORT_CODE)), rounds=5, warmup_rounds=1)
    benchmark.extra_info.update(import_seconds=sorted(times)[len(times) // 2])


@pytest.mark.benchmark(group="startup")
def test_numba_first_call_cold_and_warm(benchmark, tmp_path):
    skip_unless_available("numba")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    cold = _run(NUMBA_CODE, env)  # empty on-disk cache: compiles
    assert cold["misses"] >= 1 and cold["hits"] == 0, cold
    assert any((tmp_path / "numba-cache").rglob("*.nbi")), "the cold run wrote no cache index"
    warm = []
    benchmark.pedantic(lambda: warm.append(_run(NUMBA_CODE, env)), rounds=3, warmup_rounds=0)
    assert all(w["hits"] >= 1 and w["misses"] == 0 for w in warm), warm  # loaded from the cache, no compile
    median = sorted(warm, key=lambda w: w["total"])[len(warm) // 2]
    benchmark.extra_info.update(
        numba_cold_seconds=cold["total"],
        numba_warm_seconds=median["total"],
        numba_setup_seconds=median["setup"],
        numba_cold_kernel_seconds=cold["kernel"],
        numba_warm_kernel_seconds=median["kernel"],
    )
