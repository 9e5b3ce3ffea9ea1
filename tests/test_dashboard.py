"""The benchmark dashboard renders from a small fixture run; targets evaluate from JSON."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib.image  # noqa: E402

from scicomp.benchmarking.dashboard import render_dashboard  # noqa: E402
from scicomp.benchmarking.targets import TARGETS, evaluate  # noqa: E402


def bench(name, seconds, **extra):
    return {
        "name": name,
        "group": "g",
        "stats": {"min": seconds, "median": seconds * 1.1, "mean": seconds * 1.2},
        "extra_info": extra,
    }


def fixture_run(gpu=None, scale=1.0):
    benchmarks = [
        bench("test_reference_scipy_rfft_abs_freqs", 40e-6),
        bench("test_scicomp_compute_fft", 42e-6 * scale),  # ratio 1.05: PASS
        bench("test_reference_numpy_cond", 0.050),
        bench("test_scicomp_condition_number", 0.060),  # ratio 1.2: FAIL
        bench("test_reference_scipy_bfgs", 3e-3, nfev=45),
        bench("test_scicomp_bfgs", 0.5e-3, nfev=44),
        bench("test_import_time", 1.0, import_seconds=0.21),
    ]
    for backend, factor in (("numpy", 1.0), ("numba", 0.8)):
        for n in (1024, 4096, 16384):
            benchmarks.append(bench(f"test_size_fft[{backend}-{n}]", factor * n * 1e-8, backend=backend, size=n, family="fft"))
            benchmarks.append(
                bench(f"test_size_linalg[{backend}-{n}]", factor * n * 1e-6, backend=backend, size=n, family="linalg")
            )
    return {
        "machine_info": {"cpu_model": "Test CPU", "cores": 2, "backends": ["numpy", "numba"], "gpu": gpu},
        "datetime": "2026-12-03T10:00:00",
        "benchmarks": benchmarks,
    }


def test_targets_from_json():
    results = {r.target: r for r in evaluate(fixture_run())}
    assert set(results) == {t.target for t in TARGETS}
    assert results["1-dispatch"].status == "PASS" and results["1-dispatch"].value == pytest.approx(1.05)
    assert results["5-cond"].status == "FAIL"
    assert results["4-bfgs"].status == "PASS" and "nfev 44 vs scipy 45" in results["4-bfgs"].note
    assert results["6-import"].status == "PASS"
    assert results["3-paths-numba"].status == "SKIP"


def test_more_function_evaluations_fail_the_bfgs_target():
    run = fixture_run()
    run["benchmarks"][5]["extra_info"]["nfev"] = 60
    assert {r.target: r for r in evaluate(run)}["4-bfgs"].status == "FAIL"


def test_check_targets_script_exit_code(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "run.json"
    path.write_text(json.dumps(fixture_run()))
    proc = subprocess.run([sys.executable, "benchmarks/check_targets.py", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "5-cond" in proc.stdout and "FAIL" in proc.stdout
    good = fixture_run()
    good["benchmarks"][3]["stats"]["min"] = 0.051
    path.write_text(json.dumps(good))
    assert subprocess.run([sys.executable, "benchmarks/check_targets.py", str(path)], capture_output=True).returncode == 0


def test_dashboard_renders_tables_and_decodable_plots(tmp_path):
    current = tmp_path / "run.json"
    current.write_text(json.dumps(fixture_run()))
    results = tmp_path / "results"
    results.mkdir()
    (results / "cpu-test.json").write_text(json.dumps(fixture_run(scale=1.5)))
    (results / "gpu-test.json").write_text(json.dumps(fixture_run(gpu="cuda:0", scale=0.5)))
    index = render_dashboard(current, tmp_path / "out", results)
    page = index.read_text()
    assert '<table id="targets">' in page and '<table id="history">' in page
    for target in TARGETS:
        assert f"<td>{target.target}</td>" in page
    assert page.count("<tr class=") == len(TARGETS)
    assert "PASS" in page and "FAIL" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 3  # fft, linalg, history
    for data in images:
        img = matplotlib.image.imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert img.shape[0] > 100 and img.shape[1] > 100
        assert np.unique(img.reshape(-1, img.shape[-1]), axis=0).shape[0] > 10


def test_gpu_run_is_drawn_beside_the_cpu_run(tmp_path):
    current = tmp_path / "run.json"
    current.write_text(json.dumps(fixture_run()))

    def first_plot_width(results_dir):
        page = render_dashboard(current, tmp_path / "out", results_dir).read_text()
        data = re.findall(r'src="data:image/png;base64,([^"]+)"', page)[0]
        return matplotlib.image.imread(io.BytesIO(base64.b64decode(data)), format="png").shape[1]

    alone = first_plot_width(None)
    results = tmp_path / "results"
    results.mkdir()
    (results / "gpu-test.json").write_text(json.dumps(fixture_run(gpu="cuda:0", scale=0.5)))
    assert first_plot_width(results) > 1.8 * alone
