"""The API's operations: request model, permission, library call and result fields.

Each compute function runs in a worker thread, takes the validated request
and the server's Backend, and returns a dict of NumPy arrays and JSON scalars.
"""

from __future__ import annotations

import math
import secrets
import time
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from .. import to_numpy
from ..backends import Backend
from . import metrics, models
from .objectives import build_objective

__all__ = [
    "Operation",
    "OPERATIONS",
    "ResultOverflow",
    "DeadlineExceeded",
    "DEADLINE",
    "check_finite_result",
    "configure_dask",
    "DASK",
]


class ResultOverflow(ValueError):
    """The computation produced non-finite values: the inputs are too large in magnitude."""


class DeadlineExceeded(TimeoutError):
    """An iterative computation passed its request's time limit and stopped itself."""


# time.monotonic() past which a request's computation should stop: its time limit. Python
# cannot stop a thread, so iterative work checks this itself; without the check, a request
# answered 504 would keep its worker thread (an L-BFGS run within the limits can take minutes).
DEADLINE: ContextVar[float] = ContextVar("scicomp_service_deadline", default=math.inf)


def _until_deadline(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` that raises DeadlineExceeded once the request's deadline has passed."""
    deadline = DEADLINE.get()
    if deadline == math.inf:
        return fn

    def checked(*args: Any) -> Any:
        if time.monotonic() > deadline:
            raise DeadlineExceeded("the computation passed the request's time limit")
        return fn(*args)

    return checked


@dataclass(frozen=True)
class Operation:
    """One POST endpoint under ``/api/v1``."""

    name: str
    path: str
    permission: str
    request: type[BaseModel]
    response: type[BaseModel]
    compute: Callable[[Any, Backend], dict[str, Any]]
    summary: str
    seeded: bool = False  # deterministic (cacheable) only when the request carries a seed
    npy_field: str | None = None  # the field an application/x-npy request body fills
    npy_rows: tuple[str, ...] = ()  # the array fields of an application/x-npy response, in order


def _fft(req: models.FFTRequest, b: Backend) -> dict[str, Any]:
    from ..signal import SignalProcessor

    start = time.perf_counter()
    f, m = SignalProcessor(req.sampling_rate).compute_fft(req.signal, window=req.window, normalize=req.normalize, backend=b)
    result = {"frequencies": to_numpy(f), "magnitudes": to_numpy(m)}
    metrics.FFT_SECONDS.labels(metrics.signal_size_bucket(req.signal.size)).observe(time.perf_counter() - start)
    return result


def _psd(req: models.PSDRequest, b: Backend) -> dict[str, Any]:
    from ..signal import SignalProcessor

    f, pxx = SignalProcessor(req.sampling_rate).power_spectral_density(
        req.signal,
        method=req.method,
        nperseg=req.nperseg,
        noverlap=req.noverlap,
        window=req.window,
        scaling=req.scaling,
        backend=b,
    )
    return {"frequencies": to_numpy(f), "psd": to_numpy(pxx)}


def _seed(seed: int | None) -> int:
    return secrets.randbits(63) if seed is None else seed


def _brownian(req: models.BrownianRequest, b: Backend) -> dict[str, Any]:
    from ..stochastic import BrownianMotion

    process = BrownianMotion(drift=req.drift, volatility=req.volatility, seed=_seed(req.seed))
    t, paths = process.generate_paths(req.n_paths, T=req.T, n_steps=req.n_steps, x0=req.x0, backend=b)
    return {"t": to_numpy(t), "paths": to_numpy(paths)}


@dataclass
class DaskHandOff:
    """Where large pricing requests go: a Dask scheduler address and the size that sends them there."""

    scheduler: str | None = None
    min_paths: int = 10**6


DASK = DaskHandOff()


def configure_dask(scheduler: str | None, min_paths: int) -> None:
    """Called once at startup from the service settings (``--dask-scheduler``)."""
    DASK.scheduler, DASK.min_paths = scheduler, min_paths


def _option_price(req: models.OptionPriceRequest, b: Backend) -> dict[str, Any]:
    from ..config import current_config
    from ..stochastic import black_scholes_price, price_european_option

    n_paths = current_config().monte_carlo_samples if req.n_paths is None else req.n_paths
    args = (req.s0, req.strike, req.rate, req.sigma, req.T, req.option)
    if DASK.scheduler and n_paths >= DASK.min_paths:
        # The same random blocks priced across the cluster: the result equals the local one.
        from .. import distributed

        client = distributed.get_client(DASK.scheduler)
        result = distributed.price_european_option(
            *args, n_paths=n_paths, seed=_seed(req.seed), antithetic=req.antithetic, client=client
        )
    else:
        result = price_european_option(*args, n_paths=n_paths, seed=_seed(req.seed), antithetic=req.antithetic, backend=b)
    low, high = result.confidence_interval
    return {
        "price": float(result.price),
        "std_error": float(result.std_error),
        "confidence_interval": [float(low), float(high)],
        "black_scholes": float(black_scholes_price(req.s0, req.strike, req.rate, req.sigma, req.T, req.option)),
        "n_paths": int(n_paths),
    }


def _minimize(req: models.MinimizeRequest, b: Backend) -> dict[str, Any]:
    from ..optimize import BFGS, LBFGS

    f, grad = build_objective(b, req.objective, req.params, int(req.x0.size))
    f, grad = _until_deadline(f), _until_deadline(grad)
    minimizer = (BFGS if req.method == "bfgs" else LBFGS)(max_iterations=req.max_iterations, tolerance=req.tolerance)
    result = minimizer.minimize(f, req.x0, jac=grad, backend=b)
    metrics.OPTIMIZATION_ITERATIONS.labels(req.method).observe(int(result.nit))
    return {
        "x": to_numpy(result.x),
        "fun": float(to_numpy(result.fun)),
        "jac": to_numpy(result.jac),
        "nit": int(result.nit),
        "nfev": int(result.nfev),
        "njev": int(result.njev),
        "success": bool(result.success),
        "optimizer_status": int(result.status),
        "message": str(result.message),
        "execution_time": float(result.execution_time),
        "algorithm": req.method,
    }


_P = {"inf": np.inf, "-inf": -np.inf}


def _condition_number(req: models.ConditionNumberRequest, b: Backend) -> dict[str, Any]:
    from ..linalg import MatrixOperations

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a singular matrix: the answer is inf
        value = float(to_numpy(MatrixOperations.condition_number(req.matrix, _P.get(req.p, req.p), backend=b)))
    finite = math.isfinite(value)
    return {"condition_number": value if finite else None, "singular": not finite}


def _solve(req: models.SolveRequest, b: Backend) -> dict[str, Any]:
    from ..linalg import MatrixOperations

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = MatrixOperations.solve(req.matrix, req.rhs, backend=b)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    return {"x": to_numpy(x), "warnings": messages}


def check_finite_result(operation: str, result: dict[str, Any]) -> None:
    """Raise :class:`ResultOverflow` when a float in ``result`` is NaN or infinite."""
    for name, value in result.items():
        bad = False
        if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
            bad = not bool(np.isfinite(value).all())
        elif isinstance(value, float):
            bad = not math.isfinite(value)
        elif isinstance(value, list):
            bad = any(isinstance(v, float) and not math.isfinite(v) for v in value)
        if bad:
            raise ResultOverflow(
                f"{operation}: the result {name!r} overflowed to non-finite values; the inputs are too large in magnitude"
            )


OPERATIONS: tuple[Operation, ...] = (
    Operation("signal.fft", "/signal/fft", "signal", models.FFTRequest, models.FFTResponse, _fft,
              "Magnitude spectrum of a real signal", npy_field="signal", npy_rows=("frequencies", "magnitudes")),
    Operation("signal.psd", "/signal/psd", "signal", models.PSDRequest, models.PSDResponse, _psd,
              "Power spectral density (Welch or periodogram)", npy_field="signal", npy_rows=("frequencies", "psd")),
    Operation("stochastic.brownian", "/stochastic/brownian", "stochastic", models.BrownianRequest,
              models.BrownianResponse, _brownian, "Brownian motion paths", seeded=True, npy_rows=("t", "paths")),
    Operation("stochastic.option_price", "/stochastic/option-price", "stochastic", models.OptionPriceRequest,
              models.OptionPriceResponse, _option_price, "Monte Carlo European option price", seeded=True),
    Operation("optimize.minimize", "/optimize/minimize", "optimize", models.MinimizeRequest, models.MinimizeResponse,
              _minimize, "Minimise a built-in objective with BFGS or L-BFGS"),
    Operation("linalg.condition_number", "/linalg/condition-number", "linalg", models.ConditionNumberRequest,
              models.ConditionNumberResponse, _condition_number, "Condition number of a matrix",
              npy_field="matrix"),
    Operation("linalg.solve", "/linalg/solve", "linalg", models.SolveRequest, models.SolveResponse, _solve,
              "Solve a linear system", npy_rows=("x",)),
)  # fmt: skip
