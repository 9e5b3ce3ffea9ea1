"""BFGS: quasi-Newton minimisation with a dense inverse-Hessian approximation."""

from __future__ import annotations

from typing import Any

from .._validation import check_memory, itemsize
from ..backends import Backend
from ._base import QuasiNewton

__all__ = ["BFGS"]


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

    # -- the model: a kernel (scicomp.kernels.bfgs), per backend ---------------------------
    def _init_state(self, obj: Any, x: Any) -> Any:
        n = int(x.shape[0])
        _check_hessian_memory(obj.backend, 1, n)
        return obj.backend.kernels.bfgs_model(obj.backend, n, x.dtype)

    def _direction(self, state: Any, g: Any) -> tuple[Any, float]:
        return state.direction(g)

    def _update(self, state: Any, s: Any, y: Any) -> Any:
        state.update(s, y, self.line_search == "backtracking")
        return state

    def _step(self, state: Any, alpha: float, p: Any, g: Any, g_new: Any) -> Any:
        state.step(alpha, p, g, g_new, self.line_search == "backtracking")
        return state

    def _init_state_batched(self, obj: Any, x: Any) -> Any:
        batch, n = (int(d) for d in x.shape)
        _check_hessian_memory(obj.backend, batch, n)
        return obj.backend.kernels.bfgs_model_batched(obj.backend, batch, n, x.dtype)

    def _direction_batched(self, state: Any, g: Any) -> Any:
        return state.direction(g)

    def _update_batched(self, state: Any, s: Any, y: Any, mask: Any) -> Any:
        state.update(s, y, mask, self.line_search == "backtracking")
        return state

    def _take_state_batched(self, state: Any, rows: Any) -> Any:
        return state.take(rows)


def _check_hessian_memory(backend: Backend, batch: int, n: int) -> None:
    """Refuse, before allocating, dense n x n inverse Hessians beyond ``memory_limit_gb``."""
    what = f"BFGS's inverse Hessian ({batch} x {n} x {n})" if batch > 1 else f"BFGS's inverse Hessian ({n} x {n})"
    check_memory(batch * n * n, itemsize(backend), what, hint="LBFGS needs O(n) memory for large n")
