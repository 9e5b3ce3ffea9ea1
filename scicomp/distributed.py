"""Work beyond one machine, on Dask (``pip install "scicomp[dask]"``).

scicomp does not schedule anything itself: these functions split a job into
tasks and hand them to a ``dask.distributed`` cluster, which places them,
retries tasks lost with a worker, and returns the pieces. Each worker runs
scicomp with its own configured backend (``SCICOMP_BACKEND`` in its
environment: cupy on GPU workers, numpy or numba on CPU workers); pieces come
back as NumPy arrays and are combined on the client.

Reproducibility: a job is cut into chunks whose random streams are spawned
from one seed (chunk ``i`` gets the ``i``-th child of the seed's
SeedSequence), and chunk results are combined in chunk order. So a
distributed run gives the same result as the single-machine run with the same
seed and chunking (``client=False`` runs the same chunks in this process),
whatever the number of workers.

The cluster: ``client=None`` uses ``get_client()``: the scheduler at
``$SCICOMP_DASK_SCHEDULER`` (e.g. ``tcp://host:8786``) when set, else a
``LocalCluster`` on this machine, one single-threaded worker process per core.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_positive_int
from .backends import to_numpy

__all__ = [
    "get_client",
    "close_client",
    "PathStatistics",
    "path_statistics",
    "price_european_option",
    "fft",
    "power_spectral_density",
    "minimize_batched",
    "SCHEDULER_ENV",
]

SCHEDULER_ENV = "SCICOMP_DASK_SCHEDULER"
logger = logging.getLogger("scicomp.distributed")
_lock = threading.Lock()
_default_client: Any = None
_clients: dict[str, Any] = {}


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ImportError('scicomp.distributed needs Dask: pip install "scicomp[dask]"') from exc
    return distributed


def get_client(scheduler: str | None = None, n_workers: int | None = None) -> Any:
    """A ``dask.distributed.Client``: to ``scheduler``, ``$SCICOMP_DASK_SCHEDULER``, or a local cluster.

    The local cluster (processes, one thread each, ``n_workers`` = cores by
    default) is made once per process and reused.
    """
    global _default_client
    distributed = _distributed()
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        with _lock:  # one client per scheduler, reused (a service asks for it on every large request)
            client = _clients.get(address)
            if client is None or client.status != "running":
                client = _clients[address] = distributed.Client(address)
            return client
    with _lock:
        if _default_client is None or _default_client.status != "running":
            cluster = distributed.LocalCluster(
                n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None
            )
            _default_client = distributed.Client(cluster)
        return _default_client


def close_client() -> None:
    """Close the clients :func:`get_client` made, and shut down its local cluster, if any."""
    global _default_client
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
        if _default_client is not None:
            cluster = _default_client.cluster
            _default_client.close()
            if cluster is not None:
                cluster.close()
            _default_client = None


def _run(tasks: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]], client: Any) -> list[Any]:
    """Run ``fn(*args)`` for each task, in order; ``client=False`` runs them here."""
    if client is False:
        return [fn(*args) for fn, args in tasks]
    client = get_client() if client is None else client
    futures = [client.submit(fn, *args, pure=False) for fn, args in tasks]
    return client.gather(futures)


# -- path statistics -----------------------------------------------------------------
@dataclass(frozen=True)
class PathStatistics:
    """Mean and unbiased variance across paths at each time of the grid."""

    t: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    n_paths: int
    n_chunks: int


def _chunk_path_moments(process: Any, seed: np.random.SeedSequence, n_paths: int, T: float, n_steps: int, backend: Any) -> tuple:
    t, paths = process.with_seed(seed).generate_paths(n_paths, T=T, n_steps=n_steps, backend=backend)
    paths = to_numpy(paths).astype(np.float64, copy=False)
    mean = paths.mean(axis=0)
    m2 = ((paths - mean) ** 2).sum(axis=0)
    return to_numpy(t).astype(np.float64), n_paths, mean, m2


def _combine_moments(parts: Sequence[tuple[int, np.ndarray, np.ndarray]]) -> tuple[int, np.ndarray, np.ndarray]:
    """Chan et al.'s pairwise combination of (count, mean, M2), in the given order."""
    n, mean, m2 = parts[0]
    for nb, mb, m2b in parts[1:]:
        total = n + nb
        delta = mb - mean
        mean = mean + delta * (nb / total)
        m2 = m2 + m2b + delta**2 * (n * nb / total)
        n = total
    return n, mean, m2


