"""scicomp.optimize: BFGS, L-BFGS, gradient descent on every backend against scipy.optimize."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize as so
from hypothesis import given, settings
from hypothesis import strategies as st

import scicomp
from scicomp.errors import MemoryLimitError
from scicomp.optimize import BFGS, LBFGS, GradientDescent, OptimizeResult, get_problem, standard_start
from scicomp.optimize.problems import ill_conditioned_quadratic
from tests.conftest import rtol_for, to_np

STANDARD = [
    ("rosenbrock", {}),
    ("rosenbrock", {"n": 10}),
    ("beale", {}),
    ("booth", {}),
    ("himmelblau", {}),
    ("quadratic", {"n": 4, "condition": 1e6}),
]
IDS = ["rosenbrock2", "rosenbrock10", "beale", "booth", "himmelblau", "quadratic1e6"]
GTOL = 1e-6


def _start(name, params):
    return standard_start(name, params.get("n", 2))


def _scipy(name, params, method="BFGS", **options):
    f, grad, _ = get_problem(name, backend="numpy", **params)
    return so.minimize(f, _start(name, params), jac=grad, method=method, options=options)


# -- quality: the standard set against scipy ---------------------------------------------
@pytest.mark.parametrize(("name", "params"), STANDARD, ids=IDS)
def test_bfgs_standard_set_matches_scipy(backend, name, params):
    f, grad, _ = get_problem(name, backend=backend, **params)
    result = BFGS(tolerance=GTOL).minimize(f, _start(name, params), jac=grad, backend=backend)
    ref = _scipy(name, params, gtol=GTOL)
    assert ref.success
    assert result.success and result.status == 0, result.message
    assert backend.owns(result.x) and backend.owns(result.jac)
    np.testing.assert_allclose(to_np(result.x), ref.x, rtol=0, atol=1e-6)
    assert result.nfev <= 1.2 * ref.nfev, (result.nfev, ref.nfev)
    assert abs(result.fun - ref.fun) <= 1e-10 * max(1.0, abs(ref.fun))
    assert np.max(np.abs(to_np(result.jac))) <= GTOL


@pytest.mark.parametrize(("name", "params"), STANDARD, ids=IDS)
def test_lbfgs_standard_set_matches_lbfgsb(backend, name, params):
    f, grad, _ = get_problem(name, backend=backend, **params)
    result = LBFGS(memory=10, tolerance=1e-9).minimize(f, _start(name, params), jac=grad, backend=backend)
    ref = _scipy(name, params, method="L-BFGS-B", gtol=1e-12, ftol=1e-15, maxiter=10_000)
    assert result.success, result.message
    np.testing.assert_allclose(to_np(result.x), ref.x, rtol=0, atol=1e-6)


def test_float32_spot_check(backend_name):
    with scicomp.config_context(float_precision="float32"):
        b = scicomp.get_backend(backend_name)
        for name in ("booth", "beale"):
            f, grad, x_min = get_problem(name, backend=b)
            result = BFGS(tolerance=1e-3).minimize(f, _start(name, {}), jac=grad, backend=b)
            assert result.x.dtype == b.float_dtype and result.jac.dtype == b.float_dtype
            ref = _scipy(name, {}, gtol=1e-10)
            np.testing.assert_allclose(to_np(result.x), ref.x, rtol=rtol_for("float32"))


# -- gradients ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["rosenbrock", "beale", "himmelblau"])
def test_finite_differences_reach_the_analytic_minimum(backend_name, name):
    if backend_name == "tensorflow":
        pytest.skip("tensorflow differentiates automatically (see test_tensorflow_autodiff)")
    f, grad, _ = get_problem(name, backend=backend_name)
    analytic = BFGS(tolerance=1e-6).minimize(f, _start(name, {}), jac=grad, backend=backend_name)
    numeric = BFGS(tolerance=1e-6).minimize(f, _start(name, {}), backend=backend_name)
    assert numeric.success, numeric.message
    np.testing.assert_allclose(numeric.x, analytic.x, rtol=0, atol=1e-6)
    assert numeric.nfev > analytic.nfev  # 2n + 1 evaluations per gradient


def test_tensorflow_autodiff():
    pytest.importorskip("tensorflow")
    if "tensorflow" not in scicomp.available_backends():
        pytest.skip("tensorflow backend unavailable")
    f, grad, _ = get_problem("rosenbrock", backend="tensorflow", n=4)
    x0 = standard_start("rosenbrock", 4)
    auto = BFGS(tolerance=1e-6).minimize(f, x0, backend="tensorflow")
    exact = BFGS(tolerance=1e-6).minimize(f, x0, jac=grad, backend="tensorflow")
    assert auto.success and auto.nit == exact.nit  # the tape's gradient is the analytic one
    np.testing.assert_allclose(to_np(auto.x), to_np(exact.x), rtol=1e-10)
    import tensorflow as tf

    variable = tf.Variable(x0)
    from_variable = BFGS(tolerance=1e-6).minimize(f, variable, backend="tensorflow")
    np.testing.assert_allclose(to_np(from_variable.x), to_np(exact.x), rtol=1e-10)


def test_finite_difference_kernel_matches_analytic(backend):
    f, grad, _ = get_problem("rosenbrock", backend=backend, n=5)
    x = backend.asarray(np.linspace(-1.0, 1.5, 5))
    value, g, evals = backend.kernels.value_and_grad(backend, f, x)
    np.testing.assert_allclose(to_np(g), to_np(grad(x)), rtol=1e-6, atol=1e-6)
    assert float(value) == pytest.approx(float(f(x)))
    batch = backend.asarray(np.random.default_rng(1).uniform(-2, 2, (7, 5)))
    values, grads, evals = backend.kernels.value_and_grad(backend, f, batch, (), True)
    assert tuple(grads.shape) == (7, 5) and tuple(values.shape) == (7,)
    np.testing.assert_allclose(to_np(grads), to_np(grad(batch)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["rosenbrock", "beale", "booth", "himmelblau", "quadratic"])
def test_problem_gradients_are_correct(backend, name):
    f, grad, x_min = get_problem(name, backend=backend)
    x = np.random.default_rng(2).uniform(-1.5, 1.5, (3, int(x_min.shape[0])))
    fx = lambda z: float(to_np(f(backend.asarray(z))))
    for row in x:
        numeric = so.approx_fprime(row, fx, 1e-7)
        np.testing.assert_allclose(to_np(grad(backend.asarray(row))), numeric, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(to_np(f(backend.asarray(x))), [fx(r) for r in x], rtol=1e-12)  # batched rows
    assert abs(float(to_np(f(x_min)))) < 1e-12


# -- interface -----------------------------------------------------------------------------
def test_jac_true_gradient_alias_and_args():
    f, grad, _ = get_problem("rosenbrock")
    reference = BFGS().minimize(f, [-1.2, 1.0], jac=grad)
    both = BFGS().minimize(lambda x: (f(x), grad(x)), [-1.2, 1.0], jac=True)
    alias = BFGS().minimize(f, [-1.2, 1.0], gradient=grad)
    np.testing.assert_array_equal(both.x, reference.x)
    np.testing.assert_array_equal(alias.x, reference.x)
    assert both.nfev == reference.nfev

    def shifted(x, c, scale):
        return scale * float(np.sum((x - c) ** 2))

    result = BFGS().minimize(
        shifted, np.zeros(3), jac=lambda x, c, scale: 2 * scale * (x - c), args=(np.array([1.0, -2.0, 3.0]), 2.0)
    )
    np.testing.assert_allclose(result.x, [1.0, -2.0, 3.0], atol=1e-8)


def test_result_fields_and_path(backend):
    f, grad, _ = get_problem("booth", backend=backend)
    result = BFGS(track_path=True).minimize(f, [0.0, 0.0], jac=grad, backend=backend)
    assert isinstance(result, OptimizeResult)
    for key in ("x", "fun", "jac", "nit", "nfev", "njev", "success", "status", "message", "execution_time", "path"):
        assert key in result
    assert result["x"] is result.x and result.execution_time > 0
    assert backend.owns(result.path) and tuple(result.path.shape) == (result.nit + 1, 2)
    np.testing.assert_array_equal(to_np(result.path[0]), [0.0, 0.0])
    np.testing.assert_array_equal(to_np(result.path[-1]), to_np(result.x))
    assert BFGS().minimize(f, [0.0, 0.0], jac=grad, backend=backend).path is None
    assert "fun" in repr(result)


def test_defaults_come_from_the_config():
    f, grad, _ = get_problem("rosenbrock")
    with scicomp.config_context(max_optimization_iterations=3, optimization_tolerance=1e-3):
        result = BFGS().minimize(f, [-1.2, 1.0], jac=grad)
    assert result.nit == 3 and result.status == 1 and not result.success
    assert "Maximum number of iterations" in result.message


def test_backtracking_line_search(backend):
    f, grad, x_min = get_problem("rosenbrock", backend=backend)
    for minimizer in (BFGS(line_search="backtracking"), LBFGS(line_search="backtracking")):
        result = minimizer.minimize(f, [-1.2, 1.0], jac=grad, backend=backend)
        assert result.success, result.message
        np.testing.assert_allclose(to_np(result.x), [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_gradient_descent_on_a_quadratic(backend, momentum):
    a = np.array([[3.0, 0.5], [0.5, 1.0]])
    bvec = np.array([1.0, -2.0])
    f, grad, x_min = get_problem("quadratic", backend=backend, A=a, b=bvec)
    result = GradientDescent(learning_rate=0.2, momentum=momentum, tolerance=1e-10).minimize(
        f, [5.0, 5.0], jac=grad, backend=backend
    )
    assert result.success, result.message
    np.testing.assert_allclose(to_np(result.x), np.linalg.solve(a, bvec), rtol=1e-9)  # closed form


# -- batched -------------------------------------------------------------------------------
def test_batched_bfgs_thousand_rosenbrock_starts():
    f, grad, _ = get_problem("rosenbrock")
    x0 = np.random.default_rng(3).uniform(-2.0, 2.0, (1000, 2))
    result = BFGS(tolerance=1e-9).minimize(f, x0, jac=grad)
    assert result.x.shape == (1000, 2) and result.fun.shape == (1000,) and result.nit.shape == (1000,)
    assert bool(np.all(result.success)) and np.all(result.status == 0), result.message
    assert len(np.unique(result.nit)) > 5  # each problem stops on its own
    np.testing.assert_allclose(result.x, 1.0, atol=1e-6)
    for i in (0, 17, 256, 511, 999):  # spot-check against scipy, one problem at a time
        ref = so.minimize(f, x0[i], jac=grad, method="BFGS", options={"gtol": 1e-9})
        np.testing.assert_allclose(result.x[i], ref.x, atol=1e-6)


def test_batched_equals_separate_solves(backend):
    f, grad, _ = get_problem("himmelblau", backend=backend)
    x0 = np.random.default_rng(4).uniform(-5.0, 5.0, (40, 2))
    for minimizer in (BFGS(tolerance=1e-9), LBFGS(tolerance=1e-9)):
        batched = minimizer.minimize(f, x0, jac=grad, backend=backend)
        assert backend.owns(batched.x) and backend.owns(batched.nit)
        assert bool(np.all(to_np(batched.success))), batched.message
        xs = to_np(batched.x)
        for i in range(0, 40, 8):
            single = minimizer.minimize(f, x0[i], jac=grad, backend=backend)
            # Himmelblau has four minima; from the same start both runs must find a stationary point
            # with the same value, and (generically) the same one.
            assert float(to_np(batched.fun)[i]) == pytest.approx(single.fun, abs=1e-12)
            np.testing.assert_allclose(np.max(np.abs(to_np(grad(backend.asarray(xs[i]))))), 0.0, atol=1e-8)


def test_batched_without_jac_and_gradient_descent(backend):
    f, grad, _ = get_problem("booth", backend=backend)
    x0 = np.random.default_rng(5).uniform(-3.0, 3.0, (20, 2))
    auto = BFGS(tolerance=1e-7).minimize(f, x0, backend=backend)
    assert bool(np.all(to_np(auto.success))), auto.message
    np.testing.assert_allclose(to_np(auto.x), np.tile([1.0, 3.0], (20, 1)), atol=1e-6)
    gd = GradientDescent(learning_rate=0.05, momentum=0.3, tolerance=1e-8, track_path=True).minimize(
        f, x0, jac=grad, backend=backend
    )
    assert bool(np.all(to_np(gd.success))), gd.message
    np.testing.assert_allclose(to_np(gd.x), np.tile([1.0, 3.0], (20, 1)), atol=1e-7)
    assert tuple(gd.path.shape) == (int(np.max(to_np(gd.nit))) + 1, 20, 2)


# -- non-finite values and bad input -------------------------------------------------------
def _explodes(x):
    value = float(np.sum((x - 3.0) ** 2))
    return math.nan if x[0] > 1.0 else value


@pytest.mark.parametrize("minimizer", [BFGS(), LBFGS(), GradientDescent(learning_rate=0.3)], ids=["bfgs", "lbfgs", "gd"])
def test_non_finite_objective_stops_cleanly(minimizer):
    result = minimizer.minimize(_explodes, [0.0, 0.0], jac=lambda x: 2 * (x - 3.0))
    assert not result.success and result.status == 3
    assert "non-finite objective or gradient at iteration" in result.message
    assert np.all(np.isfinite(result.x)) and result.x[0] <= 1.0
    at_start = minimizer.minimize(lambda x: math.inf, [0.0, 0.0], jac=lambda x: np.zeros(2))
    assert at_start.status == 3 and "iteration 0" in at_start.message


def test_non_finite_gradient_and_batched_problems():
    result = BFGS().minimize(lambda x: float(np.sum(x**2)), [1.0, 1.0], jac=lambda x: np.array([np.nan, 1.0]))
    assert result.status == 3 and not result.success

    def f(x):
        out = np.sum((x - 3.0) ** 2, axis=-1)
        return np.where(x[:, 0] > 1.0, np.nan, out) if x.shape[0] == 4 else out

    batched = BFGS().minimize(f, np.array([[0.0, 0.0], [0.5, 0.0], [0.0, 1.0], [2.0, 2.0]]), jac=lambda x: 2 * (x - 3.0))
    assert batched.status[3] == 3  # starts in the NaN region
    assert batched.status[0] == 3 and not batched.success[0]  # walks into it
    assert "non-finite" in batched.message


def test_exceptions_from_f_propagate():
    def broken(x):
        raise KeyError("user bug")

    with pytest.raises(KeyError, match="user bug"):
        BFGS().minimize(broken, [1.0, 2.0])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: BFGS().minimize("not a function", [1.0]), TypeError, "f: must be callable"),
        (lambda: BFGS().minimize(np.sum, np.zeros((2, 2, 2))), ValueError, "x0: expected a 1-D or 2-D"),
        (lambda: BFGS().minimize(np.sum, []), ValueError, "x0"),
        (lambda: BFGS().minimize(np.sum, [1.0, np.nan]), ValueError, "x0: contains NaN"),
        (lambda: BFGS().minimize(np.sum, ["a", "b"]), TypeError, "x0"),
        (lambda: BFGS(line_search="armijo"), ValueError, "line_search"),
        (lambda: LBFGS(memory=-1), ValueError, "memory"),
        (lambda: LBFGS(memory=2.5), TypeError, "memory"),
        (lambda: GradientDescent(learning_rate=-0.1), ValueError, "learning_rate"),
        (lambda: GradientDescent(momentum=1.0), ValueError, "momentum"),
        (lambda: BFGS(tolerance=-1e-6), ValueError, "tolerance"),
        (lambda: BFGS(max_iterations=0), ValueError, "max_iterations"),
        (
            lambda: BFGS().minimize(np.sum, [1.0, 2.0], jac=lambda x: np.ones(3)),
            ValueError,
            "jac: the gradient must have the shape",
        ),
        (lambda: BFGS().minimize(np.sum, [1.0, 2.0], jac="3-point"), TypeError, "jac"),
        (lambda: BFGS().minimize(lambda x: x, [1.0, 2.0], jac=lambda x: x), ValueError, "f: must return a scalar"),
        (lambda: BFGS().minimize(np.sum, [1.0, 2.0], jac=np.sign, gradient=np.abs), TypeError, "jac and gradient"),
        (lambda: BFGS().minimize(lambda x: np.sum(x), np.ones((3, 2)), jac=lambda x: x), ValueError, "one value per problem"),
        (lambda: BFGS().minimize(np.sum, [1.0], backend="nope"), scicomp.ConfigError, "backend"),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- property: random convex quadratics agree across backends -------------------------------
@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    log_condition=st.floats(0.0, 3.0),
)
def test_random_quadratics_agree_across_backends(n, seed, log_condition):
    a, bvec = ill_conditioned_quadratic(n, 10.0**log_condition, seed)
    x_star = np.linalg.solve(a, bvec)
    x0 = np.random.default_rng(seed + 1).uniform(-2.0, 2.0, n)
    reference = None
    for name in scicomp.available_backends():
        f, grad, _ = get_problem("quadratic", backend=name, A=a, b=bvec)
        result = BFGS(tolerance=1e-10).minimize(f, x0, jac=grad, backend=name)
        assert result.success, (name, result.message)
        x = to_np(result.x)
        # inf-norm gradient <= tol bounds the error by tol / lambda_min (lambda_min = 1 here)
        np.testing.assert_allclose(x, x_star, rtol=0, atol=1e-9)
        if reference is None:
            reference = result
        else:
            np.testing.assert_allclose(x, reference.x, rtol=1e-10, atol=1e-12)
            assert result.nit == reference.nit


def test_bfgs_refuses_a_dense_hessian_over_the_memory_limit(backend_name):
    f, grad = (lambda x: float(np.sum(to_np(x) ** 2))), (lambda x: 2 * x)
    with scicomp.config_context(memory_limit_gb=1e-3, backend=backend_name):  # 1 MiB: n = 400 needs 1.2 MiB
        with pytest.raises(MemoryLimitError, match=r"400 x 400.*LBFGS"):
            BFGS().minimize(f, np.ones(400), jac=grad)
        with pytest.raises(MemoryLimitError, match=r"3 x 300 x 300"):
            BFGS().minimize(lambda x: np.sum(to_np(x) ** 2, axis=1), np.ones((3, 300)), jac=grad)
        assert LBFGS().minimize(f, np.ones(400), jac=grad).success  # O(n) memory: allowed
