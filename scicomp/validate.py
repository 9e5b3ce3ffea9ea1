"""The installation check behind ``scicomp validate``.

For every backend, six small computations are run and compared with the
NumPy/SciPy reference (or, for random results, with the exact law). A check
passes or fails with a message; an unavailable backend is reported with its
reason, never as a failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from .backends import BACKEND_NAMES, backend_info, to_numpy

__all__ = ["CheckResult", "CHECKS", "run_validation"]


@dataclass(frozen=True)
class CheckResult:
    backend: str
    check: str
    status: str  # "ok", "FAILED" or "unavailable"
    message: str
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _close(got: object, want: object, rtol: float, what: str) -> None:
    got_arr, want_arr = np.asarray(to_numpy(got), dtype=np.result_type(np.asarray(want), float)), np.asarray(want)
    if got_arr.shape != want_arr.shape:
        raise AssertionError(f"{what}: shape {got_arr.shape}, expected {want_arr.shape}")
    scale = max(1.0, float(np.abs(want_arr).max()))
    err = float(np.abs(got_arr - want_arr).max())
    if not err <= rtol * scale:
        raise AssertionError(f"{what}: max error {err:.3g} > {rtol:g} x {scale:.3g}")


def check_fft(backend: str) -> str:
    """FFT of 1000 random samples at 1000 Hz against scipy.fft."""
    import scipy.fft

    from .signal import SignalProcessor

    x = np.random.default_rng(42).standard_normal(1000)
    f, mag = SignalProcessor(sampling_rate=1000.0).compute_fft(x, normalize=False, backend=backend)
    _close(f, scipy.fft.rfftfreq(1000, 1 / 1000.0), 1e-12, "frequencies")
    _close(mag, np.abs(scipy.fft.rfft(x)), 1e-10, "magnitudes")
    return "1000 samples, 501 bins"


def check_brownian(backend: str) -> str:
    """A 100-step Brownian path (drift 0.05, volatility 0.2, seed 42): grid, start and increment scale."""
    from .stochastic import BrownianMotion

    t, path = BrownianMotion(drift=0.05, volatility=0.2, seed=42).generate_path(T=1.0, n_steps=100, backend=backend)
    t, path = to_numpy(t), to_numpy(path)
    _close(t, np.linspace(0.0, 1.0, 101), 1e-12, "time grid")
    if path.shape != (101,) or path[0] != 0.0 or not np.all(np.isfinite(path)):
        raise AssertionError(f"path: shape {path.shape}, start {path[0]!r}; expected (101,) starting at 0")
    # The sample std of 100 N(., 0.2^2/100) increments is within 5 standard errors
    # (relative SE of a std ~ 1/sqrt(2n) ~ 7%) of 0.02.
    std = float(np.diff(path).std(ddof=1))
    if abs(std - 0.02) > 5 * 0.02 / np.sqrt(200):
        raise AssertionError(f"increment std {std:.4g}, expected 0.02 within 5 standard errors")
    return f"101 points, increment std {std:.4f}"


def check_bfgs(backend: str) -> str:
    """BFGS on x0^2 + x1^2 from (1, 1), 10 iterations, against scipy.optimize."""
    from scipy.optimize import minimize

    from .optimize import BFGS

    def f(x):
        return x[0] ** 2 + x[1] ** 2

    def grad(x):
        return 2 * x

    result = BFGS(max_iterations=10).minimize(f, [1.0, 1.0], jac=grad, backend=backend)
    ref = minimize(lambda x: x @ x, [1.0, 1.0], jac=lambda x: 2 * x, method="BFGS", options={"maxiter": 10})
    _close(result.x, ref.x, 1e-6, "minimiser")
    if not result.success:
        raise AssertionError(f"not converged: {result.message}")
    return f"x = {np.round(to_numpy(result.x), 8).tolist()}, nit {int(np.asarray(to_numpy(result.nit)))}"


def check_psd(backend: str) -> str:
    """Welch PSD of 4096 samples against scipy.signal.welch."""
    import scipy.signal

    from .signal import SignalProcessor

    x = np.random.default_rng(7).standard_normal(4096)
    f, pxx = SignalProcessor(sampling_rate=1000.0).power_spectral_density(x, method="welch", nperseg=256, backend=backend)
    rf, rp = scipy.signal.welch(x, fs=1000.0, nperseg=256)
    _close(f, rf, 1e-12, "frequencies")
    _close(pxx, rp, 1e-10, "Pxx")
    return "welch, nperseg 256"


def check_option(backend: str) -> str:
    """Monte Carlo European call (100k antithetic paths) within 3 standard errors of Black-Scholes."""
    from .stochastic import black_scholes_price, price_european_option

    r = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, option="call", n_paths=100_000, seed=42, backend=backend)
    exact = black_scholes_price(100.0, 100.0, 0.05, 0.2, 1.0, option="call")
    if not abs(r.price - exact) <= 3 * r.std_error:
        raise AssertionError(f"price {r.price:.4f} vs Black-Scholes {exact:.4f}: over 3 standard errors ({r.std_error:.4f})")
    return f"{r.price:.4f} vs {exact:.4f} (se {r.std_error:.4f})"


def check_condition_number(backend: str) -> str:
    """Condition number of a random 50x50 matrix against numpy.linalg.cond."""
    from .linalg import MatrixOperations

    a = np.random.default_rng(3).standard_normal((50, 50))
    got = MatrixOperations.condition_number(a, backend=backend)
    _close(got, np.linalg.cond(a), 1e-8, "condition number")
    return f"{float(np.asarray(to_numpy(got))):.6g}"


CHECKS: dict[str, Callable[[str], str]] = {
    "fft": check_fft,
    "brownian": check_brownian,
    "bfgs": check_bfgs,
    "psd": check_psd,
    "option": check_option,
    "condition_number": check_condition_number,
}


def run_validation(
    backends: list[str] | None = None, on_result: Callable[[CheckResult], None] | None = None
) -> list[CheckResult]:
    """Run every check on every backend (or on ``backends``); never raises for a failing check."""
    names = list(BACKEND_NAMES) if backends is None else list(backends)
    info = {s.name: s for s in backend_info()}
    results = []
    for name in names:
        status = info[name]
        for check, fn in CHECKS.items():
            if not status.available:
                result = CheckResult(name, check, "unavailable", status.reason, 0.0)
            else:
                start = time.perf_counter()
                try:
                    message, state = fn(name), "ok"
                except Exception as exc:  # a failing check is reported, not raised
                    message, state = f"{type(exc).__name__}: {exc}", "FAILED"
                result = CheckResult(name, check, state, message, time.perf_counter() - start)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
