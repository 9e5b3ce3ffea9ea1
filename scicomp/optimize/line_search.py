"""Line searches along one direction, on host scalars.

The minimisers of the single-problem path call these with ``phi(alpha)`` (the
objective along the search direction) and ``derphi(alpha)`` (its slope), both
returning Python floats; the arrays stay on the backend, only the scalars the
search reasons about come to the host.

* :func:`wolfe12` - the strong-Wolfe search scipy's BFGS uses: MINPACK-2's
  More-Thuente ``dcsrch`` first, the Nocedal-Wright bracketing/zoom search as
  a fallback, with scipy's initial step from the previous decrease. Ported
  from ``scipy.optimize._linesearch`` / ``_dcsrch`` (BSD licence) with plain
  ``math`` so that a step costs microseconds, not numpy-scalar overhead, and
  so that scipy's iterates, and evaluation counts, are reproduced.
* :func:`backtracking` - Armijo backtracking with safeguarded quadratic
  interpolation.

The vectorised search of the batched path is in :mod:`._batched`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["wolfe12", "backtracking", "initial_step", "LineSearchError"]

Scalar = Callable[[float], float]
_NAN = float("nan")


class LineSearchError(RuntimeError):
    """No step satisfying the line search's conditions was found."""


def initial_step(phi0: float, old_phi0: float | None, derphi0: float) -> float:
    """scipy's first trial step: aim for the previous iteration's decrease, at most 1."""
    if old_phi0 is not None and derphi0 != 0:
        alpha1 = min(1.0, 1.01 * 2 * (phi0 - old_phi0) / derphi0)
        return 1.0 if alpha1 < 0 else alpha1
    return 1.0


def _sqrt(v: float) -> float:
    return math.sqrt(v) if v >= 0 else _NAN


def _sign(v: float) -> float:
    return (v > 0) - (v < 0)


def _clip(v: float, lo: float, hi: float) -> float:
    return v if lo <= v <= hi else (lo if v < lo else (hi if v > hi else v))


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):  # noqa: C901 - MINPACK's case analysis
    """MINPACK-2 dcstep: a safeguarded cubic/quadratic step and the updated bracket."""
    sgnd = _sign(dp) * _sign(dx)
    if fp > fx:  # higher value: the minimum is bracketed
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * _sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        stpc = stx + p / q * (stp - stx)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        stpf = stpc if abs(stpc - stx) <= abs(stpq - stx) else stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:  # derivatives of opposite sign: bracketed
        theta = 3 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * _sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        stpc = stp + p / q * (stx - stp)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
        brackt = True
    elif abs(dp) < abs(dx):  # same sign, derivative magnitude decreases
        theta = 3 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * _sqrt(max(0, (theta / s) ** 2 - (dx / s) * (dp / s)))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0 and gamma != 0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if brackt:
            stpf = stpc if abs(stpc - stp) < abs(stpq - stp) else stpq
            if stp > stx:
                stpf = min(stp + 0.66 * (sty - stp), stpf)
            else:
                stpf = max(stp + 0.66 * (sty - stp), stpf)
        else:
            stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
            stpf = _clip(stpf, stpmin, stpmax)
    else:  # same sign, derivative magnitude does not decrease
        if brackt:
            theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
            s = max(abs(theta), abs(dy), abs(dp))
            gamma = s * _sqrt((theta / s) ** 2 - (dy / s) * (dp / s))
            if stp > sty:
                gamma = -gamma
            p = (gamma - dp) + theta
            q = ((gamma - dp) + gamma) + dy
            stpf = stp + p / q * (sty - stp)
        elif stp > stx:
            stpf = stpmax
        else:
            stpf = stpmin
    if fp > fx:
        sty, fy, dy = stp, fp, dp
    else:
        if sgnd < 0:
            sty, fy, dy = stx, fx, dx
        stx, fx, dx = stp, fp, dp
    return stx, fx, dx, sty, fy, dy, stpf, brackt