def path_statistics(
    process: Any,
    n_paths: int,
    T: float = 1.0,
    n_steps: int = 100,
    *,
    chunk_paths: int = 10_000,
    seed: Any = None,
    client: Any = None,
    backend: str | None = None,
) -> PathStatistics:
    """Mean and variance over ``n_paths`` paths of ``process``, in chunks of ``chunk_paths`` across workers.

    ``process`` is any scicomp path process (BrownianMotion,
    GeometricBrownianMotion, OrnsteinUhlenbeck, JumpDiffusion); chunk ``i``
    draws from the ``i``-th stream spawned from ``seed`` (None: the config's
    default seed), so the result depends on the seed and ``chunk_paths`` only.
    ``client=False`` runs the chunks in this process.
    """
    from .stochastic._common import make_seed_sequence

    n_paths = check_positive_int("n_paths", n_paths, minimum=2)
    chunk_paths = check_positive_int("chunk_paths", chunk_paths)
    if not hasattr(process, "with_seed") or not hasattr(process, "generate_paths"):
        raise TypeError(f"process: expected a scicomp path process, got {type(process).__name__}")
    sizes = [min(chunk_paths, n_paths - start) for start in range(0, n_paths, chunk_paths)]
    seeds = make_seed_sequence(seed).spawn(len(sizes))
    tasks = [(_chunk_path_moments, (process, s, size, T, n_steps, backend)) for s, size in zip(seeds, sizes, strict=True)]
    results = _run(tasks, client)
    n, mean, m2 = _combine_moments([(r[1], r[2], r[3]) for r in results])
    return PathStatistics(t=results[0][0], mean=mean, variance=m2 / (n - 1), n_paths=n, n_chunks=len(sizes))


# -- option pricing ---------------------------------------------------------------------
def price_european_option(
    s0: float,
    strike: float,
    rate: float,
    sigma: float,
    T: float,
    option: str = "call",
    n_paths: int | None = None,
    seed: Any = None,
    antithetic: bool = True,
    *,
    blocks_per_task: int = 64,
    client: Any = None,
    backend: str | None = None,
) -> Any:
    """:func:`scicomp.stochastic.price_european_option`, its random blocks spread over Dask workers.

    The pricer draws its normals in fixed blocks, each from its own stream
    spawned off the seed, and combines per-block statistics in block order;
    here each task prices ``blocks_per_task`` consecutive blocks. The result
    equals the single-process price for the same seed (up to the last bits
    when workers run another backend), whatever the number of workers.
    """
    from .stochastic.options import plan_blocks, price_blocks, result_from_blocks

    blocks_per_task = check_positive_int("blocks_per_task", blocks_per_task)
    plan = plan_blocks(s0, strike, rate, sigma, T, option, n_paths, seed, antithetic)
    starts = range(0, plan.n_blocks, blocks_per_task)
    tasks = [(price_blocks, (plan, first, min(first + blocks_per_task, plan.n_blocks), backend)) for first in starts]
    parts = _run(tasks, client)
    return result_from_blocks(plan, parts, n_chunks=len(tasks), backend=backend or "dask")


# -- batched FFT / PSD over dask arrays -----------------------------------------------------
def _as_batch(x: Any) -> Any:
    import dask.array as da

    arr = x if isinstance(x, da.Array) else da.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"x: expected a (batch, n) array, got shape {arr.shape}")
    return arr.rechunk({1: -1})  # each task needs whole signals


def _fft_block(block: np.ndarray, sampling_rate: float, window: Any, normalize: bool, backend: Any) -> np.ndarray:
    from .signal import SignalProcessor

    _, mags = SignalProcessor(sampling_rate, backend=backend).compute_fft(block, window=window, normalize=normalize)
    return to_numpy(mags)


