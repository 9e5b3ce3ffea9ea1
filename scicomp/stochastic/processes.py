"""Continuous-time processes with exact, vectorised path generation.

Every class draws the random numbers of a request from its own stream (see
:class:`~scicomp.stochastic._common.SeededProcess`): no Python loop over steps
or paths. Brownian motion, GBM and Ornstein-Uhlenbeck paths come from the
backend's sampling kernels (:mod:`scicomp.kernels.paths`), which on numba and
cupy draw the normals inside one compiled kernel (per-path counter-keyed
streams) and elsewhere follow :mod:`scicomp.stochastic.construction`.
``t`` is ``linspace(0, T, n_steps + 1)`` and every path starts exactly at its
starting value.

>>> from scicomp.stochastic import GeometricBrownianMotion
>>> t, paths = GeometricBrownianMotion(0.05, 0.2, s0=100.0, seed=1).generate_paths(1000, T=1.0, n_steps=252)
>>> paths.shape
(1000, 253)
"""

from __future__ import annotations

import logging
import math
from typing import Any

from .._validation import check_finite_number, check_non_negative, check_positive, check_scalar_parameter
from ..backends import Backend
from . import construction
from ._common import SeededProcess, check_grid, refuse_oversize, time_grid

logger = logging.getLogger("scicomp.stochastic")

__all__ = ["BrownianMotion", "GeometricBrownianMotion", "OrnsteinUhlenbeck", "JumpDiffusion"]


class _PathProcess(SeededProcess):
    """Shared ``generate_path`` / ``generate_paths`` around a subclass's ``_paths``."""

    _arrays_per_path = 2  # the normals and the paths

    def _start(self, x0: Any) -> float:
        raise NotImplementedError

    def _paths(self, b: Backend, n_paths: int, n_steps: int, dt: float, start: float) -> Any:
        raise NotImplementedError

    def generate_paths(
        self,
        n_paths: int,
        T: float = 1.0,
        n_steps: int = 100,
        x0: float | None = None,
        *,
        backend: str | Backend | None = None,
    ) -> tuple[Any, Any]:
        """Return ``(t, paths)``: t of length n_steps + 1, paths of shape (n_paths, n_steps + 1).

        ``x0`` overrides the starting value for this call (None: the
        instance's). Refused with MemoryLimitError before allocating when the
        arrays would exceed ``memory_limit_gb``.
        """
        T, n_steps, n_paths = check_grid(T, n_steps, n_paths)
        start = self._start(x0)
        b = self._resolve(backend, n_paths * n_steps)
        refuse_oversize(n_paths, n_steps, self._arrays_per_path, b, f"{type(self).__name__}.generate_paths")
        with b.scope():
            t = time_grid(b, T, n_steps)
            paths = self._paths(b, n_paths, n_steps, T / n_steps, start)
        logger.debug("%s: %d paths x %d steps on %s", type(self).__name__, n_paths, n_steps, b.name)
        return t, paths

    def generate_path(
        self, T: float = 1.0, n_steps: int = 100, x0: float | None = None, *, backend: str | Backend | None = None
    ) -> tuple[Any, Any]:
        """Return ``(t, path)``, both of length n_steps + 1 (one path of :meth:`generate_paths`)."""
        t, paths = self.generate_paths(1, T, n_steps, x0, backend=backend)
        return t, paths[0]


