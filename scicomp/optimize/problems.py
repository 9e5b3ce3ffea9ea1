"""Standard test problems with analytic gradients, written once for every backend.

Each objective accepts one point, shape ``(n,)``, or a batch, shape
``(batch, n)`` (returning ``(batch,)`` values), as arrays of the backend it
was built for. :func:`get_problem` returns ``(f, grad, x_min)``.

========================  ================================  =====================
name                      minimum                           usual start
========================  ================================  =====================
``rosenbrock`` (n >= 2)   ``(1, ..., 1)``, f = 0            ``(-1.2, 1, -1.2, ...)``
``beale``                 ``(3, 0.5)``, f = 0               ``(1, 1)``
``booth``                 ``(1, 3)``, f = 0                 ``(0, 0)``
``himmelblau``            ``(3, 2)`` (one of four), f = 0   ``(0, 0)`` (reaches (3, 2))
``quadratic``             ``A^{-1} b``, f = 0               ``(0, ..., 0)``
========================  ================================  =====================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .._validation import as_array, check_choice, check_positive, check_positive_int, resolve_backend
from ..backends import Backend

__all__ = ["Problem", "get_problem", "standard_start", "PROBLEM_NAMES", "ill_conditioned_quadratic"]

PROBLEM_NAMES = ("rosenbrock", "beale", "booth", "himmelblau", "quadratic")


class Problem(NamedTuple):
    """An objective, its analytic gradient and a minimiser (backend arrays)."""

    f: Callable[[Any], Any]
    grad: Callable[[Any], Any]
    x_min: Any


def _pair(x: Any) -> tuple[Any, Any]:
    return x[..., 0], x[..., 1]


def _rosenbrock(xp: Any) -> tuple[Callable, Callable]:
    def f(x):
        head, tail = x[..., :-1], x[..., 1:]
        return xp.sum(100.0 * (tail - head * head) ** 2 + (1.0 - head) ** 2, axis=-1)

    def grad(x):
        head, tail = x[..., :-1], x[..., 1:]
        inner = tail - head * head
        pad = xp.zeros_like(x[..., :1])
        return xp.concat([-400.0 * head * inner - 2.0 * (1.0 - head), pad], axis=-1) + xp.concat([pad, 200.0 * inner], axis=-1)

    return f, grad


def _beale(xp: Any) -> tuple[Callable, Callable]:
    def terms(x):
        u, v = _pair(x)
        return u, v, 1.5 - u + u * v, 2.25 - u + u * v * v, 2.625 - u + u * v * v * v

    def f(x):
        _, _, a, b, c = terms(x)
        return a * a + b * b + c * c

    def grad(x):
        u, v, a, b, c = terms(x)
        du = 2.0 * (a * (v - 1.0) + b * (v * v - 1.0) + c * (v * v * v - 1.0))
        dv = 2.0 * u * (a + 2.0 * b * v + 3.0 * c * v * v)
        return xp.stack([du, dv], axis=-1)

    return f, grad


def _booth(xp: Any) -> tuple[Callable, Callable]:
    def f(x):
        u, v = _pair(x)
        return (u + 2.0 * v - 7.0) ** 2 + (2.0 * u + v - 5.0) ** 2

    def grad(x):
        u, v = _pair(x)
        a, b = u + 2.0 * v - 7.0, 2.0 * u + v - 5.0
        return xp.stack([2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b], axis=-1)

    return f, grad


def _himmelblau(xp: Any) -> tuple[Callable, Callable]:
    def f(x):
        u, v = _pair(x)
        return (u * u + v - 11.0) ** 2 + (u + v * v - 7.0) ** 2

    def grad(x):
        u, v = _pair(x)
        a, b = u * u + v - 11.0, u + v * v - 7.0
        return xp.stack([4.0 * u * a + 2.0 * b, 2.0 * a + 4.0 * v * b], axis=-1)

    return f, grad


def _quadratic(xp: Any, a: Any, x_min: Any) -> tuple[Callable, Callable]:
    # f(x) = x'Ax/2 - b'x + const, evaluated as (x - x*)'A(x - x*)/2 with x* = A^{-1} b:
    # f(x*) = 0, and values near the minimum keep full precision (no cancellation).
    n = a.shape[0]
    a_t = xp.permute_dims(a, (1, 0))

    def ax(x):
        return xp.reshape(xp.matmul(xp.reshape(x, (-1, n)), a_t), x.shape)

    def f(x):
        d = x - x_min
        return 0.5 * xp.sum(d * ax(d), axis=-1)

    def grad(x):
        return ax(x - x_min)

    return f, grad


def ill_conditioned_quadratic(n: int = 4, condition: float = 1e6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A symmetric positive definite ``A`` with eigenvalues log-spaced over [1, condition], and a ``b``.

    ``A = Q diag(...) Q^T`` with a random orthogonal ``Q`` (fixed ``seed``), so
    the problem is not axis-aligned. Host (NumPy) arrays: constants.
    """
    n = check_positive_int("n", n)
    condition = check_positive("condition", condition)
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (q * np.logspace(0.0, np.log10(condition), n)) @ q.T
    return (a + a.T) / 2, rng.standard_normal(n)


