"""scicomp: scientific computing written once, run on NumPy, Numba, CuPy or TensorFlow.

>>> import scicomp
>>> scicomp.available_backends()  # doctest: +SKIP
['numpy', 'numba', 'tensorflow']
>>> with scicomp.use_backend("numpy"):  # doctest: +SKIP
...     ...

Importing scicomp loads neither TensorFlow, CuPy nor Numba: each loads the
first time its backend is used. Algorithm modules load on first attribute
access too (``scicomp.SignalProcessor``).
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _logging
from ._version import __version__
from .backends import (
    Backend,
    asarray,
    available_backends,
    backend_info,
    get_backend,
    to_numpy,
    use_backend,
)
from .config import SciCompConfig, config_context, config_sources, get_config, set_config
from .config import add_listener as _add_listener
from .config import current_config as _current_config
from .errors import BackendUnavailableError, ConfigError, IllConditionedWarning

_logging.apply_logging(_current_config())
_add_listener(_logging.apply_logging)

# Public names that live in modules loaded on first use.
_LAZY = {
    "SignalProcessor": "scicomp.signal",
    "BrownianMotion": "scicomp.stochastic",
    "GeometricBrownianMotion": "scicomp.stochastic",
    "OrnsteinUhlenbeck": "scicomp.stochastic",
    "JumpDiffusion": "scicomp.stochastic",
    "PoissonProcess": "scicomp.stochastic",
    "euler_maruyama": "scicomp.stochastic",
    "milstein": "scicomp.stochastic",
    "price_european_option": "scicomp.stochastic",
    "black_scholes_price": "scicomp.stochastic",
    "BFGS": "scicomp.optimize",
    "LBFGS": "scicomp.optimize",
    "GradientDescent": "scicomp.optimize",
    "OptimizeResult": "scicomp.optimize",
    "MatrixOperations": "scicomp.linalg",
}
_SUBMODULES = ("signal", "stochastic", "optimize", "linalg", "plot", "keras", "kernels", "cli", "validate")

__all__ = [
    "__version__",
    "SciCompConfig",
    "get_config",
    "set_config",
    "config_context",
    "config_sources",
    "ConfigError",
    "BackendUnavailableError",
    "IllConditionedWarning",
    "Backend",
    "available_backends",
    "backend_info",
    "get_backend",
    "use_backend",
    "asarray",
    "to_numpy",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"scicomp.{name}")
    raise AttributeError(f"module 'scicomp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
