"""Batched quasi-Newton: many independent problems, one array operation per step.

``x0`` of shape ``(batch, n)`` and a vectorised ``f`` (``(batch, n) ->
(batch,)``): every step evaluates the objective once for the problems still
running, directions and model updates are batched matrix products, and the
line search keeps a step size, a bracket and a state per problem. There is no
Python loop over problems.

Problems that finish leave the working set: the outer loop drops converged
and failed problems once at most 1 / SHRINK_OUTER of the working set is still
running, the line search drops the problems that have their step once at
most 1 / SHRINK_SEARCH is still searching (most have it after one trial). Their results are
set aside and put back in the problems' order at the end with one
permutation (``take`` only, so it works where arrays are immutable, as on
TensorFlow). So the work per step follows the number of problems still
running, not the batch size: ``f`` may be called with fewer rows than the
batch (a vectorised ``f`` must treat rows independently, which the batched
API already requires). Rows that are done but still in the working set are
frozen with ``xp.where`` masks. The host synchronisations per step are the
"how many are still running" counts.
"""

from __future__ import annotations

from typing import Any

from ._base import MESSAGES
from ._objective import Objective

__all__ = ["solve_quasi_newton_batched", "batched_line_search", "batch_message", "SHRINK_OUTER", "SHRINK_SEARCH"]

# The working set shrinks once it would shrink by this factor: a shrink gathers every
# working array (the (m, n, n) models too), so it is done when it pays for itself.
SHRINK_OUTER = 4  # iterations: problems converged or failed
SHRINK_SEARCH = 2  # line-search steps: problems with their step (most have it after one trial)


# Row reductions of (m, n) arrays: for small n, a sum over columns. A reduction along a short
# last axis costs ~10x more than n column operations in NumPy (and the order of the sum is the same).
COLUMNS_UP_TO = 8


def _rowdot(xp: Any, a: Any, b: Any) -> Any:
    n = a.shape[-1]
    if n > COLUMNS_UP_TO:
        return xp.sum(a * b, axis=-1)
    out = a[:, 0] * b[:, 0]
    for j in range(1, n):
        out = out + a[:, j] * b[:, j]
    return out


def _row_max_abs(xp: Any, g: Any) -> Any:
    n = g.shape[-1]
    if n > COLUMNS_UP_TO:
        return xp.max(xp.abs(g), axis=-1)
    out = xp.abs(g[:, 0])
    for j in range(1, n):
        out = xp.maximum(out, xp.abs(g[:, j]))
    return out


def _finite_rows(xp: Any, f: Any, g: Any) -> Any:
    if g.shape[-1] > COLUMNS_UP_TO:
        return xp.isfinite(f) & xp.all(xp.isfinite(g), axis=-1)
    return xp.isfinite(f + _rowdot(xp, g, xp.zeros_like(g)))  # g_j * 0 is NaN exactly when g_j is not finite


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


class _Finished:
    """Results of problems that left the working set, and their original row numbers."""

    def __init__(self) -> None:
        self.parts: list[tuple[Any, ...]] = []

    def add(self, xp: Any, keep: Any, rows: Any, *arrays: Any) -> None:
        self.parts.append(tuple(xp.take(a, keep, axis=0) for a in (rows, *arrays)))

    def assemble(self, xp: Any, current: tuple[Any, ...] | None = None) -> list[Any]:
        """The columns in the original row order; ``current`` holds the rows still running and the
        first of the columns (rows, then as many as it has)."""
        width = len(current) if current is not None else len(self.parts[0])
        parts = [part[:width] for part in self.parts] + ([current] if current is not None else [])
        if len(parts) == 1:
            columns = list(parts[0])
        else:
            columns = [xp.concat([p[i] for p in parts], axis=0) for i in range(len(parts[0]))]
        order = xp.argsort(columns[0])
        return [xp.take(c, order, axis=0) for c in columns[1:]]


def _indices(xp: Any, mask: Any) -> Any:
    return xp.nonzero(mask)[0]


def _count(xp: Any, mask: Any) -> int:
    return int(xp.sum(xp.astype(mask, xp.int64)))


