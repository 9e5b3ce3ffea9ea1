"""L-BFGS: limited-memory BFGS, the two-loop recursion over the last ``memory`` steps."""

from __future__ import annotations

from typing import Any

from .._validation import check_positive_int
from ..backends import Backend
from ._base import QuasiNewton

__all__ = ["LBFGS"]


class LBFGS(QuasiNewton):
    """Limited-memory BFGS minimiser (Nocedal & Wright, Algorithm 7.4).

    Keeps the last ``memory`` step/gradient-change pairs instead of a dense
    inverse Hessian (O(memory * n) work and storage per iteration), scales the
    initial Hessian by ``s'y / y'y`` of the newest pair, and uses the same
    strong-Wolfe line search and stopping test as :class:`BFGS`. Pairs without
    positive curvature are not stored. Batched problems (``x0`` of shape
    (batch, n)) are supported, with ``(batch, memory, n)`` histories.

    Parameters
    ----------
    memory : int
        Number of pairs kept (>= 1).
    max_iterations, tolerance, line_search, track_path, backend
        As for :class:`BFGS`.
    """

    def __init__(
        self,
        memory: int = 10,
        max_iterations: int | None = None,
        tolerance: float | None = None,
        line_search: str = "wolfe",
        track_path: bool = False,
        backend: str | Backend | None = None,
    ):
        self.memory = check_positive_int("memory", memory)
        super().__init__(max_iterations, tolerance, line_search, track_path, backend)

    # -- one problem: lists of pairs -------------------------------------------------
    def _init_state(self, obj: Any, x: Any) -> Any:
        return {"xp": obj.xp, "pairs": [], "gamma": 1.0}

    def _direction(self, state: Any, g: Any) -> Any:
        xp, pairs = state["xp"], state["pairs"]
        vecdot = xp.vecdot
        q = g
        alphas = []
        for s, y, rho in reversed(pairs):
            a = rho * vecdot(s, q)
            q = q - a * y
            alphas.append(a)
        r = state["gamma"] * q
        for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):
            r = r + (a - rho * vecdot(y, r)) * s
        return -r, -float(vecdot(g, r))

    def _update(self, state: Any, s: Any, y: Any) -> Any:
        xp = state["xp"]
        ys = float(xp.vecdot(y, s))
        yy = float(xp.vecdot(y, y))
        if ys > 1e-10 * yy and ys > 0:
            pairs = state["pairs"]
            pairs.append((s, y, 1.0 / ys))
            if len(pairs) > self.memory:
                del pairs[0]
            state["gamma"] = ys / yy
        return state

    # -- a batch: (batch, memory, n) histories, oldest first -------------------------------
    def _init_state_batched(self, obj: Any, x: Any) -> Any:
        xp = obj.xp
        batch, n = x.shape
        zeros = xp.zeros((batch, self.memory, n), dtype=x.dtype)
        return {"xp": xp, "s": zeros, "y": zeros, "rho": xp.zeros((batch, self.memory), dtype=x.dtype),
                "gamma": xp.ones((batch,), dtype=x.dtype)}  # fmt: skip

    def _direction_batched(self, state: Any, g: Any) -> Any:
        # Empty slots have rho = 0 and s = y = 0, so they contribute nothing.
        xp = state["xp"]
        s_hist, y_hist, rho = state["s"], state["y"], state["rho"]
        q = g
        alphas = []
        for i in reversed(range(self.memory)):
            a = rho[:, i] * xp.sum(s_hist[:, i] * q, axis=-1)
            q = q - xp.expand_dims(a, -1) * y_hist[:, i]
            alphas.append(a)
        r = xp.expand_dims(state["gamma"], -1) * q
        for i, a in zip(range(self.memory), reversed(alphas), strict=True):
            beta = rho[:, i] * xp.sum(y_hist[:, i] * r, axis=-1)
            r = r + xp.expand_dims(a - beta, -1) * s_hist[:, i]
        return -r

    def _update_batched(self, state: Any, s: Any, y: Any, mask: Any) -> Any:
        xp = state["xp"]
        ys = xp.sum(y * s, axis=-1)
        yy = xp.sum(y * y, axis=-1)
        mask = mask & (ys > 1e-10 * yy) & (ys > 0)
        keep3 = xp.expand_dims(xp.expand_dims(mask, -1), -1)
        shifted_s = xp.concat([state["s"][:, 1:], xp.expand_dims(s, 1)], axis=1)
        shifted_y = xp.concat([state["y"][:, 1:], xp.expand_dims(y, 1)], axis=1)
        safe_ys = xp.where(mask, ys, 1.0)
        shifted_rho = xp.concat([state["rho"][:, 1:], xp.expand_dims(1.0 / safe_ys, 1)], axis=1)
        state["s"] = xp.where(keep3, shifted_s, state["s"])
        state["y"] = xp.where(keep3, shifted_y, state["y"])
        state["rho"] = xp.where(xp.expand_dims(mask, -1), shifted_rho, state["rho"])
        state["gamma"] = xp.where(mask, safe_ys / xp.where(mask, yy, 1.0), state["gamma"])
        return state

    def _take_state_batched(self, state: Any, rows: Any) -> Any:
        xp = state["xp"]
        return {"xp": xp, **{k: xp.take(state[k], rows, axis=0) for k in ("s", "y", "rho", "gamma")}}
