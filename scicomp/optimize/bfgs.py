"""BFGS: quasi-Newton minimisation with a dense inverse-Hessian approximation."""

from __future__ import annotations

from typing import Any

from ..backends import Backend
from ._base import QuasiNewton

__all__ = ["BFGS"]


def _matvec(xp: Any, a: Any, v: Any) -> Any:
    """``a @ v`` for a matrix and a vector (TensorFlow's matmul wants matrices)."""
    return xp.matmul(a, v[:, None])[:, 0]


class BFGS(QuasiNewton):
    """Broyden-Fletcher-Goldfarb-Shanno minimiser, written once for every backend.

    Follows scipy's ``minimize(method='BFGS')``: inverse Hessian starting at the
    identity, strong-Wolfe line search (c1=1e-4, c2=0.9; MINPACK's More-Thuente
    search with a bracketing/zoom fallback) starting from scipy's step guess,
    and convergence when the inf-norm of the gradient is at most ``tolerance``.
    On the numpy backend in float64 it takes scipy's steps, so minima and
    evaluation counts agree with scipy's.

    Parameters
    ----------
    max_iterations : int, optional
        Iteration limit (default: config ``max_optimization_iterations``).
    tolerance : float, optional
        Gradient inf-norm tolerance, scipy's ``gtol`` (default: config
        ``optimization_tolerance``).
    line_search : {'wolfe', 'backtracking'}
        'backtracking' uses Armijo backtracking only; the update is then skipped
        on steps without positive curvature (``y's <= 0``).
    track_path : bool
        Record the iterates in ``result.path``.
    backend : str or Backend, optional
        Backend to run on (``minimize(backend=...)`` overrides it).

    Examples
    --------
    >>> from scicomp.optimize import BFGS, get_problem
    >>> f, grad, x_min = get_problem("rosenbrock")
    >>> result = BFGS().minimize(f, [-1.2, 1.0], jac=grad)
    >>> bool(result.success), [round(float(v), 6) for v in result.x]
    (True, [1.0, 1.0])

    Batched: ``x0`` of shape (batch, n) and a vectorised ``f`` solve every
    problem at once (see :meth:`minimize`); the result then holds per-problem
    ``x``, ``fun``, ``jac``, ``nit``, ``success`` and ``status``.
    """

    def __init__(
        self,
        max_iterations: int | None = None,
        tolerance: float | None = None,
        line_search: str = "wolfe",
        track_path: bool = False,
        backend: str | Backend | None = None,
    ):
        super().__init__(max_iterations, tolerance, line_search, track_path, backend)

    # -- one problem --------------------------------------------------------------
    def _init_state(self, xp: Any, x: Any) -> Any:
        return [xp, xp.eye(x.shape[0], dtype=x.dtype)]

    def _direction(self, state: Any, g: Any) -> Any:
        xp, h = state
        return -_matvec(xp, h, g)

    def _update(self, state: Any, s: Any, y: Any) -> Any:
        xp, h = state
        ys = float(xp.vecdot(y, s))
        if ys <= 0 and self.line_search == "backtracking":
            return state  # no positive curvature along the step: keep the model
        rho = 1000.0 if ys == 0 else 1.0 / ys  # scipy's guard
        hy = _matvec(xp, h, y)
        # (I - rho s y^T) H (I - rho y s^T) + rho s s^T, expanded to two outer products (O(n^2))
        c = rho * rho * float(xp.vecdot(y, hy)) + rho
        state[1] = h + s[:, None] * (c * s - rho * hy)[None, :] - (rho * hy)[:, None] * s[None, :]
        return state

    # -- a batch: (batch, n) arrays, (batch, n, n) models ---------------------------
    def _init_state_batched(self, xp: Any, x: Any) -> Any:
        batch, n = x.shape
        return [xp, xp.broadcast_to(xp.eye(n, dtype=x.dtype), (batch, n, n))]

    def _direction_batched(self, state: Any, g: Any) -> Any:
        xp, h = state
        return -xp.squeeze(xp.matmul(h, xp.expand_dims(g, -1)), axis=-1)

    def _update_batched(self, state: Any, s: Any, y: Any, mask: Any) -> Any:
        xp, h = state
        ys = xp.sum(y * s, axis=-1)
        mask = mask & (ys > 0) if self.line_search == "backtracking" else mask
        rho = xp.where(ys != 0, 1.0 / xp.where(ys != 0, ys, 1.0), 1000.0)
        hy = xp.squeeze(xp.matmul(h, xp.expand_dims(y, -1)), axis=-1)
        yhy = xp.sum(y * hy, axis=-1)
        col, row = (lambda v: xp.expand_dims(v, -1)), (lambda v: xp.expand_dims(v, -2))
        r = col(col(rho))
        new = h - r * (col(s) * row(hy) + col(hy) * row(s)) + col(col(rho * rho * yhy + rho)) * (col(s) * row(s))
        state[1] = xp.where(col(col(mask)), new, h)
        return state
