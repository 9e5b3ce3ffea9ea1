"""scicomp.stochastic: bad input, memory refusal, and hypothesis cross-backend properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scicomp
from scicomp.errors import MemoryLimitError
from scicomp.stochastic import (
    BrownianMotion,
    GeometricBrownianMotion,
    JumpDiffusion,
    OrnsteinUhlenbeck,
    PoissonProcess,
    black_scholes_price,
    construction,
    euler_maruyama,
    price_european_option,
)
from tests.conftest import to_np

NAN, INF = float("nan"), float("inf")


# -- constructors -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("factory", "error", "match"),
    [
        (lambda: BrownianMotion(volatility=0.0), ValueError, "volatility=0.0: must be > 0"),
        (lambda: BrownianMotion(volatility=-1.0), ValueError, "volatility"),
        (lambda: BrownianMotion(drift=NAN), ValueError, "drift"),
        (lambda: BrownianMotion(drift="0.1"), TypeError, "drift"),
        (lambda: BrownianMotion(seed=-1), ValueError, "seed"),
        (lambda: BrownianMotion(seed=1.5), ValueError, "seed"),
        (lambda: BrownianMotion(backend="torch"), ValueError, "backend"),
        (lambda: GeometricBrownianMotion(0.05, 0.0), ValueError, "sigma"),
        (lambda: GeometricBrownianMotion(0.05, 0.2, s0=0.0), ValueError, "s0"),
        (lambda: GeometricBrownianMotion(0.05, 0.2, s0=-5.0), ValueError, "s0"),
        (lambda: GeometricBrownianMotion(INF, 0.2), ValueError, "mu"),
        (lambda: OrnsteinUhlenbeck(0.0, 1.0, 0.3), ValueError, "theta"),
        (lambda: OrnsteinUhlenbeck(1.0, 1.0, -0.3), ValueError, "sigma"),
        (lambda: OrnsteinUhlenbeck(1.0, 1.0, 0.3, x0=NAN), ValueError, "x0"),
        (lambda: JumpDiffusion(0.05, 0.0, 1.0, 0.0, 0.1), ValueError, "volatility"),
        (lambda: JumpDiffusion(0.05, 0.2, -1.0, 0.0, 0.1), ValueError, "jump_rate"),
        (lambda: JumpDiffusion(0.05, 0.2, 1.0, 0.0, -0.1), ValueError, "jump_std"),
        (lambda: JumpDiffusion(0.05, 0.2, 1.0, None, 0.1), TypeError, "jump_mean"),
        (lambda: JumpDiffusion(0.05, 0.2, 1.0, 0.0, 0.1, s0=0.0), ValueError, "s0"),
        (lambda: PoissonProcess(0.0), ValueError, "rate"),
        (lambda: PoissonProcess(True), TypeError, "rate"),
    ],
)
def test_constructor_validation(factory, error, match):
    with pytest.raises(error, match=match):
        factory()


# -- generating methods -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda p: p.generate_paths(0), ValueError, "n_paths=0"),
        (lambda p: p.generate_paths(-2), ValueError, "n_paths"),
        (lambda p: p.generate_paths(2.0), TypeError, "n_paths"),
        (lambda p: p.generate_paths(2, T=0.0), ValueError, "T=0.0: must be > 0"),
        (lambda p: p.generate_paths(2, T=-1.0), ValueError, "T="),
        (lambda p: p.generate_paths(2, T=INF), ValueError, "T="),
        (lambda p: p.generate_paths(2, n_steps=0), ValueError, "n_steps=0"),
        (lambda p: p.generate_paths(2, n_steps=True), TypeError, "n_steps"),
        (lambda p: p.generate_path(T=-1.0), ValueError, "T="),
        (lambda p: p.generate_path(n_steps=-5), ValueError, "n_steps"),
        (lambda p: p.generate_path(x0=NAN), ValueError, "x0"),
        (lambda p: p.generate_path(backend="nope"), ValueError, "backend"),
    ],
)
@pytest.mark.parametrize("kind", ["bm", "gbm", "ou", "jump"])
def test_generating_method_validation(kind, call, error, match):
    process = {
        "bm": BrownianMotion(),
        "gbm": GeometricBrownianMotion(0.05, 0.2),
        "ou": OrnsteinUhlenbeck(1.0, 0.0, 0.3),
        "jump": JumpDiffusion(0.05, 0.2, 1.0, 0.0, 0.1),
    }[kind]
    with pytest.raises(error, match=match):
        call(process)


def test_price_processes_refuse_non_positive_start():
    with pytest.raises(ValueError, match="x0"):
        GeometricBrownianMotion(0.05, 0.2).generate_path(x0=-1.0)
    with pytest.raises(ValueError, match="x0"):
        JumpDiffusion(0.05, 0.2, 1.0, 0.0, 0.1).generate_paths(3, x0=0.0)


def test_bridge_and_poisson_validation():
    bm = BrownianMotion()
    with pytest.raises(ValueError, match="T="):
        bm.generate_bridge(0.0, 10)
    with pytest.raises(ValueError, match="n_steps"):
        bm.generate_bridge(1.0, 0)
    with pytest.raises(ValueError, match="xT"):
        bm.generate_bridge(1.0, 10, xT=INF)
    pp = PoissonProcess(2.0)
    with pytest.raises(ValueError, match="T="):
        pp.arrival_times(-1.0)
    with pytest.raises(ValueError, match="n_steps"):
        pp.counts(1.0, 0)
    with pytest.raises(ValueError, match="n_paths"):
        pp.counts(1.0, 5, n_paths=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"s0": 0.0}, ValueError, "s0=0.0: must be > 0"),
        ({"s0": -1.0}, ValueError, "s0"),
        ({"strike": 0.0}, ValueError, "strike"),
        ({"strike": -10.0}, ValueError, "strike"),
        ({"sigma": 0.0}, ValueError, "sigma"),
        ({"T": 0.0}, ValueError, "T="),
        ({"rate": NAN}, ValueError, "rate"),
        ({"rate": "5%"}, TypeError, "rate"),
        ({"option": "straddle"}, ValueError, "option"),
        ({"option": None}, TypeError, "option"),
    ],
)
def test_option_validation(kwargs, error, match):
    args = {"s0": 100.0, "strike": 100.0, "rate": 0.05, "sigma": 0.2, "T": 1.0}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        black_scholes_price(**args)
    with pytest.raises(error, match=match):
        price_european_option(**args, n_paths=100)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_paths": 0}, ValueError, "n_paths"),
        ({"n_paths": 2}, ValueError, "n_paths=2"),
        ({"n_paths": 1e5}, TypeError, "n_paths"),
        ({"seed": "abc"}, ValueError, "seed"),
        ({"antithetic": "yes"}, TypeError, "antithetic"),
        ({"backend": "jax"}, ValueError, "backend"),
    ],
)
def test_pricing_argument_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, **kwargs)


# -- memory refusal ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_",
    [
        lambda: BrownianMotion(seed=1).generate_paths(1000, n_steps=1000),
        lambda: GeometricBrownianMotion(0.05, 0.2, seed=1).generate_paths(1000, n_steps=1000),
        lambda: OrnsteinUhlenbeck(1.0, 0.0, 0.3, seed=1).generate_paths(1000, n_steps=1000),
        lambda: JumpDiffusion(0.05, 0.2, 1.0, 0.0, 0.1, seed=1).generate_paths(1000, n_steps=1000),
        lambda: BrownianMotion(seed=1).generate_bridge(1.0, 10**6),
        lambda: PoissonProcess(1.0, seed=1).counts(1.0, 1000, n_paths=1000),
        lambda: PoissonProcess(1e8, seed=1).arrival_times(1.0),
        lambda: euler_maruyama(lambda x, t: 0.0, lambda x, t: 1.0, 0.0, 1.0, 1000, n_paths=1000),
    ],
)
def test_oversize_requests_are_refused(request_, backend_name):
    with scicomp.config_context(memory_limit_gb=1e-3, backend=backend_name):  # 1 MiB
        with pytest.raises(MemoryLimitError, match="memory_limit_gb") as err:
            request_()
    assert isinstance(err.value, ValueError) and "GB" in str(err.value)


def test_refusal_happens_before_drawing(backend_name):
    """A refused request leaves the stream untouched: the next call gives a fresh instance's first paths."""
    bm = BrownianMotion(seed=4, backend=backend_name)
    with scicomp.config_context(memory_limit_gb=1e-4):
        with pytest.raises(MemoryLimitError):
            bm.generate_paths(10_000, n_steps=100)
        first = to_np(bm.generate_paths(2, n_steps=5)[1])
        np.testing.assert_array_equal(first, to_np(BrownianMotion(seed=4, backend=backend_name).generate_paths(2, n_steps=5)[1]))


