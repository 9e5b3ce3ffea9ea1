"""European option pricing: Monte Carlo under geometric Brownian motion, and the Black-Scholes formula.

Only terminal prices matter for a European payoff, so the Monte Carlo pricer
samples S_T = s0 exp((r - sigma^2/2) T + sigma sqrt(T) Z) directly and never
builds paths. The per-block work is the backend's ``payoff_block_statistics``
kernel (:mod:`scicomp.kernels.montecarlo`): on numba, one fused compiled
kernel draws its own normals and keeps running sums, so memory does not grow
with the number of blocks.

Reproducible chunking
---------------------
The standard normals come in *blocks* of :data:`RANDOM_BLOCK` samples; block
``i`` is drawn from its own stream, the i-th child of the seed's
SeedSequence (spawn key ``(i,)``; the numba kernel seeds its in-kernel
generator from that child's state). A *chunk* - what is held in memory at once -
is a run of whole blocks, as many as fit in ``memory_limit_gb`` (and at most
:data:`MAX_CHUNK_SAMPLES` samples). Per-block means and sums of squared
deviations are combined on the host (Chan et al.'s parallel formula), so the
price depends only on the seed and the block size, not on how many blocks a
chunk holds: a tiny memory limit gives the same result as a huge one, up to
floating-point rounding. Only a limit too small for one block (about
``RANDOM_BLOCK * 10 * itemsize`` bytes, 1.3 MB in float64) shrinks the block
and so changes the random numbers; the result reports the block size used.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import (
    check_choice,
    check_finite_number,
    check_positive,
    check_positive_int,
    check_scalar_parameter,
    is_tensor_parameter,
    is_tracing,
    resolve_backend,
)
from ..backends import Backend
from ..config import current_config
from ._common import itemsize, make_seed_sequence, progress_bar

logger = logging.getLogger("scicomp.stochastic.options")

__all__ = [
    "OptionPriceResult",
    "price_european_option",
    "black_scholes_price",
    "BlockPlan",
    "plan_blocks",
    "price_blocks",
    "result_from_blocks",
    "RANDOM_BLOCK",
    "MAX_CHUNK_SAMPLES",
]

RANDOM_BLOCK = 2**14
"""Samples per random stream block (the unit of reproducibility)."""
MAX_CHUNK_SAMPLES = 2**22
"""Most samples processed at once, whatever the memory limit."""
_FLOATS_PER_SAMPLE = 10  # normals, their concatenation, two terminal prices, payoffs, deviations and temporaries
_Z_95 = 1.959963984540054  # two-sided 95% normal quantile
_OPTIONS = ("call", "put")


@dataclass(frozen=True)
class OptionPriceResult:
    """A Monte Carlo price with its uncertainty (all Python floats).

    Attributes
    ----------
    price : float
        Discounted mean payoff.
    std_error : float
        Sample standard deviation / sqrt(n) of the averaged quantity: the
        antithetic pair averages when ``antithetic``, else the payoffs.
    confidence_interval : (float, float)
        95%: price -/+ 1.96 std_error.
    n_paths : int
        Terminal prices simulated (twice the number of pairs when antithetic).
    option, antithetic, backend
        What was priced, how, and where.
    n_chunks, block_size : int
        How the work was split (see the module docstring).
    """

    price: float
    std_error: float
    confidence_interval: tuple[float, float]
    n_paths: int
    option: str
    antithetic: bool
    n_chunks: int
    block_size: int
    backend: str


def _check_contract(s0: Any, strike: Any, rate: Any, sigma: Any, T: Any, option: Any) -> tuple[float, ...]:
    s0 = check_scalar_parameter("s0", s0, check_positive)  # TensorFlow scalars too: see _price_differentiable
    strike = check_scalar_parameter("strike", strike, check_positive)
    rate = check_scalar_parameter("rate", rate, check_finite_number)
    sigma = check_scalar_parameter("sigma", sigma, check_positive)
    T = check_positive("T", T)
    if not isinstance(option, str):
        raise TypeError(f"option={option!r}: must be 'call' or 'put'")
    check_choice("option", option, _OPTIONS)
    return s0, strike, rate, sigma, T


def black_scholes_price(s0: float, strike: float, rate: float, sigma: float, T: float, option: str = "call") -> float:
    """The Black-Scholes price of a European call or put on a non-dividend-paying asset.

    >>> round(black_scholes_price(100.0, 100.0, 0.05, 0.2, 1.0), 4)
    10.4506
    """
    from scipy.special import ndtr

    s0, strike, rate, sigma, T = _check_contract(s0, strike, rate, sigma, T, option)
    vol = sigma * math.sqrt(T)
    try:
        discounted_strike = strike * math.exp(-rate * T)
    except OverflowError:
        discounted_strike = math.inf
    if not math.isfinite(discounted_strike):
        raise ValueError(f"rate={rate!r}, T={T!r}: the discount factor exp(-rate*T) overflows")
    if vol == 0.0:  # sigma*sqrt(T) underflowed: the deterministic limit, the discounted intrinsic value
        forward_gap = s0 - discounted_strike
        return float(max(forward_gap, 0.0) if option == "call" else max(-forward_gap, 0.0))
    d1 = (math.log(s0 / strike) + (rate + 0.5 * sigma * sigma) * T) / vol
    d2 = d1 - vol
    with np.errstate(all="ignore"):
        if option == "call":
            price = float(s0 * ndtr(d1) - discounted_strike * ndtr(d2))
        else:
            price = float(discounted_strike * ndtr(-d2) - s0 * ndtr(-d1))
    if not math.isfinite(price):
        raise ValueError(f"s0={s0!r}, strike={strike!r}, rate={rate!r}, sigma={sigma!r}, T={T!r}: the price overflows")
    return price


def _block_stream(root: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """The ``index``-th child of ``root`` (what ``root.spawn(n)[index]`` gives a fresh root), made directly."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, index), pool_size=root.pool_size)


