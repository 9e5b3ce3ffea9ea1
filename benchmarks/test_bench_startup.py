"""Target 6: `import scicomp` under 0.5 s; first numba call under 5 s cold, 0.5 s with a warm cache.

Each measurement runs in a fresh interpreter that times itself, so the
interpreter's own start is not counted; the seconds go into extra_info.
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
GeometricBrownianMotion(0.05, 0.2, seed=1, backend="numba").generate_paths(10, T=1.0, n_steps=16)
print(json.dumps(time.perf_counter() - t))
"""


def _seconds(code: str, env: dict[str, str] | None = None) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    return float(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.benchmark(group="startup")
def test_import_time(benchmark):
    times = []
    benchmark.pedantic(lambda: times.append(_seconds(IMPORT_CODE)), rounds=5, warmup_rounds=1)
    benchmark.extra_info.update(import_seconds=sorted(times)[len(times) // 2])


@pytest.mark.benchmark(group="startup")
def test_numba_first_call_cold_and_warm(benchmark, tmp_path):
    skip_unless_available("numba")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    cold = _seconds(NUMBA_CODE, env)  # empty on-disk cache: compiles
    warm = []
    benchmark.pedantic(lambda: warm.append(_seconds(NUMBA_CODE, env)), rounds=3, warmup_rounds=0)
    benchmark.extra_info.update(numba_cold_seconds=cold, numba_warm_seconds=sorted(warm)[len(warm) // 2])
