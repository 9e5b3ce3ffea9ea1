"""Homogeneous Poisson process: arrival times of one realisation, and counts on a grid."""

from __future__ import annotations

import logging
from typing import Any

from .._validation import check_memory, check_positive, check_positive_int, is_tracing
from ..backends import Backend
from ._common import SeededProcess, check_grid, itemsize, refuse_oversize, time_grid

logger = logging.getLogger("scicomp.stochastic")

__all__ = ["PoissonProcess"]


class PoissonProcess(SeededProcess):
    """A Poisson process of constant ``rate`` (> 0), N(0) = 0.

    ``seed`` and ``backend`` follow the other process classes: one stream per
    backend, continued by successive calls.
    """

    def __init__(self, rate: float, seed: Any = None, *, backend: str | Backend | None = None):
        self.rate = check_positive("rate", rate)
        super().__init__(seed, backend)

    def __repr__(self) -> str:
        return f"PoissonProcess(rate={self.rate}, seed={self.seed})"

    def arrival_times(self, T: float, *, backend: str | Backend | None = None) -> Any:
        """Arrival times of one realisation on [0, T], sorted: a 1-D float array (possibly empty).

        Exact and loop-free: the number of arrivals is Poisson(rate T) and,
        given it, the times are that many sorted uniforms on [0, T] (the
        order-statistics property). The count is read back to size the array.
        """
        T = check_positive("T", T)
        b = self._resolve(backend)
        gen = self._generator(b)
        if is_tracing(b):
            raise TypeError("arrival_times: the number of arrivals sizes the result, so it cannot be traced "
                            "(tf.function); call it eagerly, or use counts() on a grid")  # fmt: skip
        with b.scope():
            n = int(round(float(b.to_numpy(gen.poisson(self.rate * T, ())))))
            check_memory(2 * n, itemsize(b), "PoissonProcess.arrival_times", hint="use a shorter horizon T or a lower rate")
            if n == 0:
                return b.xp.zeros((0,), dtype=b.float_dtype)
            return b.xp.sort(gen.uniform(0.0, T, (n,)))

    def counts(
        self, T: float, n_steps: int, *, n_paths: int | None = None, backend: str | Backend | None = None
    ) -> tuple[Any, Any]:
        """Return ``(t, N)``: the grid ``linspace(0, T, n_steps + 1)`` and the counts N(t) on it.

        N has the backend's float dtype (whole numbers, exact up to 2**53 in
        float64 and 2**24 in float32), so it combines with other float arrays
        without casts on every backend. It is 1-D, or of shape
        (n_paths, n_steps + 1) when ``n_paths`` is given. N[..., 0] == 0.
        """
        T, n_steps, _ = check_grid(T, n_steps)
        rows = 1 if n_paths is None else check_positive_int("n_paths", n_paths)
        b = self._resolve(backend)
        refuse_oversize(rows, n_steps, 2, b, "PoissonProcess.counts")
        with b.scope():
            t = time_grid(b, T, n_steps)
            increments = self._generator(b).poisson(self.rate * T / n_steps, (rows, n_steps))
            counts = b.kernels.cumulative_paths(b, 0.0, increments)
        return t, counts[0] if n_paths is None else counts
