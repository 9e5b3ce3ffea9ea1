"""Gradient kernels: the gradient of a user's objective when no ``jac`` is given.

``value_and_grad(backend, f, x, args=(), batched=False, value=None)``
returns ``(value, grad, n_evaluations)``:

* numpy / numba / cupy: central finite differences with scipy's '3-point'
  step ``h_i = eps**(1/3) * max(1, |x_i|)``. A single problem loops over the
  n coordinates (2n evaluations); a batched objective (``x`` of shape
  ``(batch, n)``, ``f`` vectorised over rows) is called once on all
  ``(2n + 1) * batch`` perturbed points.
* tensorflow: ``tf.GradientTape`` (one evaluation). An objective the tape
  cannot see through (it leaves TensorFlow, e.g. through ``.numpy()``) falls
  back to finite differences.

``value`` (the objective at ``x``, when the caller already has it) spares the
evaluation at ``x`` itself; it is returned unchanged. ``n_evaluations``
counts evaluations per problem (what scipy's ``nfev`` counts). The user's
``f`` always receives arrays of the backend it runs on.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

logger = logging.getLogger("scicomp.kernels.differentiation")

__all__ = ["value_and_grad_finite_difference", "value_and_grad_tensorflow", "implementations"]


def _rel_step(dtype: Any) -> float:
    return float(np.finfo(getattr(dtype, "as_numpy_dtype", dtype)).eps) ** (1.0 / 3.0)


def value_and_grad_finite_difference(
    backend: Any, f: Any, x: Any, args: tuple = (), batched: bool = False, value: Any = None
) -> tuple[Any, Any, int]:
    """Central differences with scipy's '3-point' step; see the module docstring."""
    xp = backend.xp
    h = _rel_step(x.dtype) * xp.maximum(xp.abs(x), xp.ones_like(x))
    h = (x + h) - x  # the step actually taken, after rounding
    n = x.shape[-1]
    eye = xp.eye(n, dtype=x.dtype)
    if batched:
        # (n, batch, n) perturbations: row i moves coordinate i of every problem.
        shifts = xp.expand_dims(eye, 1) * xp.expand_dims(h, 0)
        points = xp.concat([xp.expand_dims(x, 0), xp.expand_dims(x, 0) + shifts, xp.expand_dims(x, 0) - shifts], axis=0)
        values = xp.reshape(f(xp.reshape(points, (-1, n)), *args), (2 * n + 1, -1))
        plus, minus = values[1 : n + 1], values[n + 1 :]
        grad = xp.permute_dims(plus - minus, (1, 0)) / (2 * h)
        return (values[0] if value is None else value), grad, 2 * n + 1
    shifts = eye * h
    diffs = [f(x + shifts[i], *args) - f(x - shifts[i], *args) for i in range(n)]
    grad = xp.reshape(xp.stack([xp.asarray(d, dtype=x.dtype) for d in diffs]), (n,)) / (2 * h)
    if value is None:
        return f(x, *args), grad, 2 * n + 1
    return value, grad, 2 * n


def value_and_grad_tensorflow(
    backend: Any, f: Any, x: Any, args: tuple = (), batched: bool = False, value: Any = None
) -> tuple[Any, Any, int]:
    """Reverse-mode gradient from ``tf.GradientTape``; see the module docstring."""
    tf = backend.tf
    x = tf.convert_to_tensor(x)  # a tf.Variable's value, or a tensor
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = f(x, *args)
    grad = tape.gradient(out, x) if isinstance(out, (tf.Tensor, tf.Variable)) else None
    if grad is None:
        logger.debug("GradientTape sees no path from x to f(x); using finite differences")
        _, grad, evals = value_and_grad_finite_difference(backend, f, x, args, batched, value=out)
        return (out if value is None else value), grad, evals + 1
    return (out if value is None else value), grad, 1


def implementations(backend_name: str) -> dict[str, Any]:
    if backend_name == "tensorflow":
        return {"value_and_grad": value_and_grad_tensorflow}
    return {"value_and_grad": value_and_grad_finite_difference}