def _compact(xp: Any, done: _Finished, running: Any, rows: Any, finished: tuple, working: tuple) -> tuple:
    """Set aside the rows not ``running`` (their ``finished`` columns); keep ``working``'s running rows."""
    done.add(xp, _indices(xp, ~running), rows, *finished)
    keep = _indices(xp, running)
    return keep, tuple(xp.take(a, keep, axis=0) for a in (rows, *working))


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
    Once at most 1 / SHRINK_SEARCH of the working rows are still searching,
    the others leave the working set (so ``f`` sees fewer rows).
    """
    xp = obj.xp
    int_dtype = xp.int64
    rows = xp.arange(f0.shape[0], dtype=int_dtype)
    # scipy's first trial step: the previous iteration's decrease, at most 1.
    guess = 1.01 * 2.0 * (f0 - old_f0) / xp.where(d0 != 0, d0, 1.0)
    alpha = xp.where((d0 != 0) & (guess > 0) & xp.isfinite(guess), xp.minimum(guess, 1.0), 1.0)
    zeros = xp.zeros_like(f0)
    lo_a, lo_f, lo_d, lo_g = zeros, f0, d0, g0
    hi_a, hi_f, hi_d = zeros, f0, d0
    bracketed = xp.zeros(f0.shape, dtype=xp.bool)
    out_a, out_f, out_g = zeros, f0, g0
    status = xp.zeros(f0.shape, dtype=int_dtype)
    done = _Finished()
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
        n_searching = _count(xp, searching)
        if n_searching == 0:
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
        if SHRINK_SEARCH * n_searching <= rows.shape[0]:  # most are done: shrink the working set
            _, (rows, x, p, f0, d0, alpha, lo_a, lo_f, lo_d, lo_g, hi_a, hi_f, hi_d, bracketed, out_a, out_f, out_g, status,
                searching) = _compact(
                xp, done, searching, rows, (out_a, out_f, out_g, status),
                (x, p, f0, d0, alpha, lo_a, lo_f, lo_d, lo_g, hi_a, hi_f, hi_d, bracketed, out_a, out_f, out_g, status,
                 searching),
            )  # fmt: skip
    else:
        # Out of steps: keep the best point with sufficient decrease, if any.
        out_a, out_f, out_g = _take_low(xp, searching & (lo_a > 0), (out_a, out_f, out_g), (lo_a, lo_f, lo_g))
        status = xp.where(searching & (lo_a <= 0), 2, status)
    if not done.parts:
        return out_a, out_f, out_g, status
    return tuple(done.assemble(xp, (rows, out_a, out_f, out_g, status)))


def _take_low(xp: Any, mask: Any, out: tuple, low: tuple) -> tuple:
    a, f, g = out
    la, lf, lg = low
    return xp.where(mask, la, a), xp.where(mask, lf, f), xp.where(xp.expand_dims(mask, -1), lg, g)


def solve_quasi_newton_batched(minimizer: Any, obj: Objective, x: Any, maxiter: int, tol: float) -> dict[str, Any]:
    """The batched loop behind ``BFGS`` / ``LBFGS`` ``minimize`` for ``x0`` of shape (batch, n)."""
    xp = obj.xp
    wolfe = minimizer.line_search == "wolfe"
    int_dtype = xp.int64
    f, g = obj.value_and_grad(x)
    finite = _finite_rows(xp, f, g)
    no_status = xp.zeros(f.shape, dtype=int_dtype)
    status = xp.where(finite, no_status, no_status + 3)
    gnorm = _row_max_abs(xp, g)
    active = finite & (gnorm > tol)
    nit = no_status
    rows = xp.arange(f.shape[0], dtype=int_dtype)
    old_f = f + xp.sqrt(_rowdot(xp, g, g)) / 2.0
    state = minimizer._init_state_batched(obj, x)
    done = _Finished()
    path = [x] if minimizer.track_path else None
    k = 0
    while k < maxiter:
        n_active = _count(xp, active)
        if n_active == 0:
            break
        if SHRINK_OUTER * n_active <= rows.shape[0]:  # most problems are done: shrink the working set
            keep, (rows, x, f, g, old_f, nit, status, active) = _compact(
                xp, done, active, rows, (x, f, g, nit, status), (x, f, g, old_f, nit, status, active)
            )
            state = minimizer._take_state_batched(state, keep)
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
        converged = _row_max_abs(xp, g) <= tol
        active = moved & ~converged
        state = minimizer._update_batched(state, s, y, active)
        k += 1
        if path is not None:
            path.append(done.assemble(xp, (rows, x))[0] if done.parts else x)
    status = xp.where(active, 1, status)
    if done.parts:
        x, f, g, nit, status = done.assemble(xp, (rows, x, f, g, nit, status))
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