class BrownianMotion(_PathProcess):
    """Brownian motion with drift: dX = drift dt + volatility dW.

    Parameters
    ----------
    drift : float
    volatility : float
        Must be > 0.
    seed : int, SeedSequence or None
        None: the config's ``default_random_seed``. Successive calls continue
        the instance's stream; two instances with the same seed agree.
    backend : str or Backend, optional
        Default backend of this instance's calls (each call's ``backend=`` overrides it).
    """

    def __init__(self, drift: float = 0.0, volatility: float = 1.0, seed: Any = None, *, backend: str | Backend | None = None):
        self.drift = check_scalar_parameter("drift", drift)
        self.volatility = check_scalar_parameter("volatility", volatility, check_positive)
        super().__init__(seed, backend)

    def __repr__(self) -> str:
        return f"BrownianMotion(drift={self.drift}, volatility={self.volatility}, seed={self.seed})"

    def _start(self, x0: Any) -> float:
        return 0.0 if x0 is None else check_scalar_parameter("x0", x0)

    def generate_paths(
        self, n_paths: int, T: float = 1.0, n_steps: int = 100, x0: float = 0.0, *, backend: str | Backend | None = None
    ) -> tuple[Any, Any]:
        """Return ``(t, paths)``: t of length n_steps + 1, paths of shape (n_paths, n_steps + 1), paths[:, 0] == x0."""
        return super().generate_paths(n_paths, T, n_steps, x0, backend=backend)

    def generate_path(
        self, T: float = 1.0, n_steps: int = 100, x0: float = 0.0, *, backend: str | Backend | None = None
    ) -> tuple[Any, Any]:
        """Return ``(t, path)``, both of length n_steps + 1, path[0] == x0."""
        return super().generate_path(T, n_steps, x0, backend=backend)

    def _paths(self, b, n_paths, n_steps, dt, start):
        gen = self._generator(b)
        return b.kernels.sample_brownian_paths(b, gen, n_paths, n_steps, start, self.drift * dt, self.volatility * math.sqrt(dt))

    def generate_bridge(
        self, T: float, n_steps: int, x0: float = 0.0, xT: float = 0.0, *, backend: str | Backend | None = None
    ) -> tuple[Any, Any]:
        """A Brownian bridge from ``x0`` at 0 to ``xT`` at ``T``: returns ``(t, path)``.

        The bridge pins both ends, so the drift plays no part; the
        fluctuations have this instance's volatility (Var X_t = vol^2 t (T - t) / T).
        path[0] == x0 and path[-1] == xT exactly.
        """
        T, n_steps, _ = check_grid(T, n_steps)
        x0 = check_scalar_parameter("x0", x0)
        xT = check_finite_number("xT", xT)
        b = self._resolve(backend)
        refuse_oversize(1, n_steps, 3, b, "BrownianMotion.generate_bridge")
        with b.scope():
            t = time_grid(b, T, n_steps)
            z = self._generator(b).standard_normal((1, n_steps))
            path = construction.bridge_paths(b, z, T / n_steps, self.volatility, x0, xT)
        return t, path[0]


class GeometricBrownianMotion(_PathProcess):
    """Geometric Brownian motion dS = mu S dt + sigma S dW, stepped exactly (log-normal increments).

    S_t = s0 exp((mu - sigma^2/2) t + sigma W_t), so E[S_t] = s0 e^{mu t}.
    ``generate_paths(n_paths, T, n_steps, x0=None)``: x0 overrides ``s0``.
    """

    def __init__(self, mu: float, sigma: float, s0: float = 1.0, seed: Any = None, *, backend: str | Backend | None = None):
        self.mu = check_scalar_parameter("mu", mu)
        self.sigma = check_scalar_parameter("sigma", sigma, check_positive)
        self.s0 = check_scalar_parameter("s0", s0, check_positive)
        super().__init__(seed, backend)

    def __repr__(self) -> str:
        return f"GeometricBrownianMotion(mu={self.mu}, sigma={self.sigma}, s0={self.s0}, seed={self.seed})"

    def _start(self, x0: Any) -> float:
        return self.s0 if x0 is None else check_scalar_parameter("x0", x0, check_positive)

    def _paths(self, b, n_paths, n_steps, dt, start):
        log_drift = (self.mu - 0.5 * self.sigma * self.sigma) * dt
        gen = self._generator(b)
        return b.kernels.sample_geometric_paths(b, gen, n_paths, n_steps, start, log_drift, self.sigma * math.sqrt(dt))