def standard_start(name: str, n: int = 2) -> np.ndarray:
    """The usual starting point of a standard problem (host array)."""
    check_choice("name", name, PROBLEM_NAMES)
    if name == "rosenbrock":
        return np.array([-1.2, 1.0] * (n // 2) + [-1.2] * (n % 2))
    return {"beale": np.array([1.0, 1.0]), "booth": np.zeros(2), "himmelblau": np.zeros(2)}.get(name, np.zeros(n))


def get_problem(name: str, *, backend: str | Backend | None = None, **params: Any) -> Problem:
    """``(f, grad, x_min)`` of a standard problem on ``backend``.

    Parameters
    ----------
    name : {'rosenbrock', 'beale', 'booth', 'himmelblau', 'quadratic'}
    backend : str or Backend, optional
        The backend whose arrays ``f`` and ``grad`` take and return.
    **params
        rosenbrock: ``n`` (dimension, default 2). quadratic: ``A`` (symmetric
        positive definite) and ``b``, or ``n`` and ``condition`` for
        :func:`ill_conditioned_quadratic` (default n=4, condition=1e6).

    Examples
    --------
    >>> f, grad, x_min = get_problem("rosenbrock", n=10)
    >>> float(f(x_min))
    0.0
    """
    check_choice("name", name, PROBLEM_NAMES)
    b = resolve_backend(backend)
    xp = b.xp
    allowed = {"rosenbrock": {"n"}, "quadratic": {"A", "b", "n", "condition", "seed"}}.get(name, set())
    unknown = set(params) - allowed
    if unknown:
        raise TypeError(f"{name}: unknown parameter(s) {', '.join(sorted(unknown))}; accepted: {sorted(allowed) or 'none'}")
    if name == "rosenbrock":
        n = check_positive_int("n", params.get("n", 2), minimum=2)
        f, grad = _rosenbrock(xp)
        return Problem(f, grad, b.asarray(np.ones(n)))
    if name == "quadratic":
        if "A" in params or "b" in params:
            if "A" not in params or "b" not in params:
                raise TypeError("quadratic: pass both A and b, or neither (n, condition)")
            a_host, b_host = b.to_numpy(as_array(b, params["A"], "A", ndim=2)), b.to_numpy(as_array(b, params["b"], "b", ndim=1))
            if a_host.shape != (b_host.size, b_host.size):
                raise ValueError(f"A: must be square with the size of b ({b_host.size}), got shape {a_host.shape}")
            if not np.allclose(a_host, a_host.T):
                raise ValueError("A: must be symmetric")
        else:
            a_host, b_host = ill_conditioned_quadratic(params.get("n", 4), params.get("condition", 1e6), params.get("seed", 0))
        x_min = b.asarray(np.linalg.solve(a_host, b_host))
        f, grad = _quadratic(xp, b.asarray(a_host), x_min)
        return Problem(f, grad, x_min)
    f, grad = {"beale": _beale, "booth": _booth, "himmelblau": _himmelblau}[name](xp)
    x_min = {"beale": [3.0, 0.5], "booth": [1.0, 3.0], "himmelblau": [3.0, 2.0]}[name]
    return Problem(f, grad, b.asarray(np.array(x_min)))
