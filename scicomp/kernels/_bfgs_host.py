"""Straight-line Python for the BFGS of one tiny problem (n <= SMALL_N), generated per size.

For n = 2 the whole model is a handful of float operations; what costs is
Python's per-operation overhead (a list comprehension is a function call, a
NumPy call ~1 us). So, as ``collections.namedtuple`` does, the functions below
are written out for each size, unrolled, and compiled once with ``exec``:

* ``point(x, p, a)``: the list ``x + a p``;
* ``dot(u, v)``: ``u . v``, summed left to right;
* ``gnorm(g)``: ``max |g_i|``, NaN when some ``g_i`` is not finite;
* ``direction(h, g)``: ``p = -H g`` (``h`` is ``H`` flattened row-major);
* ``step(h, a, p, g, g_new, require_curvature)``: ``H`` after scipy's BFGS
  update for ``s = a p``, ``y = g_new - g`` (``rho = 1000`` when
  ``y . s == 0``; with ``require_curvature`` a step without positive curvature
  leaves ``H`` as it is);
* ``update(h, s, y, require_curvature)``: the same update from ``s`` and ``y``.

Everything takes and returns lists (or tuples) of Python floats; the
arithmetic is the one of the list-based model it replaces, operation for
operation, so the iterates do not change.
"""

from __future__ import annotations

import functools
import math
from types import SimpleNamespace

__all__ = ["host_functions"]


def _sum(terms: list[str]) -> str:
    return " + ".join(terms)


def _source(n: int) -> str:
    r = range(n)
    xs, ps, gs, ns = (", ".join(f"{c}{i}" for i in r) + ("," if n == 1 else "") for c in "xpgn")
    hs = ", ".join(f"h{i}_{j}" for i in r for j in r) + ("," if n == 1 else "")
    finite = " and ".join(f"isfinite(g{i})" for i in r)
    biggest = "abs(g0)" if n == 1 else "max(" + ", ".join(f"abs(g{i})" for i in r) + ")"
    update_body = [f"    ys = {_sum([f'y{i} * s{i}' for i in r])}"]
    update_body += [
        "    if ys <= 0 and require_curvature:",
        "        return h",
        "    rho = 1000.0 if ys == 0 else 1.0 / ys",
    ]
    update_body += [f"    hy{i} = {_sum([f'h{i}_{j} * y{j}' for j in r])}" for i in r]
    update_body += [f"    c = rho * rho * ({_sum([f'y{i} * hy{i}' for i in r])}) + rho"]
    update_body += [f"    r{i} = rho * hy{i}" for i in r]
    update_body += [f"    u{i} = c * s{i} - r{i}" for i in r]
    update_body += [
        "    return (" + ", ".join(f"h{i}_{j} + s{i} * u{j} - r{i} * s{j}" for i in r for j in r) + ("," if n == 1 else "") + ")"
    ]
    lines = [
        "def point(x, p, a):",
        f"    {xs} = x",
        f"    {ps} = p",
        "    return [" + ", ".join(f"x{i} + a * p{i}" for i in r) + "]",
        "",
        "def dot(u, v):",
        f"    {xs} = u",
        f"    {ps} = v",
        f"    return {_sum([f'x{i} * p{i}' for i in r])}",
        "",
        "def gnorm(g):",
        f"    {gs} = g",
        f"    return {biggest} if {finite} else nan",
        "",
        "def direction(h, g):",
        f"    {hs} = h",
        f"    {gs} = g",
        "    return [" + ", ".join(f"-({_sum([f'h{i}_{j} * g{j}' for j in r])})" for i in r) + "]",
        "",
        "def step(h, a, p, g, n, require_curvature):",
        f"    {hs} = h",
        f"    {ps} = p",
        f"    {gs} = g",
        f"    {ns} = n",
    ]
    lines += [f"    s{i} = a * p{i}" for i in r]
    lines += [f"    y{i} = n{i} - g{i}" for i in r]
    lines += update_body
    lines += [
        "",
        "def update(h, s, y, require_curvature):",
        f"    {hs} = h",
        "    " + ", ".join(f"s{i}" for i in r) + ("," if n == 1 else "") + " = s",
        "    " + ", ".join(f"y{i}" for i in r) + ("," if n == 1 else "") + " = y",
    ]
    lines += update_body
    return "\n".join(lines) + "\n"


@functools.cache
def host_functions(n: int) -> SimpleNamespace:
    """The unrolled functions for problems of size ``n`` (compiled once per size)."""
    namespace = {"isfinite": math.isfinite, "nan": math.nan}
    exec(compile(_source(n), f"<scicomp.kernels bfgs host n={n}>", "exec"), namespace)  # noqa: S102 - our own source
    names = ("point", "dot", "gnorm", "direction", "step", "update")
    return SimpleNamespace(**{name: namespace[name] for name in names})
