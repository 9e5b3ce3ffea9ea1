"""What every minimiser shares: argument checks, ``minimize``, the quasi-Newton loop.

A minimiser subclass states its options and implements ``_solve`` (one
problem, ``x0`` of shape ``(n,)``) and ``_solve_batched`` (``(batch, n)``).
The quasi-Newton ones (BFGS, L-BFGS) only supply a direction and an update:
the loop, line search, stopping tests and result are here.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import as_array, check_callable, check_choice, check_positive, check_positive_int, resolve_backend
from ..backends import Backend
from ..config import current_config
from ._host import solve_host
from ._objective import Line, NonFinite, Objective
from .line_search import LineSearchError, backtracking, wolfe12
from .result import OptimizeResult

__all__ = ["Minimizer", "QuasiNewton", "MESSAGES", "LINE_SEARCHES"]

logger = logging.getLogger("scicomp.optimize")

LINE_SEARCHES = ("wolfe", "backtracking")
MESSAGES = {
    0: "Optimization terminated successfully.",
    1: "Maximum number of iterations has been exceeded.",
    2: "Desired error not necessarily achieved due to precision loss (the line search found no acceptable step).",
    3: "non-finite objective or gradient at iteration {k}",
}
_UNSET = object()


def nonfinite_message(k: int) -> str:
    return MESSAGES[3].format(k=k)


class Minimizer:
    """Common constructor options and the public ``minimize``."""

    def __init__(self, max_iterations: int | None = None, tolerance: float | None = None, track_path: bool = False,
                 backend: str | Backend | None = None):  # fmt: skip
        self.max_iterations = None if max_iterations is None else check_positive_int("max_iterations", max_iterations)
        self.tolerance = None if tolerance is None else check_positive("tolerance", tolerance)
        if not isinstance(track_path, bool):
            raise TypeError(f"track_path={track_path!r}: must be True or False")
        self.track_path = track_path
        self.backend = backend

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if v is not None)
        return f"{type(self).__name__}({opts})"

    def minimize(
        self,
        f: Callable[..., Any],
        x0: Any,
        jac: Callable[..., Any] | bool | None = None,
        args: tuple = (),
        *,
        gradient: Callable[..., Any] | bool | None = None,
        backend: str | Backend | None = None,
    ) -> OptimizeResult:
        """Minimise ``f`` from ``x0``.

        Parameters
        ----------
        f : callable
            ``f(x, *args)``: a scalar for ``x`` of shape ``(n,)``; for a batch
            ``x0`` of shape ``(batch, n)``, ``f`` is called with ``(m, n)``
            arrays and returns ``(m,)`` values (one array operation for the
            rows; ``m <= batch``: problems that have finished leave the working
            set, so rows must be independent). ``x`` is an array of the backend the minimiser runs
            on. Exceptions raised by ``f`` or ``jac`` propagate unchanged.
        x0 : array_like
            Starting point(s), shape ``(n,)`` or ``(batch, n)``; finite.
        jac : callable, True or None
            Gradient ``jac(x, *args)`` with the shape of ``x``; True when ``f``
            returns ``(value, gradient)``; None: automatic differentiation on
            the tensorflow backend, central finite differences elsewhere.
        args : tuple
            Extra arguments passed to ``f`` and ``jac``.
        gradient : callable, True or None
            Alias of ``jac`` (the original framework's name).
        backend : str or Backend, optional
            Overrides the constructor's ``backend``.

        Returns
        -------
        OptimizeResult
            See :class:`~scicomp.optimize.OptimizeResult`. A non-finite value of
            ``f`` or of the gradient anywhere (line-search trial points too)
            stops the run with ``success=False``, ``status=3``, and ``x`` the
            last finite iterate.
        """
        start = time.perf_counter()
        check_callable("f", f)
        if gradient is not None:
            if jac is not None and jac is not gradient:
                raise TypeError("jac and gradient: pass one of them (gradient= is an alias of jac), not both")
            jac, jac_name = gradient, "gradient"
        else:
            jac_name = "jac"
        if jac is False:
            jac = None
        if not (jac is None or jac is True or callable(jac)):
            raise TypeError(
                f"{jac_name}: must be a callable, True (f returns (value, gradient)) or None, got {type(jac).__name__}"
            )
        if isinstance(args, list):
            args = tuple(args)
        if not isinstance(args, tuple):
            args = (args,)
        shape = np.shape(x0) if not hasattr(x0, "shape") else tuple(x0.shape)
        problems = int(shape[0]) if len(shape) == 2 and shape[0] is not None else 1  # 'auto' may follow the profile
        b = resolve_backend(self.backend if backend is None else backend, "bfgs", problems)
        config = current_config()
        maxiter = config.max_optimization_iterations if self.max_iterations is None else self.max_iterations
        tol = config.optimization_tolerance if self.tolerance is None else self.tolerance
        with b.scope():
            x = as_array(b, x0, "x0", ndim=(1, 2), allow_complex=False)
            x = x + 0.0  # a fresh array (also a tf.Variable's value)
            obj = Objective(b, f, jac, args, tuple(x.shape), x.dtype)
            result = self._solve_batched(obj, x, maxiter, tol) if x.ndim == 2 else self._solve(obj, x, maxiter, tol)
        result["nfev"], result["njev"] = obj.nfev, obj.njev
        result["execution_time"] = time.perf_counter() - start
        logger.debug("%s: %s", type(self).__name__, result["message"])
        return OptimizeResult(result)

    def _solve(self, obj: Objective, x: Any, maxiter: int, tol: float) -> dict[str, Any]:
        raise NotImplementedError

    def _solve_batched(self, obj: Objective, x: Any, maxiter: int, tol: float) -> dict[str, Any]:
        raise NotImplementedError


class QuasiNewton(Minimizer):
    """BFGS-type loop: direction from the curvature model, Wolfe line search, model update.

    Mirrors scipy's ``_minimize_bfgs`` step for step (first trial step from
    the previous decrease, ``wolfe12`` search, inf-norm gradient test), so the
    iterates and evaluation counts match scipy's on the numpy backend.
    """

    def __init__(self, max_iterations=None, tolerance=None, line_search="wolfe", track_path=False, backend=None):
        super().__init__(max_iterations, tolerance, track_path, backend)
        self.line_search = check_choice("line_search", line_search, LINE_SEARCHES)

    # Hooks: state for one problem.
    def _init_state(self, obj: Objective, x: Any) -> Any:
        raise NotImplementedError

    def _direction(self, state: Any, g: Any) -> tuple[Any, float]:
        """The search direction p and the slope g . p (a float)."""
        raise NotImplementedError

    def _update(self, state: Any, s: Any, y: Any) -> Any:
        raise NotImplementedError

    def _step(self, state: Any, alpha: float, p: Any, g: Any, g_new: Any) -> Any:
        """The model update after a step ``alpha p`` (``s = alpha p``, ``y = g_new - g``)."""
        return self._update(state, alpha * p, g_new - g)

    def _solve(self, obj: Objective, x: Any, maxiter: int, tol: float) -> dict[str, Any]:
        xp = obj.xp
        max_abs = obj.backend.kernels.max_abs
        b = obj.backend
        wolfe = self.line_search == "wolfe"
        state = self._init_state(obj, x)
        if wolfe and obj.jac is not None and getattr(state, "host_ops", None) is not None and state.to_list(x) is not None:
            return solve_host(self, obj, x, maxiter, tol, state)  # a tiny problem: the same loop on Python floats
        path = [x] if self.track_path else None
        k, status = 0, 0
        f = g = None
        try:
            f, g = obj.value_and_grad(x)
            gnorm = max_abs(b, g)
            if not math.isfinite(gnorm):
                raise NonFinite
            old_old = f + float(xp.sqrt(xp.vecdot(g, g))) / 2  # scipy: first trial step gives |dx| ~ 1
            while gnorm > tol and k < maxiter:
                p, derphi0 = self._direction(state, g)
                line = Line(obj, x, p, getattr(state, "slope", None))
                try:
                    if wolfe:
                        alpha, f_new = wolfe12(line.phi, line.derphi, f, old_old, derphi0)
                    else:
                        alpha, f_new = backtracking(line.phi, f, derphi0)
                except LineSearchError:
                    status = 2
                    break
                g_new = line.grad_at(alpha)
                x = line.point(alpha)
                g_old = g
                old_old, f, g = f, f_new, g_new
                k += 1
                if path is not None:
                    path.append(x)
                gnorm = max_abs(b, g)
                if not math.isfinite(gnorm):
                    raise NonFinite
                if gnorm <= tol:
                    break
                state = self._step(state, alpha, p, g_old, g)
        except NonFinite:
            status = 3
            g = g if g is not None else xp.full(obj.x_shape, xp.nan, dtype=obj.dtype)
            f = math.nan if f is None else f
        if status == 0 and k >= maxiter and gnorm > tol:
            status = 1
        message = nonfinite_message(k) if status == 3 else MESSAGES[status]
        return {
            "x": x, "fun": f, "jac": g, "nit": k, "success": status == 0, "status": status, "message": message,
            "path": xp.stack(path) if path is not None else None,
        }  # fmt: skip

    def _solve_batched(self, obj: Objective, x: Any, maxiter: int, tol: float) -> dict[str, Any]:
        from ._batched import solve_quasi_newton_batched

        return solve_quasi_newton_batched(self, obj, x, maxiter, tol)
