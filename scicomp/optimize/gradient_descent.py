"""Gradient descent with a fixed learning rate and heavy-ball momentum."""

from __future__ import annotations

import math
from typing import Any

from .._validation import check_non_negative, check_positive
from ..backends import Backend
from ._base import MESSAGES, Minimizer, nonfinite_message
from ._batched import batch_message
from ._objective import NonFinite, Objective

__all__ = ["GradientDescent"]


class GradientDescent(Minimizer):
    """Heavy-ball gradient descent: ``v <- momentum * v - learning_rate * grad; x <- x + v``.

    No line search: each iteration costs one objective and one gradient
    evaluation. It stops when the inf-norm of the gradient is at most
    ``tolerance``. On a quadratic with Hessian eigenvalues in [m, L] it
    converges for ``learning_rate < 2 (1 + momentum) / L``. Batched problems
    (``x0`` of shape (batch, n)) are solved together, each stopping on its own.

    Parameters
    ----------
    learning_rate : float
        Step size (> 0).
    momentum : float
        Heavy-ball coefficient in [0, 1).
    max_iterations, tolerance, track_path, backend
        As for :class:`~scicomp.optimize.BFGS`.
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        max_iterations: int | None = None,
        tolerance: float | None = None,
        track_path: bool = False,
        backend: str | Backend | None = None,
    ):
        self.learning_rate = check_positive("learning_rate", learning_rate)
        self.momentum = check_non_negative("momentum", momentum)
        if self.momentum >= 1:
            raise ValueError(f"momentum={momentum!r}: must be < 1 (heavy-ball diverges otherwise)")
        super().__init__(max_iterations, tolerance, track_path, backend)

    def _solve(self, obj: Objective, x: Any, maxiter: int, tol: float) -> dict[str, Any]:
        xp = obj.xp
        lr, mom = self.learning_rate, self.momentum
        path = [x] if self.track_path else None
        k, status, f, g = 0, 0, math.nan, None
        v = xp.zeros_like(x)
        try:
            f, g = obj.value_and_grad(x)
            gnorm = float(xp.max(xp.abs(g)))
            while gnorm > tol and k < maxiter:
                v = mom * v - lr * g
                x_new = x + v
                f_new, g_new = obj.value_and_grad(x_new)
                gnorm = float(xp.max(xp.abs(g_new)))
                if not math.isfinite(gnorm):
                    raise NonFinite
                x, f, g = x_new, f_new, g_new
                k += 1
                if path is not None:
                    path.append(x)
            if not math.isfinite(gnorm):
                raise NonFinite
        except NonFinite:
            status = 3
            if g is None:
                g = xp.full(obj.x_shape, xp.nan, dtype=obj.dtype)
        if status == 0 and gnorm > tol:
            status = 1
        return {
            "x": x, "fun": f, "jac": g, "nit": k, "success": status == 0, "status": status,
            "message": nonfinite_message(k) if status == 3 else MESSAGES[status],
            "path": xp.stack(path) if path is not None else None,
        }  # fmt: skip

    def _solve_batched(self, obj: Objective, x: Any, maxiter: int, tol: float) -> dict[str, Any]:
        xp = obj.xp
        lr, mom = self.learning_rate, self.momentum
        path = [x] if self.track_path else None
        f, g = obj.value_and_grad(x)
        finite = xp.isfinite(f) & xp.all(xp.isfinite(g), axis=-1)
        no_status = xp.zeros(f.shape, dtype=xp.int64)
        status = xp.where(finite, no_status, no_status + 3)
        active = finite & (xp.max(xp.abs(g), axis=-1) > tol)
        nit = no_status
        v = xp.zeros_like(x)
        k = 0
        while k < maxiter and bool(xp.any(active)):
            act = xp.expand_dims(active, -1)
            v = xp.where(act, mom * v - lr * g, 0.0)
            x_new = x + v
            f_new, g_new = obj.value_and_grad(x_new)
            finite = xp.isfinite(f_new) & xp.all(xp.isfinite(g_new), axis=-1)
            status = xp.where(active & ~finite, 3, status)
            moved = active & finite
            keep = xp.expand_dims(moved, -1)
            x = xp.where(keep, x_new, x)
            f = xp.where(moved, f_new, f)
            g = xp.where(keep, g_new, g)
            nit = nit + xp.astype(moved, xp.int64)
            active = moved & (xp.max(xp.abs(g), axis=-1) > tol)
            k += 1
            if path is not None:
                path.append(x)
        status = xp.where(active, 1, status)
        return {
            "x": x, "fun": f, "jac": g, "nit": nit, "success": status == 0, "status": status,
            "message": batch_message(obj.backend.to_numpy(status)),
            "path": xp.stack(path) if path is not None else None,
        }  # fmt: skip