def fft(
    x: Any, sampling_rate: float | None = None, window: Any = None, normalize: bool = True, *, backend: str | None = None
) -> tuple[np.ndarray, Any]:
    """``compute_fft`` of each row of a (batch, n) dask array: ``(frequencies, lazy magnitudes)``.

    Chunks along the batch axis become tasks; call ``.compute()`` (or
    ``client.compute``) on the magnitudes to run them on the cluster.
    """
    from .signal import SignalProcessor

    arr = _as_batch(x)
    n = arr.shape[1]
    sp = SignalProcessor(sampling_rate)
    freqs = to_numpy(sp.compute_fft(np.zeros(n), normalize=False, backend="numpy")[0])
    mags = arr.map_blocks(
        _fft_block, sp.sampling_rate, window, normalize, backend, chunks=(arr.chunks[0], (n // 2 + 1,)), dtype=np.float64
    )
    return freqs, mags


def _psd_block(block: np.ndarray, sampling_rate: float, kwargs: dict[str, Any], backend: Any) -> np.ndarray:
    from .signal import SignalProcessor

    _, pxx = SignalProcessor(sampling_rate, backend=backend).power_spectral_density(block, **kwargs)
    return to_numpy(pxx)


def power_spectral_density(
    x: Any, sampling_rate: float | None = None, *, backend: str | None = None, **kwargs: Any
) -> tuple[np.ndarray, Any]:
    """``power_spectral_density`` of each row of a (batch, n) dask array: ``(f, lazy Pxx)``."""
    from .signal import SignalProcessor

    arr = _as_batch(x)
    sp = SignalProcessor(sampling_rate)
    f, probe = sp.power_spectral_density(np.zeros((1, arr.shape[1])), backend="numpy", **kwargs)
    width = to_numpy(probe).shape[-1]
    pxx = arr.map_blocks(_psd_block, sp.sampling_rate, kwargs, backend, chunks=(arr.chunks[0], (width,)), dtype=np.float64)
    return to_numpy(f), pxx


# -- batched optimisation ------------------------------------------------------------------
def _minimize_chunk(method: str, solver_kwargs: dict[str, Any], f: Any, x0: np.ndarray, jac: Any, backend: Any) -> dict:
    from . import optimize

    solver = {"bfgs": optimize.BFGS, "lbfgs": optimize.LBFGS}[method](**solver_kwargs)
    result = solver.minimize(f, x0, jac=jac, backend=backend)
    return {k: to_numpy(result[k]) for k in ("x", "fun", "nit", "success", "status")}


def minimize_batched(
    f: Callable[..., Any],
    x0: Any,
    jac: Any = None,
    *,
    method: str = "bfgs",
    chunk_problems: int = 1000,
    client: Any = None,
    backend: str | None = None,
    **solver_kwargs: Any,
) -> dict[str, np.ndarray]:
    """Batched BFGS/LBFGS over many starts ``x0`` (shape (batch, n)), chunks of problems across workers.

    ``f`` (and ``jac``) take and return arrays for a (k, n) batch and must be
    picklable (module-level functions). Returns per-problem ``x``, ``fun``,
    ``nit``, ``success``, ``status`` as NumPy arrays, in the order of ``x0``.
    """
    if method not in ("bfgs", "lbfgs"):
        raise ValueError(f"method={method!r}: must be 'bfgs' or 'lbfgs'")
    if not callable(f):
        raise TypeError(f"f: must be callable, got {type(f).__name__}")
    starts = np.asarray(to_numpy(x0), dtype=np.float64)
    if starts.ndim != 2 or starts.shape[0] == 0:
        raise ValueError(f"x0: expected a non-empty (batch, n) array of starts, got shape {starts.shape}")
    chunk_problems = check_positive_int("chunk_problems", chunk_problems)
    tasks = [
        (_minimize_chunk, (method, solver_kwargs, f, starts[i : i + chunk_problems], jac, backend))
        for i in range(0, starts.shape[0], chunk_problems)
    ]
    parts = _run(tasks, client)
    return {key: np.concatenate([np.atleast_1d(p[key]) for p in parts]) for key in parts[0]}
