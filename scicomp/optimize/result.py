"""OptimizeResult: what every minimiser returns, with scipy.optimize's field names."""

from __future__ import annotations

from typing import Any

__all__ = ["OptimizeResult"]

_FIELDS = ("x", "fun", "jac", "nit", "nfev", "njev", "success", "status", "message", "execution_time", "path")


class OptimizeResult(dict):
    """The outcome of a minimisation: a dict with attribute access, like scipy's.

    Fields
    ------
    x : array
        The solution, an array of the backend the minimiser ran on; ``(batch, n)``
        for a batched problem.
    fun : float or array
        Objective at ``x`` (``(batch,)`` array when batched).
    jac : array
        Gradient at ``x``.
    nit : int or array
        Iterations taken (``(batch,)`` integer array when batched: each problem
        stops on its own convergence).
    nfev, njev : int
        Evaluations of the objective and of its gradient (finite-difference
        evaluations count in ``nfev``, as in scipy). When batched, these count
        the vectorised calls; each call evaluates the problems still running
        (finished ones leave the working set), so they bound the evaluations
        of any one problem.
    success : bool or array
        Whether the gradient norm fell below the tolerance (``(batch,)`` when batched).
    status : int or array
        0 converged, 1 iteration limit reached, 2 line search failed (precision
        loss), 3 non-finite objective or gradient.
    message : str
        Why the minimiser stopped (when batched: a summary over the problems).
    execution_time : float
        Wall-clock seconds spent in ``minimize``.
    path : array or None
        The iterates, ``(nit + 1, n)``, when the minimiser was made with
        ``track_path=True`` (batched: ``(max(nit) + 1, batch, n)``, a problem
        that stopped repeating its last iterate); otherwise None.

    ``result.x`` and ``result["x"]`` are the same.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self))

    def __repr__(self) -> str:
        keys = [k for k in _FIELDS if k in self] + sorted(k for k in self if k not in _FIELDS)
        width = max(map(len, keys), default=0) + 1
        return "\n".join(f"{k.rjust(width)}: {self[k]!r}".replace("\n", "\n" + " " * (width + 2)) for k in keys)
