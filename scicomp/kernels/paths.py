"""Path-generation kernels: cumulative sums of increments along the time axis.

The generic version is a vectorised cumulative sum; the numba version is
filled in by the performance work (in-kernel random numbers).
"""

from __future__ import annotations

from typing import Any


def cumulative_paths(backend: Any, x0: Any, increments: Any) -> Any:
    """Return paths of shape (..., n_steps + 1): x0 followed by x0 + cumsum(increments)."""
    xp = backend.xp
    return x0 + xp.cumulative_sum(increments, axis=-1, include_initial=True)


def implementations(backend_name: str) -> dict[str, Any]:
    return {"cumulative_paths": cumulative_paths}
