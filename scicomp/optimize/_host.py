"""The quasi-Newton loop of one tiny problem, on Python floats.

For a problem of a few variables (Rosenbrock: n = 2) the arithmetic of a BFGS
iteration is a few dozen float operations and what costs is per-operation
overhead: ~1 us per NumPy call on tiny arrays, a Python call per helper. When
the model offers a host interface (the numpy / numba kernels for small float64
problems do: see :mod:`scicomp.kernels.bfgs`), this loop keeps the iterate,
gradient, direction and model as Python floats and makes arrays only at the
user's boundary: one array per trial point, handed to ``f`` and ``jac``, and
one list per gradient they return. It is the loop of
:meth:`QuasiNewton._solve <scicomp.optimize._base.QuasiNewton._solve>` step for step
(same line search, same trial points, same evaluation counts), so scipy's
iterates are still reproduced; it only runs with a user gradient and the
Wolfe search, the common case the single-problem benchmark measures.
"""

from __future__ import annotations

import math
from typing import Any

from ._objective import NonFinite, Objective
from .line_search import LineSearchError, wolfe12

__all__ = ["solve_host"]


def solve_host(minimizer: Any, obj: Objective, x: Any, maxiter: int, tol: float, model: Any) -> dict[str, Any]:  # noqa: C901
    """Minimise from ``x`` (shape ``(n,)``) with ``model``'s host operations; the result dict of ``_solve``."""
    from ._base import MESSAGES, nonfinite_message

    ops = model.host_ops
    point, dot, gnorm_of, direction, step = ops.point, ops.dot, ops.gnorm, ops.direction, ops.step
    to_list, to_array = model.to_list, model.to_array
    fun, jac, args = obj.f, obj.jac, obj.args
    isfinite = math.isfinite
    h = model.h
    path = [x] if minimizer.track_path else None
    counts = [0, 0]  # nfev, njev (added to obj's at the end, also when a NonFinite stops the run)

    def value(xa: Any) -> float:
        counts[0] += 1
        v = fun(xa, *args)
        if isinstance(v, float):  # float and numpy.float64
            v = float(v)
            if isfinite(v):
                return v
            raise NonFinite
        return obj._scalar(v)

    def gradient(xa: Any) -> tuple[Any, list]:
        counts[1] += 1
        g = jac(xa, *args)
        gl = to_list(g)
        if gl is None:  # another type, dtype or shape: the objective's checks and conversion
            g = obj._gradient(g, "jac", xa)
            gl = to_list(g)
        return g, gl

    # The current line: x + alpha p, the last trial point (alpha, array, list) and the last gradient.
    xl = pl = None
    pt_a = pt_x = pt_l = gr_a = gr_g = gr_l = None

    def at(alpha: float) -> Any:
        nonlocal pt_a, pt_x, pt_l
        if alpha != pt_a:
            pt_l = point(xl, pl, alpha)
            pt_a, pt_x = alpha, to_array(pt_l)
        return pt_x

    def phi(alpha: float) -> float:
        nonlocal pt_a, pt_x, pt_l
        pt_l = point(xl, pl, alpha)
        pt_a, pt_x = alpha, to_array(pt_l)
        return value(pt_x)

    def derphi(alpha: float) -> float:
        nonlocal gr_a, gr_g, gr_l
        gr_g, gr_l = gradient(at(alpha))
        gr_a = alpha
        slope = dot(gr_l, pl)
        if isfinite(slope):
            return slope
        raise NonFinite

    def phi_derphi(alpha: float) -> tuple[float, float]:
        nonlocal pt_a, pt_x, pt_l, gr_a, gr_g, gr_l
        pt_l = point(xl, pl, alpha)
        xa = to_array(pt_l)
        pt_a = gr_a = alpha
        pt_x = xa
        v = value(xa)
        gr_g, gr_l = gradient(xa)
        slope = dot(gr_l, pl)
        if isfinite(slope):
            return v, slope
        raise NonFinite

    k, status = 0, 0
    f = g = None
    try:
        xl = to_list(x)
        f = value(x)
        g, gl = gradient(x)
        gnorm = gnorm_of(gl)
        if not isfinite(gnorm):
            raise NonFinite
        xp = obj.xp
        old_old = f + float(xp.sqrt(xp.vecdot(g, g))) / 2  # as _solve: scipy's first trial step gives |dx| ~ 1
        while gnorm > tol and k < maxiter:
            pl = direction(h, gl)
            derphi0 = dot(gl, pl)
            pt_a = gr_a = None
            try:
                alpha, f_new = wolfe12(phi, derphi, f, old_old, derphi0, phi_derphi=phi_derphi)
            except LineSearchError:
                status = 2
                break
            if gr_a != alpha or gr_g is None:  # the fallback search may accept a step without its slope
                derphi(alpha)
            x = at(alpha)
            gl_old = gl
            old_old, f, g, gl, xl = f, f_new, gr_g, gr_l, pt_l
            k += 1
            if path is not None:
                path.append(x)
            gnorm = gnorm_of(gl)
            if not isfinite(gnorm):
                raise NonFinite
            if gnorm <= tol:
                break
            h = step(h, alpha, pl, gl_old, gl, False)
    except NonFinite:
        status = 3
        g = g if g is not None else obj.xp.full(obj.x_shape, obj.xp.nan, dtype=obj.dtype)
        f = math.nan if f is None else f
    finally:
        obj.nfev += counts[0]
        obj.njev += counts[1]
    model.h = h
    if status == 0 and k >= maxiter and gnorm > tol:
        status = 1
    message = nonfinite_message(k) if status == 3 else MESSAGES[status]
    return {
        "x": x, "fun": f, "jac": g, "nit": k, "success": status == 0, "status": status, "message": message,
        "path": obj.xp.stack(path) if path is not None else None,
    }  # fmt: skip
