"""Batched quasi-Newton: many independent problems, one array operation per step.

``x0`` of shape ``(batch, n)`` and a vectorised ``f`` (``(batch, n) ->
(batch,)``): every step evaluates the objective once for the whole batch,
directions and model updates are batched matrix products, and the line search
keeps a step size, a bracket and a state per problem. A problem that has
converged (or failed) is frozen with ``xp.where`` masks while the others go
on; there is no Python loop over problems, and the only host synchronisation
per step is the "is anyone still running" test.
"""

from __future__ import annotations

from typing import Any

from ._base import MESSAGES
from ._objective import Objective

__all__ = ["solve_quasi_newton_batched", "batched_line_search"]


def _rowdot(xp: Any, a: Any, b: Any) -> Any:
    return xp.sum(a * b, axis=-1)


def _finite_rows(xp: Any, f: Any, g: Any) -> Any:
    return xp.isfinite(f) & xp.all(xp.isfinite(g), axis=-1)


def _cubic_step(xp: Any, a_lo, f_lo, d_lo, a_hi, f_hi, d_hi):
    """Minimiser of the cubic matching values and slopes at both ends, bisection where undefined.

    Kept at least a tenth of the interval away from either end (Nocedal &
    Wright eq. 3.59 with the usual safeguard).
    """
    width = a_hi - a_lo
    safe_width = xp.where(width != 0, width, 1.0)
    d1 = d_lo + d_hi - 3.0 * (f_lo - f_hi) / (-safe_width)
    disc = d1 * d1 - d_lo * d_hi
    d2 = xp.sign(width) * xp.sqrt(xp.maximum(disc, 0.0))
    denom = d_hi - d_lo + 2.0 * d2
    ok = (disc >= 0) & (denom != 0) & (width != 0)
    trial = a_hi - width * (d_hi + d2 - d1) / xp.where(denom != 0, denom, 1.0)
    lower = xp.minimum(a_lo, a_hi) + 0.1 * xp.abs(width)
    upper = xp.maximum(a_lo, a_hi) - 0.1 * xp.abs(width)
    ok = ok & xp.isfinite(trial) & (trial >= lower) & (trial <= upper)
    return xp.where(ok, trial, a_lo + 0.5 * width)


def _take_low(xp: Any, mask: Any, out: tuple, low: tuple) -> tuple:
    a, f, g = out
    la, lf, lg = low
    return xp.where(mask, la, a), xp.where(mask, lf, f), xp.where(xp.expand_dims(mask, -1), lg, g)


def batched_line_search(
    obj: Objective, x, p, f0, g0, d0, old_f0, searching, wolfe: bool = True, c1: float = 1e-4, c2: float = 0.9,
    max_steps: int = 30,
):  # fmt: skip
    """Per-problem step sizes along ``p`` for the problems in the ``searching`` mask.

    Strong Wolfe conditions (``wolfe``) or Armijo's sufficient decrease only;
    a bracketing phase doubles the step until the minimum along the line is
    bracketed, then safeguarded cubic interpolation zooms in. Returns
    ``(alpha, f, g, status)``: status 0 found (or, after ``max_steps``, the
    best point with sufficient decrease), 2 nothing acceptable, 3 non-finite.
    """
    xp = obj.xp
    int_dtype = xp.int64
    # scipy's first trial step: the previous iteration's decrease, at most 1.
    guess = 1.01 * 2.0 * (f0 - old_f0) / xp.where(d0 != 0, d0, 1.0)
    alpha = xp.where((d0 != 0) & (guess > 0) & xp.isfinite(guess), xp.minimum(guess, 1.0), 1.0)
    zeros = xp.zeros_like(f0)
    lo_a, lo_f, lo_d, lo_g = zeros, f0, d0, g0
    hi_a, hi_f, hi_d = zeros, f0, d0
    bracketed = xp.zeros(f0.shape, dtype=xp.bool)
    out_a, out_f, out_g = zeros, f0, g0
    status = xp.zeros(f0.shape, dtype=int_dtype)
    for _ in range(max_steps):
        ft, gt = obj.value_and_grad(x + xp.expand_dims(alpha, -1) * p)
        finite = _finite_rows(xp, ft, gt)
        status = xp.where(searching & ~finite, 3, status)
        searching = searching & finite
        ft = xp.where(finite, ft, 0.0)
        gt = xp.where(xp.expand_dims(finite, -1), gt, 0.0)
        dt = _rowdot(xp, gt, p)
        armijo = ft <= f0 + c1 * alpha * d0
        accept = searching & armijo
        if wolfe:
            accept = accept & (xp.abs(dt) <= -c2 * d0)
        out_a = xp.where(accept, alpha, out_a)
        out_f = xp.where(accept, ft, out_f)
        out_g = xp.where(xp.expand_dims(accept, -1), gt, out_g)
        searching = searching & ~accept
        if not bool(xp.any(searching)):
            break
        # Too high: the step is a new upper end of the bracket.
        high = ~armijo | (ft >= lo_f)
        # Lower and still descending: it becomes the low end; the old low end is the
        # other side when the slope says the minimum lies behind.
        flip = ~high & xp.where(bracketed, dt * (hi_a - lo_a) >= 0, dt >= 0)
        new_hi = high | flip
        hi_a = xp.where(flip, lo_a, xp.where(high, alpha, hi_a))
        hi_f = xp.where(flip, lo_f, xp.where(high, ft, hi_f))
        hi_d = xp.where(flip, lo_d, xp.where(high, dt, hi_d))
        low = ~high
        lo_a = xp.where(low, alpha, lo_a)
        lo_f = xp.where(low, ft, lo_f)
        lo_d = xp.where(low, dt, lo_d)
        lo_g = xp.where(xp.expand_dims(low, -1), gt, lo_g)
        bracketed = bracketed | new_hi
        zoom = _cubic_step(xp, lo_a, lo_f, lo_d, hi_a, hi_f, hi_d)
        alpha = xp.where(bracketed, zoom, 2.0 * alpha)
        # Bracket narrower than rounding: stop searching this problem.
        tiny = bracketed & (xp.abs(hi_a - lo_a) <= 1e-14 * xp.maximum(xp.abs(lo_a), xp.abs(hi_a)))
        stuck = searching & tiny
        out_a, out_f, out_g = _take_low(xp, stuck & (lo_a > 0), (out_a, out_f, out_g), (lo_a, lo_f, lo_g))
        status = xp.where(stuck & (lo_a <= 0), 2, status)
        searching = searching & ~tiny
    # Out of steps: keep the best point with sufficient decrease, if any.
    out_a, out_f, out_g = _take_low(xp, searching & (lo_a > 0), (out_a, out_f, out_g), (lo_a, lo_f, lo_g))
    status = xp.where(searching & (lo_a <= 0), 2, status)
    return out_a, out_f, out_g, status


