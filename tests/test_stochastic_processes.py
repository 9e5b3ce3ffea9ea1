"""scicomp.stochastic processes on every backend: construction against NumPy, reproducibility, exact laws.

Statistical checks use fixed seeds and tolerances of 5 standard errors:
sample mean of n draws with sd s -> SE s / sqrt(n); sample variance of n normal
draws with variance v -> SE v sqrt(2 / (n - 1)); lag-1 correlation of n
independent pairs -> SE 1 / sqrt(n). Terminal laws: Kolmogorov-Smirnov test
against the exact distribution, p > 1e-3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import scicomp
from scicomp.stochastic import (
    BrownianMotion,
    GeometricBrownianMotion,
    JumpDiffusion,
    OrnsteinUhlenbeck,
    PoissonProcess,
    construction,
)
from tests.conftest import rtol_for, to_np

N_PATHS = 4000
N_STEPS = 25


def _dtype_name(b) -> str:
    return np.dtype(getattr(b.float_dtype, "as_numpy_dtype", b.float_dtype)).name


def _close(actual, expected, precision):
    """rtol of the precision, with an absolute floor at rtol * max|expected| for values crossing zero."""
    expected = np.asarray(expected, dtype=np.float64)
    rtol = rtol_for(precision)
    np.testing.assert_allclose(to_np(actual), expected, rtol=rtol, atol=rtol * float(np.max(np.abs(expected))))


def _assert_moments(sample, mean, var, what):
    sample = np.asarray(sample, dtype=np.float64).ravel()
    n = sample.size
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt(2.0 / (n - 1))
    assert abs(sample.mean() - mean) < 5 * se_mean, f"{what}: mean {sample.mean()} vs {mean} (SE {se_mean})"
    assert abs(sample.var(ddof=1) - var) < 5 * se_var, f"{what}: variance {sample.var(ddof=1)} vs {var} (SE {se_var})"


def _assert_uncorrelated(increments, what):
    inc = np.asarray(increments, dtype=np.float64)
    a, b = inc[:, :-1].ravel(), inc[:, 1:].ravel()
    r = np.corrcoef(a, b)[0, 1]
    assert abs(r) < 5 / math.sqrt(a.size), f"{what}: lag-1 correlation {r}"


# -- reference constructions: plain NumPy loops over steps in float64 -----------------
def _ref_brownian(z, dt, drift, vol, x0):
    out = np.empty((z.shape[0], z.shape[1] + 1))
    out[:, 0] = x0
    for k in range(z.shape[1]):
        out[:, k + 1] = out[:, k] + drift * dt + vol * math.sqrt(dt) * z[:, k]
    return out


def _ref_gbm(z, dt, mu, sigma, s0):
    out = np.empty((z.shape[0], z.shape[1] + 1))
    out[:, 0] = s0
    for k in range(z.shape[1]):
        out[:, k + 1] = out[:, k] * math.exp((mu - sigma**2 / 2) * dt) * np.exp(sigma * math.sqrt(dt) * z[:, k])
    return out


def _ref_ou(z, dt, theta, mu, sigma, x0):
    a = math.exp(-theta * dt)
    s = sigma * math.sqrt((1 - math.exp(-2 * theta * dt)) / (2 * theta))
    out = np.empty((z.shape[0], z.shape[1] + 1))
    out[:, 0] = x0
    for k in range(z.shape[1]):
        out[:, k + 1] = mu + (out[:, k] - mu) * a + s * z[:, k]
    return out


def _ref_jump(z, n, zj, dt, drift, vol, lam, jm, js, s0):
    k_comp = math.exp(jm + js**2 / 2) - 1
    out = np.empty((z.shape[0], z.shape[1] + 1))
    out[:, 0] = s0
    for k in range(z.shape[1]):
        log_inc = (
            (drift - vol**2 / 2 - lam * k_comp) * dt
            + vol * math.sqrt(dt) * z[:, k]
            + n[:, k] * jm
            + js * np.sqrt(n[:, k]) * zj[:, k]
        )
        out[:, k + 1] = out[:, k] * np.exp(log_inc)
    return out


def _ref_bridge(z, dt, vol, x0, xT, T):
    w = _ref_brownian(z, dt, 0.0, vol, 0.0)
    t = np.arange(z.shape[1] + 1) * dt
    return x0 + (xT - x0) * t / T + w - (t / T) * w[:, -1:]


# -- (a) the deterministic construction matches NumPy given the same normals ----------
def test_construction_matches_numpy_reference(backend_name, precision):
    b = scicomp.get_backend(backend_name)
    rng = np.random.default_rng(7)
    z_host = rng.standard_normal((6, 40)).astype(precision)
    z2_host = rng.standard_normal((6, 40)).astype(precision)
    n_host = rng.poisson(0.3, (6, 40)).astype(precision)
    z, z2, n = b.asarray(z_host), b.asarray(z2_host), b.asarray(n_host)
    zh, z2h, nh = z_host.astype(np.float64), z2_host.astype(np.float64), n_host.astype(np.float64)
    dt = 0.025
    _close(construction.brownian_paths(b, z, dt, 0.3, 0.7, 1.5), _ref_brownian(zh, dt, 0.3, 0.7, 1.5), precision)
    _close(construction.gbm_paths(b, z, dt, 0.05, 0.4, 100.0), _ref_gbm(zh, dt, 0.05, 0.4, 100.0), precision)
    _close(construction.ou_paths(b, z, dt, 1.5, 2.0, 0.3, -1.0), _ref_ou(zh, dt, 1.5, 2.0, 0.3, -1.0), precision)
    ref = _ref_jump(zh, nh, z2h, dt, 0.05, 0.2, 12.0, -0.1, 0.15, 50.0)
    _close(construction.jump_diffusion_paths(b, z, n, z2, dt, 0.05, 0.2, 12.0, -0.1, 0.15, 50.0), ref, precision)
    _close(construction.bridge_paths(b, z, dt, 0.5, 0.2, -0.4), _ref_bridge(zh, dt, 0.5, 0.2, -0.4, 1.0), precision)


def test_ou_recurrence_is_stable_for_large_theta_t(backend):
    """theta * T = 2000: the closed-form scaled cumulative sum would overflow; the kernels must not."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3, 2000))
    dt, theta = 0.01, 100.0
    out = to_np(construction.ou_paths(backend, backend.asarray(z), dt, theta, 1.0, 0.5, 5.0))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, _ref_ou(z, dt, theta, 1.0, 0.5, 5.0), rtol=1e-10, atol=1e-12)


