"""European option pricing: Black-Scholes, Monte Carlo on every backend, chunking and memory.

Monte Carlo prices must agree with Black-Scholes within 3 standard errors
(fixed seeds; the standard error is the one the pricer reports).
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import scicomp
from scicomp.stochastic import OptionPriceResult, black_scholes_price, price_european_option
from scicomp.stochastic.options import RANDOM_BLOCK


def _reference_bs(s0, k, r, sigma, T, option):
    """Black-Scholes through scipy.stats.norm, independently of the module's ndtr formula."""
    d1 = (math.log(s0 / k) + (r + sigma**2 / 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    if option == "call":
        return s0 * stats.norm.cdf(d1) - k * math.exp(-r * T) * stats.norm.cdf(d2)
    return k * math.exp(-r * T) * stats.norm.cdf(-d2) - s0 * stats.norm.cdf(-d1)


def test_black_scholes_textbook_values_and_parity():
    assert black_scholes_price(100.0, 100.0, 0.05, 0.2, 1.0) == pytest.approx(10.450583572185565, rel=1e-12)
    # Hull, Options, Futures and Other Derivatives, example 15.6: 4.76 and 0.81
    assert black_scholes_price(42.0, 40.0, 0.1, 0.2, 0.5) == pytest.approx(4.76, abs=5e-3)
    assert black_scholes_price(42.0, 40.0, 0.1, 0.2, 0.5, option="put") == pytest.approx(0.81, abs=5e-3)
    for s0, k, r, sigma, T in [(100, 90, 0.03, 0.3, 2.0), (50, 60, -0.01, 0.5, 0.25)]:
        call = black_scholes_price(s0, k, r, sigma, T)
        put = black_scholes_price(s0, k, r, sigma, T, "put")
        assert call - put == pytest.approx(s0 - k * math.exp(-r * T), rel=1e-12)  # put-call parity
        assert call == pytest.approx(_reference_bs(s0, k, r, sigma, T, "call"), rel=1e-12)
        assert isinstance(call, float)


@pytest.mark.parametrize("option", ["call", "put"])
@pytest.mark.parametrize("antithetic", [True, False])
def test_monte_carlo_agrees_with_black_scholes(backend_name, option, antithetic):
    s0, k, r, sigma, T = 100.0, 105.0, 0.03, 0.25, 1.5
    result = price_european_option(
        s0, k, r, sigma, T, option=option, n_paths=200_000, seed=31, antithetic=antithetic, backend=backend_name
    )
    exact = black_scholes_price(s0, k, r, sigma, T, option)
    assert isinstance(result, OptionPriceResult) and result.backend == backend_name
    assert isinstance(result.price, float) and isinstance(result.std_error, float)
    assert result.n_paths == 200_000 and result.antithetic is antithetic
    assert 0 < result.std_error < 0.05
    assert abs(result.price - exact) < 3 * result.std_error, (result.price, exact, result.std_error)
    low, high = result.confidence_interval
    assert low == pytest.approx(result.price - 1.96 * result.std_error, rel=1e-4)
    assert high == pytest.approx(result.price + 1.96 * result.std_error, rel=1e-4)


def test_float32_pricing(backend_name):
    with scicomp.config_context(float_precision="float32"):
        result = price_european_option(100.0, 95.0, 0.02, 0.3, 1.0, n_paths=100_000, seed=32, backend=backend_name)
    assert abs(result.price - black_scholes_price(100.0, 95.0, 0.02, 0.3, 1.0)) < 3 * result.std_error


def test_antithetic_reduces_the_standard_error():
    plain = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=50_000, seed=1, antithetic=False)
    anti = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=50_000, seed=1, antithetic=True)
    assert anti.std_error < plain.std_error


def test_defaults_come_from_the_config():
    with scicomp.config_context(monte_carlo_samples=5000, default_random_seed=7):
        implicit = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0)
    explicit = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=5000, seed=7)
    assert implicit == explicit and implicit.n_paths == 5000


def test_same_seed_same_price_different_seed_different(backend_name):
    a = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=20_000, seed=5, backend=backend_name)
    b = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=20_000, seed=5, backend=backend_name)
    c = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=20_000, seed=6, backend=backend_name)
    assert a == b
    assert a.price != c.price


def test_odd_path_count_is_rounded_up_to_pairs():
    result = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=1001, seed=1)
    assert result.n_paths == 1002
    assert price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=1001, seed=1, antithetic=False).n_paths == 1001