class OrnsteinUhlenbeck(_PathProcess):
    """Ornstein-Uhlenbeck process dX = theta (mu - X) dt + sigma dW, stepped exactly.

    x_{k+1} = mu + (x_k - mu) e^{-theta dt} + sigma sqrt((1 - e^{-2 theta dt}) / (2 theta)) z_k,
    a linear (AR(1)) recurrence computed by the ``linear_recurrence`` kernel
    (scipy.signal.lfilter on numpy, a compiled loop on numba, a log-depth
    doubling scan elsewhere: see :mod:`scicomp.kernels.paths`), stable for any
    theta * T. ``generate_paths(n_paths, T, n_steps, x0=None)``: x0 overrides the instance's.
    """

    def __init__(
        self, theta: float, mu: float, sigma: float, x0: float = 0.0, seed: Any = None, *, backend: str | Backend | None = None
    ):
        self.theta = check_positive("theta", theta)
        self.mu = check_scalar_parameter("mu", mu)
        self.sigma = check_scalar_parameter("sigma", sigma, check_positive)
        self.x0 = check_scalar_parameter("x0", x0)
        super().__init__(seed, backend)

    def __repr__(self) -> str:
        return f"OrnsteinUhlenbeck(theta={self.theta}, mu={self.mu}, sigma={self.sigma}, x0={self.x0}, seed={self.seed})"

    def _start(self, x0: Any) -> float:
        return self.x0 if x0 is None else check_scalar_parameter("x0", x0)

    def _paths(self, b, n_paths, n_steps, dt, start):
        a, c, s = construction.ou_coefficients(dt, self.theta, self.mu, self.sigma)
        return b.kernels.sample_ar1_paths(b, self._generator(b), n_paths, n_steps, start, a, c, s)

    def stationary_distribution(self) -> Any:
        """The stationary law N(mu, sigma^2 / (2 theta)) as a frozen ``scipy.stats.norm`` (host scalars)."""
        from scipy import stats

        return stats.norm(loc=self.mu, scale=self.sigma / (2.0 * self.theta) ** 0.5)

    def transition_distribution(self, T: float, x0: float | None = None) -> Any:
        """The exact law of X_T given X_0 = x0 (None: the instance's) as a frozen ``scipy.stats.norm``."""
        from scipy import stats

        T = check_positive("T", T)
        start = self._start(x0)
        decay = self.theta * T
        mean = self.mu + (start - self.mu) * math.exp(-decay)
        var = self.sigma**2 * -math.expm1(-2.0 * decay) / (2.0 * self.theta)
        return stats.norm(loc=mean, scale=math.sqrt(var))


class JumpDiffusion(_PathProcess):
    """Merton jump diffusion, stepped exactly.

    dS/S = (drift - lambda k) dt + volatility dW + (e^Y - 1) dN, with N a
    Poisson process of rate ``jump_rate`` and Y ~ N(jump_mean, jump_std^2),
    k = E[e^Y] - 1. The compensator lambda k makes ``drift`` the total
    expected return: E[S_t] = s0 e^{drift t}. Each step draws a Poisson
    count and two normals (see :func:`construction.jump_diffusion_paths`).
    ``generate_paths(n_paths, T, n_steps, x0=None)``: x0 overrides ``s0``.
    """

    _arrays_per_path = 4  # two normals, the jump counts and the paths

    def __init__(
        self,
        drift: float,
        volatility: float,
        jump_rate: float,
        jump_mean: float,
        jump_std: float,
        s0: float = 1.0,
        seed: Any = None,
        *,
        backend: str | Backend | None = None,
    ):
        self.drift = check_scalar_parameter("drift", drift)
        self.volatility = check_scalar_parameter("volatility", volatility, check_positive)
        self.jump_rate = check_non_negative("jump_rate", jump_rate)
        self.jump_mean = check_finite_number("jump_mean", jump_mean)
        self.jump_std = check_non_negative("jump_std", jump_std)
        self.s0 = check_scalar_parameter("s0", s0, check_positive)
        super().__init__(seed, backend)

    def __repr__(self) -> str:
        return (
            f"JumpDiffusion(drift={self.drift}, volatility={self.volatility}, jump_rate={self.jump_rate}, "
            f"jump_mean={self.jump_mean}, jump_std={self.jump_std}, s0={self.s0}, seed={self.seed})"
        )

    def _start(self, x0: Any) -> float:
        return self.s0 if x0 is None else check_scalar_parameter("x0", x0, check_positive)

    def _paths(self, b, n_paths, n_steps, dt, start):
        gen = self._generator(b)
        shape = (n_paths, n_steps)
        z = gen.standard_normal(shape)
        n_jumps = gen.poisson(self.jump_rate * dt, shape)
        z_jump = gen.standard_normal(shape)
        return construction.jump_diffusion_paths(
            b, z, n_jumps, z_jump, dt, self.drift, self.volatility, self.jump_rate, self.jump_mean, self.jump_std, start
        )
