"""``scicomp calibrate``: find which backend is fastest here, per family and size.

Each measurement starts from a NumPy array on the host and ends with the
result on the host, so a GPU backend pays its transfers, as a user handing it
NumPy data would. The fastest backend at each size is kept, and the boundary
between two sizes with different winners is put at their geometric mean.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..backends import available_backends, get_backend, status, to_numpy
from ..backends.profile import FAMILIES

__all__ = ["SIZES", "calibrate", "choices", "measure"]

# Element counts per family (see scicomp.backends.profile).
SIZES = {
    "fft": [2**8, 2**10, 2**12, 2**14, 2**16, 2**18, 2**20],
    "paths": [100 * 252, 1_000 * 252, 10_000 * 252, 100_000 * 252],
    "bfgs": [1, 10, 100, 1_000, 10_000],
    "linalg": [16**2, 64**2, 256**2, 1024**2],
}
QUICK_SIZES = {
    "fft": [2**8, 2**12, 2**16],
    "paths": [100 * 252, 10_000 * 252],
    "bfgs": [1, 100, 1_000],
    "linalg": [16**2, 128**2],
}


def _workload(family: str, size: int, backend: str) -> Callable[[], Any]:
    """A zero-argument call doing one host-to-host operation of ``family`` at ``size``."""
    rng = np.random.default_rng(size)
    b = get_backend(backend)
    if family == "fft":
        from ..signal import SignalProcessor

        sp = SignalProcessor(sampling_rate=1000.0, backend=backend)
        x = rng.standard_normal(size)
        return lambda: to_numpy(sp.compute_fft(b.asarray(x))[1])
    if family == "paths":
        from ..stochastic import GeometricBrownianMotion

        gbm = GeometricBrownianMotion(0.05, 0.2, seed=1, backend=backend)
        n_paths = max(1, size // 252)
        return lambda: to_numpy(gbm.generate_paths(n_paths, T=1.0, n_steps=252)[1])
    if family == "bfgs":
        from ..optimize import BFGS
        from ..optimize.problems import get_problem

        problem = get_problem("rosenbrock")
        starts = rng.uniform(-2, 2, size=(size, 2))
        solver = BFGS(tolerance=1e-6, backend=backend)
        return lambda: to_numpy(solver.minimize(problem.f, b.asarray(starts), jac=problem.grad).x)
    if family == "linalg":
        from ..linalg import MatrixOperations

        n = max(2, math.isqrt(size))
        a = rng.standard_normal((n, n))
        return lambda: to_numpy(MatrixOperations.condition_number(b.asarray(a), backend=backend))
    raise ValueError(f"family={family!r}: must be one of {', '.join(FAMILIES)}")


def measure(fn: Callable[[], Any], budget_s: float = 0.3, max_repeats: int = 20) -> float:
    """Best time of ``fn`` over repeats within ``budget_s`` (after one warm-up call)."""
    fn()
    best = math.inf
    spent = 0.0
    for _ in range(max_repeats):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        if spent > budget_s:
            break
    return best


def choices(sizes: list[int], timings: dict[str, list[float]]) -> list[dict[str, Any]]:
    winners = [min(timings, key=lambda name: timings[name][i]) for i in range(len(sizes))]
    choice: list[dict[str, Any]] = []
    for i, name in enumerate(winners):
        if choice and choice[-1]["backend"] == name:
            continue
        if choice:
            choice[-1]["up_to"] = int(math.sqrt(sizes[i - 1] * sizes[i]))
        choice.append({"up_to": None, "backend": name})
    return choice


def calibrate(
    families: list[str] | None = None,
    quick: bool = False,
    backends: list[str] | None = None,
    on_step: Callable[[str, int, str], None] | None = None,
) -> dict[str, Any]:
    """Measure every (family, size, backend) and return the profile (not yet written)."""
    from ..diagnose import _cpu_model

    families = list(FAMILIES) if families is None else families
    if backends is None:  # what 'auto' may pick: CPU numpy/numba, GPU cupy/TensorFlow
        backends = [n for n in available_backends() if n in ("numpy", "numba") or status(n).gpu]
    table = QUICK_SIZES if quick else SIZES
    result: dict[str, Any] = {
        "version": 1,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": _cpu_model(), "backends": backends},
        "families": {},
    }
    for family in families:
        sizes = table[family]
        timings: dict[str, list[float]] = {}
        for name in backends:
            timings[name] = []
            for size in sizes:
                if on_step is not None:
                    on_step(family, size, name)
                timings[name].append(measure(_workload(family, size, name), budget_s=0.15 if quick else 0.3))
        result["families"][family] = {"sizes": sizes, "seconds": timings, "choice": choices(sizes, timings)}
    return result
