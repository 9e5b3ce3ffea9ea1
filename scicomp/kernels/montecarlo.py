"""Monte Carlo reduction kernels: per-block statistics of European payoffs under GBM, never storing all paths.

* ``payoff_block_statistics(backend, streams, sizes, s0, strike, drift, vol, option, antithetic)``
  -> ``(means, m2s)``: for each block ``i`` of ``sizes[i]`` samples drawn
  from its own stream ``streams[i]`` (a :class:`numpy.random.SeedSequence`),
  the mean and the sum of squared deviations of the payoff of
  ``S_T = s0 exp(drift + vol Z)`` (the average of the payoffs at Z and -Z when
  ``antithetic``), as float64 NumPy arrays on the host.

Because each block's numbers depend only on its stream, a caller may process
any number of blocks at once and combine the statistics afterwards
(:func:`scicomp.stochastic.price_european_option` does, to stay under
``memory_limit_gb``) and get the same result however it groups them.

* generic (numpy, tensorflow, cupy): each block's normals from
  ``backend.random(stream)``, then vectorised terminal values, payoffs and a
  two-pass mean / squared deviation per block; memory is a few arrays of the
  chunk's size.
* numba: one fused, parallel kernel (a block per iteration): each block seeds
  its own xoshiro256** stream from the SeedSequence's state and keeps
  running (Welford) sums, so memory is constant whatever the block count.
  The numbers differ from the numpy backend's (the same seed gives the same
  price on numba run after run, and both agree in law).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["payoff_block_statistics", "implementations"]

_OPTIONS = ("call", "put")


def _payoff(xp: Any, terminal: Any, strike: float, option: str) -> Any:
    intrinsic = terminal - strike if option == "call" else strike - terminal
    return xp.maximum(intrinsic, 0.0)


def _block_statistics(backend: Any, y: Any, sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per-block mean and sum of squared deviations of ``y`` (blocks of ``sizes``; only the last may be short)."""
    xp = backend.xp
    full = sizes[0]
    n_full = sum(1 for s in sizes if s == full)
    means, m2s = [], []
    if n_full:
        rows = xp.reshape(y[: n_full * full], (n_full, full))
        mean = xp.mean(rows, axis=1)
        means.append(backend.to_numpy(mean))
        m2s.append(backend.to_numpy(xp.sum(xp.square(rows - xp.reshape(mean, (-1, 1))), axis=1)))
    if n_full < len(sizes):
        tail = y[n_full * full :]
        mean = xp.mean(tail)
        means.append(np.atleast_1d(backend.to_numpy(mean)))
        m2s.append(np.atleast_1d(backend.to_numpy(xp.sum(xp.square(tail - mean)))))
    return np.concatenate(means).astype(np.float64), np.concatenate(m2s).astype(np.float64)


def payoff_block_statistics(
    backend: Any,
    streams: Sequence[np.random.SeedSequence],
    sizes: Sequence[int],
    s0: float,
    strike: float,
    drift: float,
    vol: float,
    option: str,
    antithetic: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-block payoff mean and sum of squared deviations (generic: vectorised over the chunk)."""
    xp = backend.xp
    draws = [backend.random(stream).standard_normal((size,)) for stream, size in zip(streams, sizes, strict=True)]
    z = draws[0] if len(draws) == 1 else xp.concat(draws, axis=0)
    del draws
    y = _payoff(xp, s0 * xp.exp(drift + vol * z), strike, option)
    if antithetic:
        y = 0.5 * (y + _payoff(xp, s0 * xp.exp(drift - vol * z), strike, option))
    del z
    return _block_statistics(backend, y, sizes)


def payoff_block_statistics_numba(backend, streams, sizes, s0, strike, drift, vol, option, antithetic):
    """As :func:`payoff_block_statistics`, fused in one compiled kernel with in-kernel random numbers."""
    from . import _numba_paths, _rng

    keys = np.stack([stream.generate_state(_rng.KEY_WORDS, dtype=np.uint64) for stream in streams])
    sizes_arr = np.asarray(sizes, dtype=np.int64)
    with backend.scope():
        return _numba_paths.payoff_block_statistics(
            keys,
            sizes_arr,
            float(s0),
            float(strike),
            float(drift),
            float(vol),
            option == "call",
            bool(antithetic),
            *_rng.ziggurat_tables(),
        )


def implementations(backend_name: str) -> dict[str, Any]:
    if backend_name == "numba":
        return {"payoff_block_statistics": payoff_block_statistics_numba}
    return {"payoff_block_statistics": payoff_block_statistics}