def test_linear_recurrence_kernels_agree_with_lfilter(backend):
    from scicomp.kernels import paths

    rng = np.random.default_rng(11)
    c = rng.standard_normal((4, 37))
    x0 = rng.standard_normal(4)
    ref = paths.linear_recurrence_lfilter(scicomp.get_backend("numpy"), x0, 0.9, c)
    out = backend.kernels.linear_recurrence(backend, backend.asarray(x0), 0.9, backend.asarray(c))
    assert backend.owns(out)
    np.testing.assert_allclose(to_np(out), ref, rtol=1e-10, atol=1e-12)
    # the generic doubling scan, whichever backend's kernel was picked
    generic = paths.linear_recurrence_doubling(backend, 0.25, -0.5, backend.asarray(c))
    loop = np.empty((4, 38))
    loop[:, 0] = 0.25
    for k in range(37):
        loop[:, k + 1] = -0.5 * loop[:, k] + c[:, k]
    np.testing.assert_allclose(to_np(generic), loop, rtol=1e-10, atol=1e-12)


# -- shapes, dtypes, starting values ---------------------------------------------------
PROCESSES = {
    "bm": lambda seed: BrownianMotion(0.1, 0.3, seed=seed),
    "gbm": lambda seed: GeometricBrownianMotion(0.05, 0.2, s0=100.0, seed=seed),
    "ou": lambda seed: OrnsteinUhlenbeck(2.0, 1.0, 0.3, x0=-0.5, seed=seed),
    "jump": lambda seed: JumpDiffusion(0.05, 0.2, 2.0, -0.1, 0.1, s0=10.0, seed=seed),
}
STARTS = {"bm": 0.0, "gbm": 100.0, "ou": -0.5, "jump": 10.0}


