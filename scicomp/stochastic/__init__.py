"""Stochastic processes, SDE solvers and Monte Carlo option pricing, on every backend.

* Processes with exact, loop-free path generation: :class:`BrownianMotion`
  (and its bridge), :class:`GeometricBrownianMotion`,
  :class:`OrnsteinUhlenbeck`, :class:`JumpDiffusion` (Merton) and
  :class:`PoissonProcess`.
* Generic SDE solvers :func:`euler_maruyama` and :func:`milstein`, vectorised
  over paths.
* :func:`price_european_option` (Monte Carlo, antithetic, chunked to stay
  under ``memory_limit_gb``) and :func:`black_scholes_price`.

Random numbers come from the backend's seeded generators: the same seed gives
the same paths on the same backend, run after run; backends draw different
numbers for the same seed, and their results agree in law (and, given the
same normals, to rounding: see :mod:`scicomp.stochastic.construction`). On
numba (and cupy) the Brownian, GBM and Ornstein-Uhlenbeck paths and the Monte
Carlo pricer draw their normals inside compiled kernels, from per-path (or
per-block) streams keyed by the seed, so their results do not depend on the
thread count either (see :mod:`scicomp.kernels.paths`).
"""

from __future__ import annotations

from .options import OptionPriceResult, black_scholes_price, price_european_option
from .poisson import PoissonProcess
from .processes import BrownianMotion, GeometricBrownianMotion, JumpDiffusion, OrnsteinUhlenbeck
from .sde import euler_maruyama, milstein

__all__ = [
    "BrownianMotion",
    "GeometricBrownianMotion",
    "OrnsteinUhlenbeck",
    "JumpDiffusion",
    "PoissonProcess",
    "euler_maruyama",
    "milstein",
    "price_european_option",
    "black_scholes_price",
    "OptionPriceResult",
]
