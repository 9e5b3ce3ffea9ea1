"""Optimisation: BFGS, L-BFGS and gradient descent, written once for every backend.

Each minimiser's ``minimize(f, x0, jac=None, args=())`` takes NumPy arrays,
lists or the backend's own arrays, runs on the ``backend=`` it is given (or
the configured one), passes ``f`` arrays of that backend, and returns an
:class:`OptimizeResult` with scipy.optimize's field names, holding arrays of
that backend. Without ``jac`` the gradient comes from TensorFlow's
GradientTape on the tensorflow backend and from central finite differences
elsewhere. ``x0`` of shape ``(batch, n)`` with a vectorised ``f`` solves every
problem in one set of array operations.

>>> from scicomp.optimize import BFGS, get_problem
>>> f, grad, _ = get_problem("rosenbrock")
>>> BFGS().minimize(f, [-1.2, 1.0], jac=grad).nit  # doctest: +SKIP
33
"""

from __future__ import annotations

from .bfgs import BFGS
from .gradient_descent import GradientDescent
from .lbfgs import LBFGS
from .problems import PROBLEM_NAMES, Problem, get_problem, standard_start
from .result import OptimizeResult

__all__ = ["BFGS", "LBFGS", "GradientDescent", "OptimizeResult", "get_problem", "standard_start", "Problem", "PROBLEM_NAMES"]