def _combine(counts: np.ndarray, means: np.ndarray, m2s: np.ndarray) -> tuple[float, float]:
    """Mean and unbiased variance of the union of blocks (Chan, Golub & LeVeque's pairwise update)."""
    n = float(counts.sum())
    mean = float(np.dot(counts, means) / n)
    m2 = float(m2s.sum() + np.dot(counts, (means - mean) ** 2))
    return mean, m2 / (n - 1.0)


@dataclass(frozen=True)
class BlockPlan:
    """A validated pricing request cut into random blocks (what every worker needs to price its share)."""

    s0: float
    strike: float
    rate: float
    sigma: float
    T: float
    option: str
    antithetic: bool
    n_paths: int
    n_samples: int
    block: int
    n_blocks: int
    root: np.random.SeedSequence

    def block_sizes(self, first: int, last: int) -> list[int]:
        return [min(self.block, self.n_samples - i * self.block) for i in range(first, last)]


def _bytes_per_sample(b: Backend) -> int:
    return _FLOATS_PER_SAMPLE * itemsize(b)


def plan_blocks(
    s0: float,
    strike: float,
    rate: float,
    sigma: float,
    T: float,
    option: str = "call",
    n_paths: int | None = None,
    seed: Any = None,
    antithetic: bool = True,
    itemsize_bytes: int = 8,
) -> BlockPlan:
    """Validate a pricing request and fix its block size (from ``memory_limit_gb``)."""
    s0, strike, rate, sigma, T = _check_contract(s0, strike, rate, sigma, T, option)
    if not isinstance(antithetic, (bool, np.bool_)):
        raise TypeError(f"antithetic={antithetic!r}: must be True or False")
    config = current_config()
    n_paths = config.monte_carlo_samples if n_paths is None else check_positive_int("n_paths", n_paths)
    n_samples = -(-n_paths // 2) if antithetic else n_paths
    if n_samples < 2:
        need = 3 if antithetic else 2
        raise ValueError(f"n_paths={n_paths}: need at least {need} paths to estimate a standard error")
    root = make_seed_sequence(seed)
    per_sample = _FLOATS_PER_SAMPLE * itemsize_bytes
    limit = int(config.memory_limit_gb * 1024**3)
    block = max(1, min(RANDOM_BLOCK, limit // per_sample))
    if block < RANDOM_BLOCK:
        logger.warning(
            "memory_limit_gb=%g is below one random block (%d bytes): using blocks of %d samples, "
            "which changes the random numbers for this seed",
            config.memory_limit_gb,
            RANDOM_BLOCK * per_sample,
            block,
        )
    return BlockPlan(
        s0, strike, rate, sigma, T, option, bool(antithetic), n_paths, n_samples, block, -(-n_samples // block), root
    )


def _blocks_per_chunk(b: Backend, plan: BlockPlan) -> int:
    limit = int(current_config().memory_limit_gb * 1024**3)
    return max(1, min(limit // (plan.block * _bytes_per_sample(b)), MAX_CHUNK_SAMPLES // plan.block))


def _price_chunk(b: Backend, plan: BlockPlan, first: int, last: int) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Per-block (count, mean, M2) of the discounted-to-be payoff for blocks [first, last), held at once.

    The work is the backend's ``payoff_block_statistics`` kernel
    (:mod:`scicomp.kernels.montecarlo`): vectorised on numpy, tensorflow and
    cupy; one fused compiled kernel with in-kernel random numbers on numba.
    """
    sizes = plan.block_sizes(first, last)
    streams = [_block_stream(plan.root, i) for i in range(first, last)]
    drift = (plan.rate - 0.5 * plan.sigma * plan.sigma) * plan.T
    vol = plan.sigma * math.sqrt(plan.T)
    means, m2s = b.kernels.payoff_block_statistics(
        b, streams, sizes, plan.s0, plan.strike, drift, vol, plan.option, plan.antithetic
    )
    return sizes, means, m2s


def price_blocks(
    plan: BlockPlan, first: int, last: int, backend: str | Backend | None = None
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Per-block statistics for blocks [first, last), in chunks that fit ``memory_limit_gb`` (a Dask task)."""
    b = resolve_backend(backend)
    step = _blocks_per_chunk(b, plan)
    counts: list[int] = []
    means, m2s = [], []
    with b.scope():
        for lo in range(first, last, step):
            sizes, block_means, block_m2s = _price_chunk(b, plan, lo, min(lo + step, last))
            counts.extend(sizes)
            means.append(block_means)
            m2s.append(block_m2s)
    return counts, np.concatenate(means), np.concatenate(m2s)


def result_from_blocks(
    plan: BlockPlan, parts: list[tuple[list[int], np.ndarray, np.ndarray]], n_chunks: int, backend: str
) -> OptionPriceResult:
    """Combine per-block statistics (in block order) into the price, its standard error and 95% interval."""
    counts = np.asarray([c for part in parts for c in part[0]], dtype=np.float64)
    mean, variance = _combine(counts, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]))
    discount = math.exp(-plan.rate * plan.T)
    price = discount * mean
    std_error = discount * math.sqrt(max(variance, 0.0) / plan.n_samples)
    return OptionPriceResult(
        price=float(price),
        std_error=float(std_error),
        confidence_interval=(float(price - _Z_95 * std_error), float(price + _Z_95 * std_error)),
        n_paths=int(2 * plan.n_samples if plan.antithetic else plan.n_samples),
        option=plan.option,
        antithetic=plan.antithetic,
        n_chunks=int(n_chunks),
        block_size=int(plan.block),
        backend=backend,
    )


def price_european_option(
    s0: float,
    strike: float,
    rate: float,
    sigma: float,
    T: float,
    option: str = "call",
    n_paths: int | None = None,
    seed: Any = None,
    antithetic: bool = True,
    *,
    progress: bool = False,
    backend: str | Backend | None = None,
) -> OptionPriceResult:
    """Monte Carlo price of a European call or put under geometric Brownian motion (risk-neutral drift ``rate``).

    Parameters
    ----------
    s0, strike : float
        Spot and strike, > 0.
    rate : float
        Continuously compounded risk-free rate.
    sigma, T : float
        Volatility and maturity (years), > 0.
    option : 'call' or 'put'
    n_paths : int, optional
        Terminal prices to simulate (None: the config's ``monte_carlo_samples``).
        With ``antithetic`` they come in ceil(n_paths / 2) pairs (Z, -Z).
    seed : int, SeedSequence or None
        None: the config's ``default_random_seed``.
    antithetic : bool
        Antithetic variates: average the payoffs of Z and -Z.
    progress : bool
        Show a progress bar over the chunks.

    Returns
    -------
    OptionPriceResult
        It agrees with :func:`black_scholes_price` within a few standard errors.

    Memory stays under ``memory_limit_gb`` whatever ``n_paths``: the samples
    are processed in chunks (see the module docstring for why the result does
    not depend on the chunking). :func:`scicomp.distributed.price_european_option`
    spreads the same blocks over a Dask cluster.
    """
    n_draws = n_paths if isinstance(n_paths, int) and not isinstance(n_paths, bool) else None
    b = resolve_backend(backend, "paths", n_draws)  # one step per path: 'auto' may follow the profile
    plan = plan_blocks(s0, strike, rate, sigma, T, option, n_paths, seed, antithetic, itemsize(b))
    if is_tracing(b) or any(is_tensor_parameter(v) for v in (plan.s0, plan.strike, plan.rate, plan.sigma)):
        return _price_differentiable(b, plan)
    step = _blocks_per_chunk(b, plan)
    n_chunks = -(-plan.n_blocks // step)
    parts = []
    with b.scope(), progress_bar(n_chunks, f"pricing {plan.option} ({plan.n_paths} paths)", progress) as advance:
        for first in range(0, plan.n_blocks, step):
            parts.append(_price_chunk(b, plan, first, min(first + step, plan.n_blocks)))
            advance(1)
    logger.debug("%s: %d samples in %d chunk(s) of <= %d blocks on %s", plan.option, plan.n_samples, n_chunks, step, b.name)
    return result_from_blocks(plan, parts, n_chunks, b.name)


def _price_differentiable(b: Backend, plan: BlockPlan) -> OptionPriceResult:
    """The result with 0-d backend tensors for price, std_error and interval, through which gradients flow.

    Taken when s0, strike, rate or sigma is a TensorFlow tensor / tf.Variable,
    or when called inside ``tf.function``. It draws the same blocks as the
    host path (so the same price to rounding), but keeps the statistics on
    the device (per-chunk mean and squared deviations combined with Chan's
    formula), so ``tape.gradient(result.price, s0)`` is the pathwise
    Monte Carlo delta and the call traces.
    """
    xp = b.xp
    s0, strike, rate, sigma = (b.asarray(v) for v in (plan.s0, plan.strike, plan.rate, plan.sigma))
    drift = (rate - 0.5 * sigma * sigma) * plan.T
    vol = sigma * math.sqrt(plan.T)
    step = _blocks_per_chunk(b, plan)
    counts, means, m2s = [], [], []
    with b.scope():
        for first in range(0, plan.n_blocks, step):
            indices = range(first, min(first + step, plan.n_blocks))
            sizes = plan.block_sizes(indices.start, indices.stop)
            draws = [b.random(_block_stream(plan.root, i)).standard_normal((n,)) for i, n in zip(indices, sizes, strict=True)]
            z = xp.concat(draws, axis=0)
            y = _tensor_payoff(xp, s0 * xp.exp(drift + vol * z), strike, plan.option)
            if plan.antithetic:
                y = 0.5 * (y + _tensor_payoff(xp, s0 * xp.exp(drift - vol * z), strike, plan.option))
            mean = xp.mean(y)
            counts.append(float(sum(sizes)))
            means.append(mean)
            m2s.append(xp.sum(xp.square(y - mean)))
        n = float(plan.n_samples)
        mean = sum(c * m for c, m in zip(counts, means, strict=True)) / n
        m2 = sum(m2s) + sum(c * xp.square(m - mean) for c, m in zip(counts, means, strict=True))
        discount = xp.exp(-rate * plan.T)
        price = discount * mean
        std_error = discount * xp.sqrt(m2 / ((n - 1.0) * n))
    return OptionPriceResult(
        price=price,
        std_error=std_error,
        confidence_interval=(price - _Z_95 * std_error, price + _Z_95 * std_error),
        n_paths=int(2 * plan.n_samples if plan.antithetic else plan.n_samples),
        option=plan.option,
        antithetic=plan.antithetic,
        n_chunks=-(-plan.n_blocks // step),
        block_size=int(plan.block),
        backend=b.name,
    )


def _tensor_payoff(xp: Any, terminal: Any, strike: Any, option: str) -> Any:
    intrinsic = terminal - strike if option == "call" else strike - terminal
    return xp.maximum(intrinsic, 0.0)