@pytest.mark.parametrize("kind", list(PROCESSES))
def test_shapes_dtypes_and_start(kind, backend_name, precision):
    b = scicomp.get_backend(backend_name)
    process = PROCESSES[kind](1)
    t, paths = process.generate_paths(5, T=2.0, n_steps=8, backend=backend_name)
    assert b.owns(t) and b.owns(paths)
    assert tuple(paths.shape) == (5, 9) and tuple(t.shape) == (9,)
    assert _dtype_name(b) == to_np(paths).dtype.name == to_np(t).dtype.name == precision
    np.testing.assert_allclose(to_np(t), np.linspace(0, 2.0, 9), rtol=rtol_for(precision))
    assert np.all(to_np(paths)[:, 0] == STARTS[kind])  # exact (every start here is a float32 number)
    t1, path = process.generate_path(T=1.0, n_steps=4, backend=backend_name)
    assert tuple(path.shape) == (5,) and tuple(t1.shape) == (5,)
    x0 = 3.25 if kind in ("bm", "ou") else 7.5
    assert float(to_np(process.generate_path(n_steps=3, x0=x0, backend=backend_name)[1])[0]) == x0


def test_instance_backend_and_call_override():
    bm = BrownianMotion(seed=3, backend="numba")
    assert scicomp.get_backend("numba").owns(bm.generate_path(n_steps=4)[1])
    _, p = bm.generate_paths(2, n_steps=4, backend="numpy")
    assert isinstance(p, np.ndarray)


def test_accepts_backend_instance(backend):
    _, p = GeometricBrownianMotion(0.0, 0.1, seed=1, backend=backend).generate_paths(3, n_steps=4)
    assert backend.owns(p)


# -- reproducibility ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(PROCESSES))
def test_same_seed_same_paths_different_seed_different(kind, backend_name):
    a, b, c = PROCESSES[kind](123), PROCESSES[kind](123), PROCESSES[kind](124)
    first_a = to_np(a.generate_paths(3, n_steps=10, backend=backend_name)[1])
    second_a = to_np(a.generate_paths(3, n_steps=10, backend=backend_name)[1])
    first_b = to_np(b.generate_paths(3, n_steps=10, backend=backend_name)[1])
    second_b = to_np(b.generate_paths(3, n_steps=10, backend=backend_name)[1])
    np.testing.assert_array_equal(first_a, first_b)  # same seed: the same sequence of results
    np.testing.assert_array_equal(second_a, second_b)
    assert not np.array_equal(first_a, second_a)  # successive calls continue the stream
    assert not np.array_equal(first_a, to_np(c.generate_paths(3, n_steps=10, backend=backend_name)[1]))
    a.reset()
    np.testing.assert_array_equal(to_np(a.generate_paths(3, n_steps=10, backend=backend_name)[1]), first_a)


def test_seed_none_is_the_config_default(backend_name):
    with scicomp.config_context(default_random_seed=99):
        implicit = BrownianMotion().generate_paths(2, n_steps=5, backend=backend_name)[1]
    explicit = BrownianMotion(seed=99).generate_paths(2, n_steps=5, backend=backend_name)[1]
    np.testing.assert_array_equal(to_np(implicit), to_np(explicit))


def test_reproducible_across_processes_run_after_run():
    """The numpy stream for a seed is fixed: a fresh interpreter gives the same first values."""
    import subprocess
    import sys

    code = "from scicomp.stochastic import BrownianMotion; print(repr(float(BrownianMotion(seed=5).generate_path(n_steps=3)[1][-1])))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in range(2)}
    assert len(outs) == 1
    assert float(outs.pop()) == float(BrownianMotion(seed=5).generate_path(n_steps=3)[1][-1])


# -- exact laws on every backend --------------------------------------------------------
def test_brownian_motion_statistics(backend_name):
    drift, vol, T, x0 = 0.4, 0.7, 2.0, 1.0
    t, paths = BrownianMotion(drift, vol, seed=11).generate_paths(N_PATHS, T=T, n_steps=N_STEPS, x0=x0, backend=backend_name)
    paths = to_np(paths)
    dt = T / N_STEPS
    inc = np.diff(paths, axis=1)
    _assert_moments(inc, drift * dt, vol**2 * dt, "BM increments")
    _assert_uncorrelated(inc, "BM increments")
    p = stats.kstest(paths[:, -1], stats.norm(x0 + drift * T, vol * math.sqrt(T)).cdf).pvalue
    assert p > 1e-3, p


