"""The scicomp command: info, validate, diagnose."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import scicomp
from scicomp import cli, validate
from scicomp.backends import status


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr().out
    return code, out


def test_info_json_reports_config_sources_and_backends(capsys):
    scicomp.set_config(monte_carlo_samples=77)
    code, out = run_cli(capsys, "info", "--json")
    data = json.loads(out)
    assert code == 0 and data["version"] == scicomp.__version__
    assert data["config"]["monte_carlo_samples"] == 77 and data["sources"]["monte_carlo_samples"] == "set_config"
    assert {b["name"] for b in data["backends"]} == {"numpy", "numba", "cupy", "tensorflow"}


def test_info_table_shows_env_source():
    env = dict(os.environ, SCICOMP_FFT_METHOD="numpy", COLUMNS="200")
    out = subprocess.run([sys.executable, "-m", "scicomp", "info"], env=env, capture_output=True, text=True, check=True).stdout
    assert "fft_method" in out and "env SCICOMP_FFT_METHOD" in out
    assert "scicomp[numba]" in out or "numba" in out


def test_validate_all_ok_on_numpy(capsys):
    code, out = run_cli(capsys, "validate", "--backend", "numpy", "--json")
    results = json.loads(out)
    assert code == 0
    assert {r["check"] for r in results} == set(validate.CHECKS)
    assert all(r["status"] == "ok" for r in results), results


def test_validate_every_available_backend_passes():
    results = validate.run_validation()
    failed = [r for r in results if r.status == "FAILED"]
    assert not failed, failed
    ran = {r.backend for r in results if r.status == "ok"}
    assert set(scicomp.available_backends()) == ran


@pytest.mark.skipif(status("cupy").available, reason="a CUDA device answers here")
def test_validate_reports_unavailable_backends_without_failing(capsys):
    code, out = run_cli(capsys, "validate", "--backend", "cupy", "--json")
    results = json.loads(out)
    assert code == 0 and all(r["status"] == "unavailable" and "CUDA" in r["message"] for r in results)


def test_validate_exits_nonzero_on_a_failure(capsys, monkeypatch):
    def broken(backend):
        raise AssertionError("deliberately wrong")

    monkeypatch.setitem(validate.CHECKS, "fft", broken)
    code, out = run_cli(capsys, "validate", "--backend", "numpy")
    assert code == 1
    assert "FAILED" in out and "deliberately wrong" in out


def test_python_m_scicomp_validate_table():
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.run(
        [sys.executable, "-m", "scicomp", "validate", "--backend", "numpy"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "condition_number" in proc.stdout and "6 passed, 0 failed" in proc.stdout


def test_diagnose_json(capsys):
    code, out = run_cli(capsys, "diagnose", "--json")
    report = json.loads(out)
    assert code == 0 and report["cores"] == os.cpu_count()
    assert report["blas"] and "num_threads" in report["blas"][0]
    assert set(report["fft_seconds_per_call_4096"]) == set(scicomp.available_backends())
    assert all(0 < t < 0.1 for t in report["fft_seconds_per_call_4096"].values())
    assert report["packages"]["numpy"]


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as err:
        cli.main(["validate", "--backend", "torch"])
    assert err.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