# -- hypothesis: every backend against the NumPy reference ----------------------------------
_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(
    mu=st.floats(-0.5, 0.5),
    sigma=st.floats(0.01, 1.0),
    T=st.floats(0.05, 5.0),
    n_steps=st.integers(1, 60),
    n_paths=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_gbm_construction_matches_numpy(backend, mu, sigma, T, n_steps, n_paths, seed):
    z = np.random.default_rng(seed).standard_normal((n_paths, n_steps))
    dt = T / n_steps
    got = to_np(construction.gbm_paths(backend, backend.asarray(z), dt, mu, sigma, 3.0))
    log_inc = (mu - sigma**2 / 2) * dt + sigma * math.sqrt(dt) * z
    ref = 3.0 * np.exp(np.concatenate([np.zeros((n_paths, 1)), np.cumsum(log_inc, axis=1)], axis=1))
    np.testing.assert_allclose(got, ref, rtol=1e-10)


@_SETTINGS
@given(
    theta=st.floats(0.01, 200.0),
    mu=st.floats(-2.0, 2.0),
    sigma=st.floats(0.01, 2.0),
    T=st.floats(0.1, 20.0),
    n_steps=st.integers(1, 300),
    seed=st.integers(0, 2**32 - 1),
)
def test_ou_construction_matches_numpy(backend, theta, mu, sigma, T, n_steps, seed):
    z = np.random.default_rng(seed).standard_normal((2, n_steps))
    dt = T / n_steps
    got = to_np(construction.ou_paths(backend, backend.asarray(z), dt, theta, mu, sigma, 1.5))
    a, c, s = construction.ou_coefficients(dt, theta, mu, sigma)
    ref = np.empty((2, n_steps + 1))
    ref[:, 0] = 1.5
    for k in range(n_steps):
        ref[:, k + 1] = a * ref[:, k] + c + s * z[:, k]
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


@_SETTINGS
@given(
    mu=st.floats(-0.3, 0.3),
    sigma=st.floats(0.05, 0.6),
    T=st.floats(0.1, 3.0),
    n_steps=st.integers(1, 20),
)
def test_gbm_terminal_mean_agrees_with_numpy_and_exact(backend, mu, sigma, T, n_steps):
    """Sample means of S_T on this backend and on numpy agree with s0 e^{mu T} and each other within 5 SE."""
    n = 3000
    exact = math.exp(mu * T)
    means = {}
    for b in (scicomp.get_backend("numpy"), backend):
        _, paths = GeometricBrownianMotion(mu, sigma, seed=77).generate_paths(n, T=T, n_steps=n_steps, backend=b)
        terminal = to_np(paths)[:, -1]
        se = terminal.std(ddof=1) / math.sqrt(n)
        assert abs(terminal.mean() - exact) < 5 * se
        means[b.name] = (terminal.mean(), se)
    (m1, s1), (m2, s2) = means["numpy"], means[backend.name]
    assert abs(m1 - m2) < 5 * math.hypot(s1, s2)