def test_brownian_motion_float32_statistics(backend_name):
    with scicomp.config_context(float_precision="float32"):
        _, paths = BrownianMotion(0.0, 1.0, seed=2).generate_paths(N_PATHS, T=1.0, n_steps=10, backend=backend_name)
    paths = to_np(paths)
    assert paths.dtype == np.float32
    assert stats.kstest(paths[:, -1], stats.norm(0, 1).cdf).pvalue > 1e-3


def test_gbm_statistics(backend_name):
    mu, sigma, s0, T = 0.1, 0.3, 50.0, 1.5
    _, paths = GeometricBrownianMotion(mu, sigma, s0, seed=12).generate_paths(N_PATHS, T=T, n_steps=N_STEPS, backend=backend_name)
    log_paths = np.log(to_np(paths))
    dt = T / N_STEPS
    inc = np.diff(log_paths, axis=1)
    _assert_moments(inc, (mu - sigma**2 / 2) * dt, sigma**2 * dt, "GBM log-increments")
    _assert_uncorrelated(inc, "GBM log-increments")
    law = stats.lognorm(s=sigma * math.sqrt(T), scale=s0 * math.exp((mu - sigma**2 / 2) * T))
    assert stats.kstest(np.exp(log_paths[:, -1]), law.cdf).pvalue > 1e-3
    terminal = np.exp(log_paths[:, -1])
    se = terminal.std(ddof=1) / math.sqrt(terminal.size)
    assert abs(terminal.mean() - s0 * math.exp(mu * T)) < 5 * se


def test_ou_statistics_and_stationary_distribution(backend_name):
    theta, mu, sigma = 3.0, 1.0, 0.6
    ou = OrnsteinUhlenbeck(theta, mu, sigma, x0=4.0, seed=13)
    T = 0.5
    _, paths = ou.generate_paths(N_PATHS, T=T, n_steps=N_STEPS, backend=backend_name)
    paths = to_np(paths)
    assert stats.kstest(paths[:, -1], ou.transition_distribution(T).cdf).pvalue > 1e-3
    # residuals of the exact AR(1) step are iid N(0, s^2)
    a, c, s = construction.ou_coefficients(T / N_STEPS, theta, mu, sigma)
    residuals = paths[:, 1:] - a * paths[:, :-1] - c
    _assert_moments(residuals, 0.0, s**2, "OU residuals")
    _assert_uncorrelated(residuals, "OU residuals")
    # after theta T = 30 the law is the stationary one
    _, long = ou.generate_paths(N_PATHS, T=10.0, n_steps=N_STEPS, backend=backend_name)
    law = ou.stationary_distribution()
    assert law.mean() == mu and law.var() == pytest.approx(sigma**2 / (2 * theta))
    _assert_moments(to_np(long)[:, -1], law.mean(), law.var(), "OU stationary")


def _merton_cdf(x, T, drift, vol, lam, jm, js, n_max=60):
    """CDF of log(S_T / s0): a Poisson mixture of normals."""
    m = (drift - vol**2 / 2 - lam * (math.exp(jm + js**2 / 2) - 1)) * T
    weights = stats.poisson(lam * T).pmf(np.arange(n_max))
    x = np.asarray(x)[..., None]
    n = np.arange(n_max)
    return np.sum(weights * stats.norm.cdf(x, m + n * jm, np.sqrt(vol**2 * T + n * js**2)), axis=-1)