def _dcsrch(phid, alpha1, phi0, derphi0, ftol, gtol, xtol, stpmin, stpmax, maxiter=100):  # noqa: C901
    """More-Thuente search (MINPACK-2 dcsrch); returns (alpha or None, phi(alpha)).

    ``phid(alpha) -> (phi(alpha), phi'(alpha))``: the search always wants both.
    """
    if alpha1 < stpmin or alpha1 > stpmax or derphi0 >= 0:
        return None, phi0
    brackt, stage = False, 1
    finit, ginit = phi0, derphi0
    gtest = ftol * ginit
    width = stpmax - stpmin
    width1 = width / 0.5
    stx, fx, gx = 0.0, finit, ginit
    sty, fy, gy = 0.0, finit, ginit
    stmin, stmax = 0.0, alpha1 + 4.0 * alpha1
    stp = alpha1
    for _ in range(maxiter):
        f, g = phid(stp)
        ftest = finit + stp * gtest
        if stage == 1 and f <= ftest and g >= 0:
            stage = 2
        if f <= ftest and abs(g) <= gtol * -ginit:
            return stp, f
        if (
            (brackt and (stp <= stmin or stp >= stmax))
            or (brackt and stmax - stmin <= xtol * stmax)
            or (stp == stpmax and f <= ftest and g <= gtest)
            or (stp == stpmin and (f > ftest or g >= gtest))
        ):
            return None, f  # rounding errors, xtol, or a bound: MINPACK's warnings
        try:
            if stage == 1 and f <= fx and f > ftest:  # modified function while in stage 1
                stx, fxm, gxm, sty, fym, gym, stp, brackt = _dcstep(
                    stx, fx - stx * gtest, gx - gtest, sty, fy - sty * gtest, gy - gtest,
                    stp, f - stp * gtest, g - gtest, brackt, stmin, stmax,
                )  # fmt: skip
                fx, fy = fxm + stx * gtest, fym + sty * gtest
                gx, gy = gxm + gtest, gym + gtest
            else:
                stx, fx, gx, sty, fy, gy, stp, brackt = _dcstep(stx, fx, gx, sty, fy, gy, stp, f, g, brackt, stmin, stmax)
        except (ZeroDivisionError, OverflowError):
            return None, f
        if brackt:
            if abs(sty - stx) >= 0.66 * width1:
                stp = stx + 0.5 * (sty - stx)
            width1 = width
            width = abs(sty - stx)
            stmin, stmax = min(stx, sty), max(stx, sty)
        else:
            stmin = stp + 1.1 * (stp - stx)
            stmax = stp + 4.0 * (stp - stx)
        stp = _clip(stp, stpmin, stpmax)
        if (brackt and (stp <= stmin or stp >= stmax)) or (brackt and stmax - stmin <= xtol * stmax):
            stp = stx
        if not math.isfinite(stp):
            return None, f
    return None, f


def _cubicmin(a, fa, fpa, b, fb, c, fc):
    """Minimiser of the cubic through (a, fa, fpa), (b, fb), (c, fc); None if undefined."""
    try:
        db, dc = b - a, c - a
        denom = (db * dc) ** 2 * (db - dc)
        u, v = fb - fa - fpa * db, fc - fa - fpa * dc
        A = (dc**2 * u - db**2 * v) / denom
        B = (-(dc**3) * u + db**3 * v) / denom
        radical = B * B - 3 * A * fpa
        xmin = a + (-B + math.sqrt(radical)) / (3 * A)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    return xmin if math.isfinite(xmin) else None


def _quadmin(a, fa, fpa, b, fb):
    """Minimiser of the quadratic through (a, fa, fpa), (b, fb); None if undefined."""
    try:
        db = b - a
        B = (fb - fa - fpa * db) / (db * db)
        xmin = a - fpa / (2.0 * B)
    except (ZeroDivisionError, OverflowError):
        return None
    return xmin if math.isfinite(xmin) else None


def _zoom(a_lo, a_hi, phi_lo, phi_hi, derphi_lo, phi, derphi, phi0, derphi0, c1, c2):
    """Nocedal & Wright's zoom (Algorithm 3.6) with scipy's interpolation safeguards."""
    phi_rec, a_rec = phi0, 0.0
    for i in range(11):
        dalpha = a_hi - a_lo
        a, b = (a_hi, a_lo) if dalpha < 0 else (a_lo, a_hi)
        a_j = None
        if i > 0:
            cchk = 0.2 * dalpha
            a_j = _cubicmin(a_lo, phi_lo, derphi_lo, a_hi, phi_hi, a_rec, phi_rec)
        if i == 0 or a_j is None or a_j > b - cchk or a_j < a + cchk:
            qchk = 0.1 * dalpha
            a_j = _quadmin(a_lo, phi_lo, derphi_lo, a_hi, phi_hi)
            if a_j is None or a_j > b - qchk or a_j < a + qchk:
                a_j = a_lo + 0.5 * dalpha
        phi_aj = phi(a_j)
        if phi_aj > phi0 + c1 * a_j * derphi0 or phi_aj >= phi_lo:
            phi_rec, a_rec = phi_hi, a_hi
            a_hi, phi_hi = a_j, phi_aj
        else:
            derphi_aj = derphi(a_j)
            if abs(derphi_aj) <= -c2 * derphi0:
                return a_j, phi_aj
            if derphi_aj * (a_hi - a_lo) >= 0:
                phi_rec, a_rec = phi_hi, a_hi
                a_hi, phi_hi = a_lo, phi_lo
            else:
                phi_rec, a_rec = phi_lo, a_lo
            a_lo, phi_lo, derphi_lo = a_j, phi_aj, derphi_aj
    return None, None


