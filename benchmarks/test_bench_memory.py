"""Target 8: pricing 10^7 paths peaks under 200 MB of extra memory, whatever n_paths."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import QUICK, skip_unless_available

CODE = """
import json, tracemalloc
from scicomp import price_european_option
price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=1000, seed=1, backend="{backend}")  # warm up imports
tracemalloc.start()
result = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths={n}, seed=1, backend="{backend}")
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({{"peak_mb": peak / 2**20, "price": result.price}}))
"""


def _peak(benchmark, n_paths: int, backend: str) -> None:
    out = {}

    def run():
        code = CODE.format(n=n_paths, backend=backend)
        text = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        out.update(json.loads(text.strip().splitlines()[-1]))

    benchmark.pedantic(run, rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(n_paths=n_paths, peak_mb=out["peak_mb"], backend=backend)


@pytest.mark.benchmark(group="memory-pricing")
@pytest.mark.parametrize("n_paths", [10**6] if QUICK else [10**6, 10**7])
def test_pricing_peak_memory(benchmark, n_paths):
    """The default (numpy) backend: vectorised chunks of at most MAX_CHUNK_SAMPLES samples."""
    _peak(benchmark, n_paths, "numpy")


@pytest.mark.benchmark(group="memory-pricing")
@pytest.mark.parametrize("n_paths", [10**7])
def test_pricing_peak_memory_numba(benchmark, n_paths):
    """The numba backend's fused kernel: per-block keys and statistics only, whatever n_paths."""
    skip_unless_available("numba")
    _peak(benchmark, n_paths, "numba")