def test_jump_diffusion_statistics(backend_name):
    drift, vol, lam, jm, js, s0, T = 0.05, 0.2, 3.0, -0.1, 0.15, 20.0, 1.0
    jd = JumpDiffusion(drift, vol, lam, jm, js, s0=s0, seed=14)
    _, paths = jd.generate_paths(N_PATHS, T=T, n_steps=N_STEPS, backend=backend_name)
    paths = to_np(paths)
    log_terminal = np.log(paths[:, -1] / s0)
    assert stats.kstest(log_terminal, lambda x: _merton_cdf(x, T, drift, vol, lam, jm, js)).pvalue > 1e-3
    terminal = paths[:, -1]
    se = terminal.std(ddof=1) / math.sqrt(terminal.size)
    assert abs(terminal.mean() - s0 * math.exp(drift * T)) < 5 * se  # the compensator makes drift the mean return
    inc = np.diff(np.log(paths), axis=1)
    dt = T / N_STEPS
    mean = (drift - vol**2 / 2 - lam * (math.exp(jm + js**2 / 2) - 1)) * dt + lam * dt * jm
    var = vol**2 * dt + lam * dt * (jm**2 + js**2)
    se_mean = math.sqrt(var / inc.size)
    assert abs(inc.mean() - mean) < 5 * se_mean
    # a non-normal law: the variance SE uses the fourth moment, so only the mean is checked tightly
    assert abs(inc.var() - var) < 0.1 * var
    _assert_uncorrelated(inc, "Merton log-increments")


def test_jump_diffusion_without_jumps_is_gbm(backend_name):
    _, paths = JumpDiffusion(0.1, 0.3, 0.0, 0.5, 0.2, s0=2.0, seed=1).generate_paths(N_PATHS, n_steps=5, backend=backend_name)
    law = stats.lognorm(s=0.3, scale=2.0 * math.exp(0.1 - 0.045))
    assert stats.kstest(to_np(paths)[:, -1], law.cdf).pvalue > 1e-3


def test_bridge_endpoints_and_law(backend_name):
    bm = BrownianMotion(drift=5.0, volatility=0.8, seed=15)
    t, path = bm.generate_bridge(2.0, 16, x0=0.1, xT=0.3, backend=backend_name)
    path = to_np(path)
    assert path.shape == (17,) and tuple(t.shape) == (17,)
    assert path[0] == 0.1 and path[-1] == 0.3  # exact
    # the law of the construction with this backend's random numbers: X_{T/2} ~ N((x0 + xT)/2, vol^2 T / 4)
    b = scicomp.get_backend(backend_name)
    z = b.random(16).standard_normal((N_PATHS, 16))
    bridges = to_np(construction.bridge_paths(b, z, 2.0 / 16, 0.8, 0.1, 0.3))
    _assert_moments(bridges[:, 8], 0.2, 0.8**2 * 2.0 / 4, "bridge midpoint")
    assert np.all(bridges[:, -1] == 0.3) and np.all(bridges[:, 0] == 0.1)


def test_poisson_counts_statistics(backend_name):
    rate, T = 4.0, 2.5
    pp = PoissonProcess(rate, seed=17)
    t, counts = pp.counts(T, 10, n_paths=N_PATHS, backend=backend_name)
    counts = to_np(counts)
    assert counts.shape == (N_PATHS, 11) and np.all(counts[:, 0] == 0)
    assert np.all(np.diff(counts, axis=1) >= 0) and np.all(counts == np.round(counts))
    _assert_moments(counts[:, -1], rate * T, rate * T, "N(T)")
    inc = np.diff(counts, axis=1)
    _assert_uncorrelated(inc, "Poisson increments")
    t1, one = pp.counts(T, 10, backend=backend_name)
    assert tuple(one.shape) == (11,)


def test_poisson_arrival_times(backend_name):
    rate, T = 5.0, 2.0
    pp = PoissonProcess(rate, seed=18)
    realisations = [to_np(pp.arrival_times(T, backend=backend_name)) for _ in range(150)]
    sizes = np.array([r.size for r in realisations])
    se = math.sqrt(rate * T / sizes.size)
    assert abs(sizes.mean() - rate * T) < 5 * se
    for r in realisations:
        assert r.ndim == 1 and np.all(np.diff(r) >= 0) and np.all((r >= 0) & (r <= T))
    # given the count, arrivals are uniform on [0, T]
    assert stats.kstest(np.concatenate(realisations), stats.uniform(0, T).cdf).pvalue > 1e-3


def test_poisson_empty_realisation(backend):
    times = PoissonProcess(1e-9, seed=0).arrival_times(1.0, backend=backend)
    assert backend.owns(times) and tuple(times.shape) == (0,)
