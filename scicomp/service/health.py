"""Health checks: a tiny computation per algorithm family on the active backend."""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import to_numpy
from ..backends import Backend

__all__ = ["CHECKS", "run_checks", "package_versions"]


def _signal(b: Backend) -> None:
    from ..signal import SignalProcessor

    n, fs, tone = 64, 64.0, 8.0
    x = np.sin(2 * np.pi * tone * np.arange(n) / fs)
    f, m = SignalProcessor(fs).compute_fft(x, backend=b)
    peak = float(to_numpy(f)[int(np.argmax(to_numpy(m)))])
    if abs(peak - tone) > 1e-6:
        raise AssertionError(f"FFT peak at {peak} Hz, expected {tone} Hz")


def _stochastic(b: Backend) -> None:
    from ..stochastic import BrownianMotion

    t, paths = BrownianMotion(seed=1).generate_paths(4, n_steps=16, backend=b)
    paths = to_numpy(paths)
    if paths.shape != (4, 17) or not np.isfinite(paths).all() or np.any(paths[:, 0] != 0):
        raise AssertionError(f"Brownian paths have shape {paths.shape} or bad values")


def _optimize(b: Backend) -> None:
    from ..optimize import BFGS
    from ..optimize.problems import get_problem

    f, grad, _ = get_problem("booth", backend=b)
    x = to_numpy(BFGS().minimize(f, [0.0, 0.0], jac=grad, backend=b).x)
    if not np.allclose(x, [1.0, 3.0], atol=1e-4):
        raise AssertionError(f"BFGS on Booth's function reached {x.tolist()}, expected [1, 3]")


def _linalg(b: Backend) -> None:
    from ..linalg import MatrixOperations

    a = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
    rhs = np.array([1.0, 2.0, 3.0])
    x = to_numpy(MatrixOperations.solve(a, rhs, backend=b))
    if not np.allclose(x, np.linalg.solve(a, rhs), rtol=1e-4):
        raise AssertionError("solve disagrees with numpy.linalg.solve")


CHECKS: dict[str, Callable[[Backend], None]] = {
    "signal": _signal,
    "stochastic": _stochastic,
    "optimize": _optimize,
    "linalg": _linalg,
}


def run_checks(b: Backend) -> dict[str, dict[str, Any]]:
    """Run every check; each entry has ``ok``, ``duration_ms`` and, on failure, ``error``."""
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        start = time.perf_counter()
        try:
            check(b)
            entry: dict[str, Any] = {"ok": True}
        except Exception as exc:  # a failing check is reported, never raised
            entry = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        entry["duration_ms"] = round((time.perf_counter() - start) * 1000, 3)
        results[name] = entry
    return results


def package_versions(backend_name: str) -> dict[str, str | None]:
    """Versions of the packages the service and its backend run on."""
    names = ["scicomp", "numpy", "scipy", "fastapi", "pydantic", "uvicorn"]
    names += {"numba": ["numba"], "cupy": ["cupy-cuda12x"], "tensorflow": ["tensorflow-cpu", "tensorflow"]}.get(backend_name, [])
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out
