"""Euler-Maruyama and Milstein on every backend: the stepping against NumPy, laws, convergence, bad coefficients.

Statistical tolerances: 5 standard errors (SE of a mean = sd / sqrt(n)); KS p > 1e-3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import scicomp
from scicomp.stochastic import euler_maruyama, milstein
from scicomp.stochastic.sde import integrate
from tests.conftest import rtol_for, to_np


def _ref_integrate(x0, dt, dw, drift, diffusion, ddiffusion=None):
    """Plain NumPy loop; ``ddiffusion`` given means Milstein."""
    n_steps, n_paths = dw.shape
    x = np.empty((n_paths, n_steps + 1))
    x[:, 0] = x0
    for k in range(n_steps):
        t = k * dt
        xk = x[:, k]
        step = drift(xk, t) * dt + diffusion(xk, t) * dw[k]
        if ddiffusion is not None:
            step = step + 0.5 * diffusion(xk, t) * ddiffusion(xk, t) * (dw[k] ** 2 - dt)
        x[:, k + 1] = xk + step
    return x


def _coefficients(b):
    """A nonlinear SDE written with the backend's ops: dX = (1 - X) sin(t + 1) dt + 0.3 (1 + X^2)^(1/2) dW."""
    xp = b.xp
    return (
        lambda x, t: (1.0 - x) * xp.sin(t + 1.0),
        lambda x, t: 0.3 * xp.sqrt(1.0 + x * x),
        lambda x, t: 0.3 * x / xp.sqrt(1.0 + x * x),
    )


def _host_coefficients():
    return (
        lambda x, t: (1.0 - x) * np.sin(t + 1.0),
        lambda x, t: 0.3 * np.sqrt(1.0 + x * x),
        lambda x, t: 0.3 * x / np.sqrt(1.0 + x * x),
    )


def test_stepping_matches_numpy_reference(backend_name, precision):
    b = scicomp.get_backend(backend_name)
    rng = np.random.default_rng(5)
    n_steps, n_paths, T = 30, 7, 1.5
    dt = T / n_steps
    dw_host = (rng.standard_normal((n_steps, n_paths)) * math.sqrt(dt)).astype(precision)
    x0_host = rng.standard_normal(n_paths).astype(precision)
    t = b.xp.linspace(0.0, T, n_steps + 1, dtype=b.float_dtype)
    drift, diffusion, ddiffusion = _coefficients(b)
    hd, hs, hds = _host_coefficients()
    dw, x0 = b.asarray(dw_host), b.asarray(x0_host)
    rtol = rtol_for(precision)
    em = integrate(b, drift, diffusion, x0, t, dt, dw, "euler_maruyama")
    ref_em = _ref_integrate(x0_host.astype(float), dt, dw_host.astype(float), hd, hs)
    np.testing.assert_allclose(to_np(em), ref_em, rtol=rtol, atol=rtol)
    ref_mil = _ref_integrate(x0_host.astype(float), dt, dw_host.astype(float), hd, hs, hds)
    mil = integrate(b, drift, diffusion, x0, t, dt, dw, "milstein", ddiffusion)
    np.testing.assert_allclose(to_np(mil), ref_mil, rtol=rtol, atol=rtol)
    # the finite-difference derivative: relative error ~ eps^(2/3)
    fd = integrate(b, drift, diffusion, x0, t, dt, dw, "milstein")
    fd_tol = 1e-8 if precision == "float64" else 2e-3
    np.testing.assert_allclose(to_np(fd), ref_mil, rtol=fd_tol, atol=fd_tol)
    assert b.owns(em) and to_np(em).dtype == np.dtype(precision)


def test_shapes_start_and_array_x0(backend):
    x0 = np.linspace(-1.0, 1.0, 6)
    t, paths = euler_maruyama(lambda x, t: -x, lambda x, t: 0.5, x0, 2.0, 12, n_paths=6, backend=backend)
    assert backend.owns(t) and backend.owns(paths)
    assert tuple(paths.shape) == (6, 13) and tuple(t.shape) == (13,)
    np.testing.assert_array_equal(to_np(paths)[:, 0], x0)
    np.testing.assert_allclose(to_np(t), np.linspace(0.0, 2.0, 13), rtol=1e-12)
    _, one = milstein(lambda x, t: 0.0, lambda x, t: 1.0, 2.0, 1.0, 4, backend=backend)
    assert tuple(one.shape) == (1, 5) and to_np(one)[0, 0] == 2.0
    _, from_backend = euler_maruyama(lambda x, t: x, lambda x, t: x, backend.asarray(x0), 1.0, 3, n_paths=6, backend=backend)
    np.testing.assert_array_equal(to_np(from_backend)[:, 0], x0)


