"""Registry of the built-in objectives that ``/optimize/minimize`` accepts.

Clients name an objective and pass numeric parameters; no client code is ever
evaluated. Each entry builds ``(f, grad)`` for the backend that runs the
minimiser, from :func:`scicomp.optimize.problems.get_problem` or, for least
squares, from the Array API operations of the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backends import Backend

__all__ = ["Objective", "OBJECTIVES", "build_objective"]


@dataclass(frozen=True)
class Objective:
    """A named objective: its parameters and the dimension of ``x`` it needs."""

    name: str
    description: str
    params: tuple[str, ...]
    build: Callable[[Backend, dict[str, np.ndarray], int], tuple[Callable[[Any], Any], Callable[[Any], Any]]]


def _standard(name: str) -> Callable[[Backend, dict[str, np.ndarray], int], tuple[Any, Any]]:
    def build(b: Backend, params: dict[str, np.ndarray], n: int) -> tuple[Any, Any]:
        from ..optimize.problems import get_problem

        if name != "rosenbrock" and n != 2:
            raise ValueError(f"x0: the {name} function is 2-dimensional; got {n} values")
        if name == "rosenbrock" and n < 2:
            raise ValueError(f"x0: the rosenbrock function needs at least 2 dimensions; got {n}")
        problem = get_problem(name, backend=b, **({"n": n} if name == "rosenbrock" else {}))
        return problem.f, problem.grad

    return build


def _quadratic(b: Backend, params: dict[str, np.ndarray], n: int) -> tuple[Any, Any]:
    from ..optimize.problems import get_problem

    a, rhs = params["A"], params["b"]
    if rhs.ndim != 1:
        raise ValueError(f"params.b: expected a 1-D array, got shape {rhs.shape}")
    if a.shape != (rhs.size, rhs.size):
        raise ValueError(f"params.A: expected shape ({rhs.size}, {rhs.size}) to match params.b, got {a.shape}")
    if rhs.size != n:
        raise ValueError(f"x0: has {n} values but the quadratic has dimension {rhs.size}")
    if not np.allclose(a, a.T):
        raise ValueError("params.A: must be symmetric")
    eigenvalues = np.linalg.eigvalsh((a + a.T) / 2)
    if eigenvalues[0] <= 0:
        raise ValueError("params.A: must be positive definite (the quadratic has no minimum otherwise)")
    problem = get_problem("quadratic", backend=b, A=a, b=rhs)
    return problem.f, problem.grad


def _least_squares(b: Backend, params: dict[str, np.ndarray], n: int) -> tuple[Any, Any]:
    a, y = params["A"], params["y"]
    if a.ndim != 2:
        raise ValueError(f"params.A: expected a 2-D design matrix, got shape {a.shape}")
    if y.ndim != 1 or y.size != a.shape[0]:
        raise ValueError(f"params.y: expected {a.shape[0]} values (one per row of A), got shape {y.shape}")
    if a.shape[1] != n:
        raise ValueError(f"x0: has {n} values but A has {a.shape[1]} columns")
    xp = b.xp
    a_b, y_b = b.asarray(a), b.asarray(y)
    a_t = xp.permute_dims(a_b, (1, 0))

    def residual(x: Any) -> Any:
        return xp.matmul(a_b, x) - y_b

    def f(x: Any) -> Any:
        r = residual(x)
        return 0.5 * xp.sum(r * r)

    def grad(x: Any) -> Any:
        return xp.matmul(a_t, residual(x))

    return f, grad


OBJECTIVES: dict[str, Objective] = {
    "rosenbrock": Objective("rosenbrock", "Rosenbrock's valley, any dimension >= 2", (), _standard("rosenbrock")),
    "beale": Objective("beale", "Beale's function (2-D)", (), _standard("beale")),
    "booth": Objective("booth", "Booth's function (2-D)", (), _standard("booth")),
    "himmelblau": Objective("himmelblau", "Himmelblau's function (2-D)", (), _standard("himmelblau")),
    "quadratic": Objective("quadratic", "x'Ax/2 - b'x with A symmetric positive definite", ("A", "b"), _quadratic),
    "least_squares": Objective("least_squares", "||A x - y||^2 / 2 on given data", ("A", "y"), _least_squares),
}


def build_objective(b: Backend, name: str, params: dict[str, np.ndarray], n: int) -> tuple[Any, Any]:
    """``(f, grad)`` of the registered objective ``name`` on backend ``b``; ValueError names a bad parameter."""
    objective = OBJECTIVES.get(name)
    if objective is None:
        raise ValueError(f"objective {name!r}: unknown; choose one of {', '.join(OBJECTIVES)}")
    given, wanted = set(params), set(objective.params)
    if given != wanted:
        missing, extra = sorted(wanted - given), sorted(given - wanted)
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unknown {', '.join(extra)}")
        expected = ", ".join(objective.params) or "none"
        raise ValueError(f"params: {'; '.join(parts)} for objective {name!r} (expected: {expected})")
    return objective.build(b, params, n)