def solve_quasi_newton_batched(minimizer: Any, obj: Objective, x: Any, maxiter: int, tol: float) -> dict[str, Any]:
    """The batched loop behind ``BFGS`` / ``LBFGS`` ``minimize`` for ``x0`` of shape (batch, n)."""
    xp = obj.xp
    wolfe = minimizer.line_search == "wolfe"
    int_dtype = xp.int64
    f, g = obj.value_and_grad(x)
    finite = _finite_rows(xp, f, g)
    no_status = xp.zeros(f.shape, dtype=int_dtype)
    status = xp.where(finite, no_status, no_status + 3)
    gnorm = xp.max(xp.abs(g), axis=-1)
    active = finite & (gnorm > tol)
    nit = no_status
    old_f = f + xp.sqrt(_rowdot(xp, g, g)) / 2.0
    state = minimizer._init_state_batched(xp, x)
    path = [x] if minimizer.track_path else None
    k = 0
    while k < maxiter and bool(xp.any(active)):
        p = xp.where(xp.expand_dims(active, -1), minimizer._direction_batched(state, g), 0.0)
        d0 = _rowdot(xp, g, p)
        alpha, f_new, g_new, ls_status = batched_line_search(obj, x, p, f, g, d0, old_f, active, wolfe)
        moved = active & (ls_status == 0)
        status = xp.where(active & (ls_status != 0), ls_status, status)
        s = xp.expand_dims(xp.where(moved, alpha, 0.0), -1) * p
        x = x + s
        y = xp.where(xp.expand_dims(moved, -1), g_new - g, 0.0)
        old_f = xp.where(moved, f, old_f)
        f = xp.where(moved, f_new, f)
        g = xp.where(xp.expand_dims(moved, -1), g_new, g)
        nit = nit + xp.astype(moved, int_dtype)
        converged = xp.max(xp.abs(g), axis=-1) <= tol
        active = moved & ~converged
        state = minimizer._update_batched(state, s, y, active)
        k += 1
        if path is not None:
            path.append(x)
    status = xp.where(active, 1, status)
    return {
        "x": x, "fun": f, "jac": g, "nit": nit, "success": status == 0, "status": status,
        "message": batch_message(obj.backend.to_numpy(status)),
        "path": xp.stack(path) if path is not None else None,
    }  # fmt: skip


def batch_message(status: Any) -> str:
    """One line summarising the per-problem statuses of a batch."""
    import numpy as np

    counts = np.bincount(np.asarray(status, dtype=np.int64).ravel(), minlength=4)
    total = int(counts.sum())
    parts = [f"{counts[0]} of {total} problems converged"]
    names = {1: "reached the iteration limit", 2: "stopped on a failed line search", 3: "hit a non-finite objective or gradient"}
    parts += [f"{counts[c]} {names[c]}" for c in (1, 2, 3) if counts[c]]
    return "; ".join(parts) + ("" if counts[0] < total else f". {MESSAGES[0]}")
