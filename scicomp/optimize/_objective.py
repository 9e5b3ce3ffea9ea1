"""The user's objective as the minimisers see it: values, gradients, counts, checks.

One :class:`Objective` per ``minimize`` call. It evaluates ``f`` (and ``jac``,
or the backend's ``value_and_grad`` kernel when there is none), counts
evaluations like scipy, checks the shapes the user's functions return, and
signals a non-finite value with :class:`NonFinite` so the minimiser can stop
cleanly. Exceptions raised by the user's functions propagate unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["Objective", "NonFinite", "Line"]


class NonFinite(ArithmeticError):
    """The objective or its gradient was NaN or infinite."""


class Objective:
    """Counted, checked evaluations of ``f`` and its gradient on one backend.

    ``jac`` is a callable, True (``f`` returns ``(value, gradient)``) or None
    (the backend's ``value_and_grad`` kernel: autodiff or finite differences).
    In batched mode ``x`` has shape ``(batch, n)``, values ``(batch,)``.
    """

    def __init__(self, backend: Any, f: Callable, jac: Any, args: tuple, x_shape: tuple, dtype: Any):
        self.backend = backend
        self.xp = backend.xp
        self.f = f
        self.args = args
        self.x_shape = tuple(x_shape)
        self.batched = len(self.x_shape) == 2
        self.dtype = dtype
        self.jac = jac if callable(jac) else None
        self.combined = jac is True
        self.kernel = backend.kernels.value_and_grad if jac is None else None
        self.nfev = 0
        self.njev = 0
        self._cache_x: Any = None
        self._cache_g: Any = None

    # -- conversions and checks -------------------------------------------------
    def _scalar(self, v: Any) -> float:
        if isinstance(v, float):  # float and numpy.float64: the common case, kept cheap
            v = float(v)
        else:
            shape = tuple(getattr(v, "shape", ()))
            if shape not in ((), (1,)):
                raise ValueError(f"f: must return a scalar for x of shape {self.x_shape}, returned shape {shape}")
            try:
                v = float(v[0] if shape else v)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"f: must return a real number, returned {type(v).__name__} ({exc})") from exc
        if not math.isfinite(v):
            raise NonFinite
        return v

    def _values(self, v: Any, x: Any) -> Any:
        b = self.backend
        if not b.owns(v) or v.dtype != self.dtype:
            v = b.asarray(v, dtype=self.dtype)
        rows = tuple(x.shape[:1])  # the batch shrinks as problems finish
        if tuple(v.shape) != rows:
            raise ValueError(
                f"f: a batched objective must return one value per problem, shape {rows}, returned shape {tuple(v.shape)}"
            )
        return v

    def _gradient(self, g: Any, who: str, x: Any) -> Any:
        b = self.backend
        if not b.owns(g) or g.dtype != self.dtype:
            if g is None:
                raise TypeError(f"{who}: returned None instead of a gradient array")
            g = b.asarray(g, dtype=self.dtype)
        if tuple(g.shape) != tuple(x.shape):
            want = "x0" if not self.batched else "x (the problems still running)"
            raise ValueError(f"{who}: the gradient must have the shape of {want}, {tuple(x.shape)}; got shape {tuple(g.shape)}")
        return g

    def _split(self, out: Any, x: Any) -> tuple[Any, Any]:
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError("f: with jac=True, f must return a pair (value, gradient)")
        return out[0], self._gradient(out[1], "f (jac=True)", x)

    # -- evaluations ------------------------------------------------------------
    def value(self, x: Any) -> Any:
        """f(x): a float (NonFinite raised when it is not finite), or a (batch,) array."""
        self.nfev += 1
        out = self.f(x, *self.args)
        if self.combined:
            out, g = self._split(out, x)
            self._cache_x, self._cache_g = x, g
        return self._values(out, x) if self.batched else self._scalar(out)

    def grad(self, x: Any) -> Any:
        """The gradient at x (from the cache when ``value(x)`` produced it)."""
        if self.combined and x is self._cache_x:
            self.njev += 1
            return self._cache_g
        if self.jac is not None:
            self.njev += 1
            return self._gradient(self.jac(x, *self.args), "jac", x)
        if self.combined:
            self.value(x)
            self.njev += 1
            return self._cache_g
        _, g, evals = self.kernel(self.backend, self.f, x, self.args, self.batched, value=0.0)
        self.nfev += evals
        self.njev += 1
        return self._gradient(g, "f's automatic gradient", x)

    def value_and_grad(self, x: Any) -> tuple[Any, Any]:
        """(f(x), gradient at x), with one evaluation where the kernel can share it."""
        if self.kernel is None:
            return self.value(x), self.grad(x)
        v, g, evals = self.kernel(self.backend, self.f, x, self.args, self.batched)
        self.nfev += evals
        self.njev += 1
        v = self._values(v, x) if self.batched else self._scalar(v)
        return v, self._gradient(g, "f's automatic gradient", x)


class Line:
    """phi(alpha) = f(x + alpha p) and its slope, for the scalar line searches."""

    __slots__ = ("obj", "x", "p", "alpha", "xa", "g", "g_alpha", "slope")

    def __init__(self, obj: Objective, x: Any, p: Any, slope: Any = None):
        """``slope(g)``: ``g . p`` as a float (default: ``vecdot``; a model that holds p on the host does it cheaper)."""
        self.obj, self.x, self.p = obj, x, p
        self.alpha = self.g_alpha = None
        self.xa = self.g = None
        if slope is None:
            vecdot = obj.xp.vecdot
            slope = lambda g: float(vecdot(g, p))  # noqa: E731
        self.slope = slope

    def point(self, alpha: float) -> Any:
        if alpha != self.alpha:
            self.alpha, self.xa = alpha, self.x + alpha * self.p
        return self.xa

    def phi(self, alpha: float) -> float:
        xa = self.x + alpha * self.p
        self.alpha, self.xa = alpha, xa
        return self.obj.value(xa)

    def derphi(self, alpha: float) -> float:
        self.g = self.obj.grad(self.point(alpha))
        self.g_alpha = alpha
        slope = self.slope(self.g)
        if not math.isfinite(slope):
            raise NonFinite
        return slope

    def grad_at(self, alpha: float) -> Any:
        """The gradient at x + alpha p, reusing the search's last one when it was there."""
        if self.g_alpha == alpha and self.g is not None:
            return self.g
        return self.obj.grad(self.point(alpha))