def test_same_seed_same_paths(backend_name):
    args = (lambda x, t: 0.1 * x, lambda x, t: 0.2 * x, 1.0, 1.0, 20)
    a = to_np(euler_maruyama(*args, n_paths=5, seed=8, backend=backend_name)[1])
    b = to_np(euler_maruyama(*args, n_paths=5, seed=8, backend=backend_name)[1])
    c = to_np(euler_maruyama(*args, n_paths=5, seed=9, backend=backend_name)[1])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    m = to_np(milstein(*args, n_paths=5, seed=8, backend=backend_name)[1])
    np.testing.assert_array_equal(to_np(milstein(*args, n_paths=5, seed=8, backend=backend_name)[1]), m)


def test_euler_maruyama_law_for_additive_noise(backend_name):
    """Constant coefficients: EM is exact, X_T ~ N(x0 + a T, b^2 T), increments iid."""
    T, n_steps, n_paths = 2.0, 20, 4000
    _, paths = euler_maruyama(lambda x, t: 0.3, lambda x, t: 0.8, 1.0, T, n_steps, n_paths=n_paths, seed=21, backend=backend_name)
    paths = to_np(paths)
    assert stats.kstest(paths[:, -1], stats.norm(1.0 + 0.3 * T, 0.8 * math.sqrt(T)).cdf).pvalue > 1e-3
    inc = np.diff(paths, axis=1)
    r = np.corrcoef(inc[:, :-1].ravel(), inc[:, 1:].ravel())[0, 1]
    assert abs(r) < 5 / math.sqrt(inc[:, 1:].size)


def test_ornstein_uhlenbeck_weak_law(backend_name):
    """dX = theta (mu - X) dt + sigma dW: EM's terminal mean/variance match the exact law to O(dt) + 5 SE."""
    theta, mu, sigma, x0, T = 2.0, 1.0, 0.5, 3.0, 1.0
    n_steps, n_paths = 200, 3000
    _, paths = euler_maruyama(
        lambda x, t: theta * (mu - x), lambda x, t: sigma, x0, T, n_steps, n_paths=n_paths, seed=22, backend=backend_name
    )
    xt = to_np(paths)[:, -1]
    mean = mu + (x0 - mu) * math.exp(-theta * T)
    sd = sigma * math.sqrt((1 - math.exp(-2 * theta * T)) / (2 * theta))
    bias = theta * T / n_steps * abs(x0 - mu)  # first-order weak error of EM
    assert abs(xt.mean() - mean) < 5 * sd / math.sqrt(n_paths) + bias


def test_milstein_converges_faster_than_euler(backend_name):
    """GBM: both solvers use the same increments for the same seed; compare with the exact solution on them."""
    mu, sigma, x0, T, n_steps, n_paths = 0.05, 0.8, 1.0, 1.0, 32, 2000
    dt = T / n_steps
    args = (lambda x, t: mu * x, lambda x, t: sigma * x, x0, T, n_steps)
    em = to_np(euler_maruyama(*args, n_paths=n_paths, seed=23, backend=backend_name)[1])
    mil = to_np(milstein(*args, n_paths=n_paths, seed=23, backend=backend_name)[1])
    analytic = to_np(milstein(*args, n_paths=n_paths, seed=23, diffusion_derivative=lambda x, t: sigma, backend=backend_name)[1])
    np.testing.assert_allclose(mil, analytic, rtol=1e-8)
    dw = (em[:, 1:] / em[:, :-1] - 1.0 - mu * dt) / sigma  # recovered from the EM recursion
    w_t = dw.sum(axis=1)
    exact = x0 * np.exp((mu - sigma**2 / 2) * T + sigma * w_t)
    em_error = np.mean(np.abs(em[:, -1] - exact))
    mil_error = np.mean(np.abs(mil[:, -1] - exact))
    assert mil_error < 0.3 * em_error, (mil_error, em_error)
    assert mil_error < sigma**2 * dt / 2  # strong order 1 (measured: about sigma^2 dt / 8)