# -- chunking and memory --------------------------------------------------------------
def test_chunked_equals_unchunked(backend_name):
    """A limit that holds one random block per chunk gives the unchunked result (same blocks, same streams)."""
    args = (100.0, 110.0, 0.04, 0.3, 2.0)
    kwargs = {"option": "put", "n_paths": 7 * RANDOM_BLOCK + 1234, "seed": 41, "antithetic": False, "backend": backend_name}
    whole = price_european_option(*args, **kwargs)
    with scicomp.config_context(memory_limit_gb=2e-3):  # ~2.1 MB: one block (1.3 MB in float64) per chunk
        chunked = price_european_option(*args, **kwargs)
    assert whole.n_chunks == 1 and chunked.n_chunks == 8
    assert chunked.block_size == whole.block_size == RANDOM_BLOCK
    assert chunked.price == pytest.approx(whole.price, rel=1e-12)
    assert chunked.std_error == pytest.approx(whole.std_error, rel=1e-10)


def test_limit_below_one_block_still_prices_within_limits(backend_name):
    with scicomp.config_context(memory_limit_gb=2e-4):  # ~210 kB: blocks shrink to fit
        result = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=60_000, seed=42, backend=backend_name)
    assert result.block_size < RANDOM_BLOCK and result.n_chunks > 1
    assert abs(result.price - black_scholes_price(100.0, 100.0, 0.05, 0.2, 1.0)) < 3 * result.std_error


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_peak_memory_stays_under_the_limit(backend_name):
    """NumPy reports its allocations to tracemalloc, so the peak is measurable on the host backends."""
    if backend_name not in scicomp.available_backends():
        pytest.skip(f"{backend_name} unavailable")
    limit_gb = 4e-3
    n_paths = 2_000_000
    with scicomp.config_context(memory_limit_gb=limit_gb):
        price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=1000, backend=backend_name)  # warm up imports
        tracemalloc.start()
        try:
            result = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=n_paths, backend=backend_name)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.n_chunks > 1
    assert peak < limit_gb * 1024**3, peak
    # unchunked, the same request would hold every sample at once: 8 bytes x 1e6 normals alone
    assert n_paths // 2 * 8 > limit_gb * 1024**3


def test_progress_bar_over_chunks(capsys):
    with scicomp.config_context(memory_limit_gb=2e-3):
        shown = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=4 * RANDOM_BLOCK, seed=3, progress=True)
        quiet = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=4 * RANDOM_BLOCK, seed=3)
    assert shown == quiet and shown.n_chunks == 2
    captured = capsys.readouterr()
    assert "pricing call" in captured.out + captured.err


# -- cross-backend property --------------------------------------------------------------
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    s0=st.floats(20.0, 200.0),
    log_moneyness=st.floats(-1.5, 1.5),
    rate=st.floats(-0.02, 0.1),
    sigma=st.floats(0.05, 0.8),
    T=st.floats(0.1, 3.0),
    option=st.sampled_from(["call", "put"]),
)
def test_backends_agree_with_numpy_and_black_scholes(backend_name, s0, log_moneyness, rate, sigma, T, option):
    # strikes within 1.5 standard deviations of the forward: deep out-of-the-money prices are rare events that
    # 20,000 paths may never reach (a price of 0 with a standard error of 0), which no tolerance in SE can cover
    strike = s0 * math.exp(rate * T + log_moneyness * sigma * math.sqrt(T))
    exact = black_scholes_price(s0, strike, rate, sigma, T, option)
    ref = price_european_option(s0, strike, rate, sigma, T, option, n_paths=20_000, seed=9, backend="numpy")
    got = price_european_option(s0, strike, rate, sigma, T, option, n_paths=20_000, seed=9, backend=backend_name)
    # 5 SE here: twelve examples per backend; the difference of two independent estimates has SE sqrt(se1^2 + se2^2)
    assert abs(got.price - exact) < 5 * got.std_error
    assert abs(got.price - ref.price) < 5 * math.hypot(got.std_error, ref.std_error)
    if backend_name == "numpy":  # numba draws its own numbers in a fused kernel: agreement in law only (above)
        np.testing.assert_allclose(got.price, ref.price, rtol=1e-10)


def test_black_scholes_limits_and_overflow():
    from scicomp.stochastic import black_scholes_price

    # sigma*sqrt(T) underflows to 0: the deterministic limit, max(s0 - K e^{-rT}, 0)
    assert black_scholes_price(100.0, 90.0, 0.05, 5e-324, 1.0) == pytest.approx(100.0 - 90.0 * np.exp(-0.05))
    assert black_scholes_price(100.0, 90.0, 0.05, 5e-324, 1.0, option="put") == 0.0
    with pytest.raises(ValueError, match="overflows"):
        black_scholes_price(100.0, 100.0, -1e308, 0.2, 10.0)
