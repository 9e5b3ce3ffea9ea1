"""The performance targets, evaluated from a pytest-benchmark JSON run.

Each target is a ratio between a scicomp benchmark and its reference measured
in the same run (or, for start-up and memory, a figure recorded in the
benchmark's ``extra_info``). Ratios use each benchmark's minimum time, the
statistic least disturbed by other load on a shared machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Target", "TargetResult", "TARGETS", "evaluate", "load_run"]


@dataclass(frozen=True)
class TargetResult:
    target: str
    description: str
    value: float | None
    threshold: float
    direction: str  # "<=" or ">="
    status: str  # PASS, FAIL or SKIP
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Run:
    """Look-ups into one run's benchmarks by test name."""

    def __init__(self, data: dict[str, Any]):
        self.by_name = {b["name"]: b for b in data.get("benchmarks", [])}

    def stat(self, name: str, stat: str = "min") -> float:
        return float(self.by_name[name]["stats"][stat])

    def extra(self, name: str, key: str) -> float:
        return float(self.by_name[name]["extra_info"][key])

    def has(self, *names: str) -> bool:
        return all(n in self.by_name for n in names)


@dataclass(frozen=True)
class Target:
    target: str
    description: str
    needs: tuple[str, ...]
    measure: Callable[[_Run], float]
    threshold: float
    direction: str
    note: Callable[[_Run], str] | None = None

    def evaluate(self, run: _Run) -> TargetResult:
        if not run.has(*self.needs):
            missing = [n for n in self.needs if n not in run.by_name]
            return TargetResult(
                self.target,
                self.description,
                None,
                self.threshold,
                self.direction,
                "SKIP",
                f"not in this run: {', '.join(missing)}",
            )
        value = self.measure(run)
        ok = value <= self.threshold if self.direction == "<=" else value >= self.threshold
        note = self.note(run) if self.note else ""
        return TargetResult(self.target, self.description, value, self.threshold, self.direction, "PASS" if ok else "FAIL", note)


def _ratio(a: str, b: str) -> Callable[[_Run], float]:
    return lambda r: r.stat(a) / r.stat(b)


def _per_problem_speedup(r: _Run) -> float:
    loop, batched = "test_reference_scipy_bfgs_loop", "test_scicomp_bfgs_batched"
    per_loop = r.stat(loop) / r.extra(loop, "n_problems")
    per_batched = r.stat(batched) / r.extra(batched, "n_problems")
    return per_loop / per_batched


def _bfgs_speedup(r: _Run) -> float:
    if r.extra("test_scicomp_bfgs", "nfev") > r.extra("test_reference_scipy_bfgs", "nfev"):
        return 0.0  # more function evaluations than scipy fails the target outright
    return r.stat("test_reference_scipy_bfgs") / r.stat("test_scicomp_bfgs")


def _nfev_note(r: _Run) -> str:
    return f"nfev {r.extra('test_scicomp_bfgs', 'nfev'):.0f} vs scipy {r.extra('test_reference_scipy_bfgs', 'nfev'):.0f}"


def _peak_memory(r: _Run) -> float:
    names = [n for n in r.by_name if n.startswith("test_pricing_peak_memory")]
    return max(r.extra(n, "peak_mb") for n in names)


