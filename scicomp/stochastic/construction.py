"""Deterministic path construction: standard normals in, exact paths out.

The process classes draw their random numbers and hand them to these
functions, which hold all the arithmetic (Brownian motion, GBM and
Ornstein-Uhlenbeck go through the backend's sampling kernels instead, which
follow the same formulas: :mod:`scicomp.kernels.paths`). Each is written once against the
Backend interface, so feeding the same normals to every backend gives the
same paths (the cross-backend tests check this against a plain NumPy loop to
rtol 1e-10), while the random numbers themselves differ between backends.

Every function takes normals ``z`` of shape (n_paths, n_steps) as backend
arrays, the step ``dt`` and the model's parameters as Python floats, and
returns paths of shape (n_paths, n_steps + 1) whose first column is exactly
the starting value.
"""

from __future__ import annotations

import math
from typing import Any

from ..backends import Backend

__all__ = [
    "brownian_paths",
    "gbm_paths",
    "ou_paths",
    "ou_coefficients",
    "merton_compensator",
    "jump_diffusion_paths",
    "bridge_paths",
]


def brownian_paths(b: Backend, z: Any, dt: float, drift: float, volatility: float, x0: float) -> Any:
    """x_k = x0 + sum_{j<k} (drift dt + volatility sqrt(dt) z_j)."""
    increments = drift * dt + (volatility * math.sqrt(dt)) * z
    return b.kernels.cumulative_paths(b, x0, increments)


def gbm_paths(b: Backend, z: Any, dt: float, mu: float, sigma: float, s0: float) -> Any:
    """Exact log-normal stepping: s_k = s0 exp(sum_{j<k} ((mu - sigma^2/2) dt + sigma sqrt(dt) z_j))."""
    log_increments = (mu - 0.5 * sigma * sigma) * dt + (sigma * math.sqrt(dt)) * z
    return b.kernels.geometric_paths(b, s0, log_increments)


def ou_coefficients(dt: float, theta: float, mu: float, sigma: float) -> tuple[float, float, float]:
    """(a, c, s) of the exact OU step x_{k+1} = a x_k + c + s z_k.

    a = exp(-theta dt), c = mu (1 - a), s = sigma sqrt((1 - a^2) / (2 theta));
    ``expm1`` keeps 1 - a and 1 - a^2 accurate when theta dt is small.
    """
    a = math.exp(-theta * dt)
    c = -mu * math.expm1(-theta * dt)
    s = sigma * math.sqrt(-math.expm1(-2.0 * theta * dt) / (2.0 * theta))
    return a, c, s


def ou_paths(b: Backend, z: Any, dt: float, theta: float, mu: float, sigma: float, x0: float) -> Any:
    """Exact Ornstein-Uhlenbeck stepping (an AR(1) recursion) through the ``linear_recurrence`` kernel."""
    a, c, s = ou_coefficients(dt, theta, mu, sigma)
    return b.kernels.linear_recurrence(b, x0, a, c + s * z)


def merton_compensator(jump_rate: float, jump_mean: float, jump_std: float) -> float:
    """lambda k with k = E[e^Y] - 1 = exp(jump_mean + jump_std^2 / 2) - 1: the drift the jumps add."""
    return jump_rate * math.expm1(jump_mean + 0.5 * jump_std * jump_std)


def jump_diffusion_paths(
    b: Backend,
    z: Any,
    n_jumps: Any,
    z_jump: Any,
    dt: float,
    drift: float,
    volatility: float,
    jump_rate: float,
    jump_mean: float,
    jump_std: float,
    s0: float,
) -> Any:
    """Exact Merton stepping from diffusion normals ``z``, jump counts ``n_jumps`` and jump normals ``z_jump``.

    log s_{k+1} - log s_k = (drift - vol^2/2 - lambda k) dt + vol sqrt(dt) z_k
    + n_k jump_mean + jump_std sqrt(n_k) z'_k: the sum of n_k independent
    N(jump_mean, jump_std^2) jumps has exactly that law, so one normal per
    step suffices whatever the count.
    """
    xp = b.xp
    mean_rate = drift - 0.5 * volatility * volatility - merton_compensator(jump_rate, jump_mean, jump_std)
    log_increments = (
        mean_rate * dt + (volatility * math.sqrt(dt)) * z + jump_mean * n_jumps + jump_std * xp.sqrt(n_jumps) * z_jump
    )
    return b.kernels.geometric_paths(b, s0, log_increments)


def bridge_paths(b: Backend, z: Any, dt: float, volatility: float, x0: float, xT: float) -> Any:
    """Brownian bridge from x0 to xT: (1 - t/T) x0 + (t/T) xT + W_t - (t/T) W_T.

    The weights t/T = k / n_steps are exact at both ends, so the first column
    is exactly x0 and the last exactly xT.
    """
    xp = b.xp
    n_steps = int(z.shape[-1])
    w = b.kernels.cumulative_paths(b, 0.0, (volatility * math.sqrt(dt)) * z)
    frac = xp.arange(n_steps + 1, dtype=b.float_dtype) / float(n_steps)
    return ((1.0 - frac) * x0 + frac * xT) + (w - frac * w[..., -1:])