def _wolfe2(phi, derphi, phi0, old_phi0, derphi0, c1, c2, amax, maxiter=10):
    """scipy's scalar_search_wolfe2: expand by 2 until bracketed, then zoom."""
    alpha0 = 0.0
    alpha1 = min(initial_step(phi0, old_phi0, derphi0), amax)
    phi_a1 = phi(alpha1)
    phi_a0, derphi_a0 = phi0, derphi0
    for i in range(maxiter):
        if alpha1 == 0 or alpha0 > amax:
            return None, phi0
        if phi_a1 > phi0 + c1 * alpha1 * derphi0 or (phi_a1 >= phi_a0 and i > 0):
            return _zoom(alpha0, alpha1, phi_a0, phi_a1, derphi_a0, phi, derphi, phi0, derphi0, c1, c2)
        derphi_a1 = derphi(alpha1)
        if abs(derphi_a1) <= -c2 * derphi0:
            return alpha1, phi_a1
        if derphi_a1 >= 0:
            return _zoom(alpha1, alpha0, phi_a1, phi_a0, derphi_a1, phi, derphi, phi0, derphi0, c1, c2)
        alpha0, alpha1 = alpha1, min(2 * alpha1, amax)
        phi_a0, phi_a1, derphi_a0 = phi_a1, phi(alpha1), derphi_a1
    return alpha1, phi_a1  # scipy accepts the last step (without its slope)


def wolfe12(
    phi: Scalar,
    derphi: Scalar,
    phi0: float,
    old_phi0: float | None,
    derphi0: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    amin: float = 1e-100,
    amax: float = 1e100,
    phi_derphi: Callable[[float], tuple[float, float]] | None = None,
) -> tuple[float, float]:
    """A step satisfying the strong Wolfe conditions, as scipy's ``_line_search_wolfe12``.

    ``phi_derphi(alpha) -> (phi(alpha), derphi(alpha))``, when given, is what
    the More-Thuente search calls (it always wants both: one call instead of
    two); the fallback search calls ``phi`` and ``derphi``. Returns
    ``(alpha, phi(alpha))``; raises :class:`LineSearchError` when both
    searches fail.
    """
    if phi_derphi is None:
        phi_derphi = lambda a: (phi(a), derphi(a))  # noqa: E731
    alpha, phi1 = _dcsrch(phi_derphi, initial_step(phi0, old_phi0, derphi0), phi0, derphi0, c1, c2, 1e-14, amin, amax)
    if alpha is None:
        alpha, phi1 = _wolfe2(phi, derphi, phi0, old_phi0, derphi0, c1, c2, amax)
        if alpha is None:
            raise LineSearchError("no step satisfies the Wolfe conditions")
    return alpha, phi1


def backtracking(
    phi: Scalar, phi0: float, derphi0: float, alpha0: float = 1.0, c1: float = 1e-4, amin: float = 1e-12
) -> tuple[float, float]:
    """Largest step of a safeguarded backtracking sequence with Armijo's sufficient decrease.

    Each rejected step is replaced by the minimiser of the quadratic through
    phi(0), phi'(0) and phi(alpha), kept within [0.1, 0.5] times alpha.
    """
    alpha = alpha0
    while alpha >= amin:
        phi_a = phi(alpha)
        if phi_a <= phi0 + c1 * alpha * derphi0:
            return alpha, phi_a
        denom = 2.0 * (phi_a - phi0 - derphi0 * alpha)
        trial = -derphi0 * alpha * alpha / denom if denom > 0 else 0.5 * alpha
        alpha = min(max(trial, 0.1 * alpha), 0.5 * alpha)
    raise LineSearchError("backtracking reached the smallest step without sufficient decrease")
