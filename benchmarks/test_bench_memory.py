"""Target 8: pricing 10^7 paths peaks under 200 MB of extra memory, whatever n_paths."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import QUICK

CODE = """
import json, tracemalloc
from scicomp import price_european_option
price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=1000, seed=1)  # warm up imports
tracemalloc.start()
result = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths={n}, seed=1)
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({{"peak_mb": peak / 2**20, "price": result.price}}))
"""


@pytest.mark.benchmark(group="memory-pricing")
@pytest.mark.parametrize("n_paths", [10**6] if QUICK else [10**6, 10**7])
def test_pricing_peak_memory(benchmark, n_paths):
    out = {}

    def run():
        text = subprocess.run([sys.executable, "-c", CODE.format(n=n_paths)], capture_output=True, text=True, check=True).stdout
        out.update(json.loads(text.strip().splitlines()[-1]))

    benchmark.pedantic(run, rounds=1, warmup_rounds=0)
    benchmark.extra_info.update(n_paths=n_paths, peak_mb=out["peak_mb"])