def test_progress_bar_runs(capsys):
    t, p = euler_maruyama(lambda x, t: -x, lambda x, t: 0.1, 0.0, 1.0, 5, n_paths=2, progress=True)
    t2, p2 = euler_maruyama(lambda x, t: -x, lambda x, t: 0.1, 0.0, 1.0, 5, n_paths=2)
    np.testing.assert_array_equal(p, p2)
    captured = capsys.readouterr()
    assert "euler_maruyama" in captured.out + captured.err


def test_float32_stays_float32(backend_name):
    with scicomp.config_context(float_precision="float32"):
        _, paths = milstein(lambda x, t: 0.5 * x, lambda x, t: 0.2 * x, 1.0, 1.0, 10, n_paths=3, backend=backend_name)
    assert to_np(paths).dtype == np.float32


# -- bad coefficients ---------------------------------------------------------------
def test_non_callable_coefficients():
    with pytest.raises(TypeError, match="drift: must be callable"):
        euler_maruyama(1.0, lambda x, t: 1.0, 0.0, 1.0, 10)
    with pytest.raises(TypeError, match="diffusion: must be callable"):
        milstein(lambda x, t: 1.0, "sigma", 0.0, 1.0, 10)
    with pytest.raises(TypeError, match="diffusion_derivative"):
        milstein(lambda x, t: 1.0, lambda x, t: 1.0, 0.0, 1.0, 10, diffusion_derivative=3)


def test_coefficients_of_the_wrong_shape_or_type(backend_name):
    b = scicomp.get_backend(backend_name)
    with pytest.raises(ValueError, match=r"drift: returned shape \(2, 4\)"):
        euler_maruyama(lambda x, t: b.xp.ones((2, 4), dtype=b.float_dtype), lambda x, t: 1.0, 0.0, 1.0, 5, n_paths=4, backend=b)
    with pytest.raises(TypeError, match="diffusion: must return"):
        euler_maruyama(lambda x, t: x, lambda x, t: "big", 0.0, 1.0, 5, n_paths=4, backend=b)
    with pytest.raises(TypeError, match="drift: must return"):
        euler_maruyama(lambda x, t: None, lambda x, t: 1.0, 0.0, 1.0, 5, backend=b)


def test_numpy_arrays_are_refused_on_other_backends():
    b = scicomp.get_backend("tensorflow") if "tensorflow" in scicomp.available_backends() else None
    if b is None:
        pytest.skip("tensorflow backend unavailable")
    with pytest.raises(TypeError, match="tensorflow array"):
        euler_maruyama(lambda x, t: np.zeros(3), lambda x, t: 1.0, 0.0, 1.0, 5, n_paths=3, backend=b)


def test_divergence_is_an_error_not_nan():
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ValueError, match="NaN or infinite"):
            euler_maruyama(lambda x, t: x**3, lambda x, t: 0.0, 10.0, 10.0, 50, backend="numpy")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"T": 0.0}, ValueError, "T="),
        ({"T": -1.0}, ValueError, "T="),
        ({"n_steps": 0}, ValueError, "n_steps="),
        ({"n_steps": 2.5}, TypeError, "n_steps="),
        ({"n_paths": 0}, ValueError, "n_paths="),
        ({"x0": float("nan")}, ValueError, "x0"),
        ({"x0": [1.0, 2.0, 3.0]}, ValueError, "x0"),
        ({"x0": True}, TypeError, "x0"),
        ({"x0": "a"}, TypeError, "x0"),
        ({"seed": -3}, ValueError, "seed="),
    ],
)
def test_bad_arguments(kwargs, error, match):
    args = {"drift": lambda x, t: 0.0, "diffusion": lambda x, t: 1.0, "x0": 0.0, "T": 1.0, "n_steps": 5, "n_paths": 2}
    args.update(kwargs)
    for solver in (euler_maruyama, milstein):
        with pytest.raises(error, match=match):
            solver(**args)