TARGETS: tuple[Target, ...] = (
    Target(
        "1-dispatch",
        "compute_fft(4096) / (scipy.fft.rfft + abs + rfftfreq)",
        ("test_scicomp_compute_fft", "test_reference_scipy_rfft_abs_freqs"),
        _ratio("test_scicomp_compute_fft", "test_reference_scipy_rfft_abs_freqs"),
        1.10,
        "<=",
    ),
    Target(
        "2-threads",
        "compute_fft(64x4096, num_threads=2) / scipy rfft workers=1",
        ("test_scicomp_compute_fft_two_threads", "test_reference_scipy_rfft_one_worker"),
        _ratio("test_scicomp_compute_fft_two_threads", "test_reference_scipy_rfft_one_worker"),
        0.8,
        "<=",
    ),
    Target(
        "3-paths-numba",
        "naive NumPy GBM / numba backend GBM (10,000 x 252)",
        ("test_reference_naive_numpy_gbm", "test_scicomp_gbm[numba]"),
        _ratio("test_reference_naive_numpy_gbm", "test_scicomp_gbm[numba]"),
        2.0,
        ">=",
    ),
    Target(
        "3-paths-numpy",
        "naive NumPy GBM / numpy backend GBM (10,000 x 252)",
        ("test_reference_naive_numpy_gbm", "test_scicomp_gbm[numpy]"),
        _ratio("test_reference_naive_numpy_gbm", "test_scicomp_gbm[numpy]"),
        1.2,
        ">=",
    ),
    Target(
        "4-bfgs",
        "scipy BFGS / scicomp BFGS, Rosenbrock 2-D (0 if more nfev)",
        ("test_reference_scipy_bfgs", "test_scicomp_bfgs"),
        _bfgs_speedup,
        3.0,
        ">=",
        _nfev_note,
    ),
    Target(
        "4-bfgs-batched",
        "per-problem time: scipy loop / batched BFGS (Rosenbrock)",
        ("test_reference_scipy_bfgs_loop", "test_scicomp_bfgs_batched"),
        _per_problem_speedup,
        100.0,
        ">=",
    ),
    Target(
        "5-cond",
        "condition_number(500x500) / numpy.linalg.cond",
        ("test_scicomp_condition_number", "test_reference_numpy_cond"),
        _ratio("test_scicomp_condition_number", "test_reference_numpy_cond"),
        1.05,
        "<=",
    ),
    Target(
        "6-import",
        "import scicomp, seconds",
        ("test_import_time",),
        lambda r: r.extra("test_import_time", "import_seconds"),
        0.5,
        "<=",
    ),
    Target(
        "6-numba-cold",
        "first numba call, empty cache, seconds",
        ("test_numba_first_call_cold_and_warm",),
        lambda r: r.extra("test_numba_first_call_cold_and_warm", "numba_cold_seconds"),
        5.0,
        "<=",
    ),
    Target(
        "6-numba-warm",
        "first numba call, warm on-disk cache, seconds",
        ("test_numba_first_call_cold_and_warm",),
        lambda r: r.extra("test_numba_first_call_cold_and_warm", "numba_warm_seconds"),
        0.5,
        "<=",
    ),
    Target(
        "7-tensorflow",
        "compute_fft(4096) on tensorflow / tf.signal.rfft + tf.abs",
        ("test_scicomp_compute_fft_tensorflow", "test_reference_tf_rfft_abs"),
        _ratio("test_scicomp_compute_fft_tensorflow", "test_reference_tf_rfft_abs"),
        1.5,
        "<=",
    ),
    Target(
        "8-memory",
        "peak extra memory pricing up to 10^7 paths, MB",
        ("test_pricing_peak_memory[10000000]",),
        _peak_memory,
        200.0,
        "<=",
    ),
    # GPU targets: present only in a run made by benchmarks/gpu_check.sh on an NVIDIA machine.
    Target(
        "gpu-fft",
        "numpy FFT / cupy FFT, 2^24 complex64",
        ("test_gpu_reference_numpy_fft", "test_gpu_cupy_fft"),
        _ratio("test_gpu_reference_numpy_fft", "test_gpu_cupy_fft"),
        20.0,
        ">=",
        lambda r: (
            f"bandwidth {r.extra('test_gpu_cupy_fft', 'bandwidth_fraction'):.0%} of peak"
            if "bandwidth_fraction" in r.by_name["test_gpu_cupy_fft"].get("extra_info", {})
            else ""
        ),
    ),
    Target(
        "gpu-paths",
        "numpy GBM / cupy GBM, 10^6 x 252",
        ("test_gpu_reference_numpy_gbm", "test_gpu_cupy_gbm"),
        _ratio("test_gpu_reference_numpy_gbm", "test_gpu_cupy_gbm"),
        50.0,
        ">=",
    ),
    Target(
        "gpu-bfgs",
        "numpy batched BFGS / cupy batched BFGS, 10^5 Rosenbrock",
        ("test_gpu_reference_numpy_bfgs", "test_gpu_cupy_bfgs"),
        _ratio("test_gpu_reference_numpy_bfgs", "test_gpu_cupy_bfgs"),
        20.0,
        ">=",
    ),
)


def load_run(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def evaluate(data: dict[str, Any]) -> list[TargetResult]:
    """Every target's result for one run (SKIP where the run lacks its benchmarks)."""
    run = _Run(data)
    return [t.evaluate(run) for t in TARGETS]
