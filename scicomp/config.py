"""Configuration: one place that decides every setting.

The process-wide configuration is a :class:`SciCompConfig`, built once at
import from the defaults, the file named by ``SCICOMP_CONFIG`` and the
``SCICOMP_*`` environment variables, in that order. ``set_config`` changes
it, ``config_context`` overrides it for a block of code in the current thread
or asyncio task only (a :mod:`contextvars` variable), and ``get_config``
returns a copy of the effective values.

Each value remembers where it came from (``config_sources()``), which
``scicomp info`` prints.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import importlib.util
import json
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = [
    "SciCompConfig",
    "get_config",
    "set_config",
    "config_context",
    "config_sources",
    "BACKEND_CHOICES",
    "FFT_METHOD_CHOICES",
    "PRECISION_CHOICES",
    "LOG_LEVEL_CHOICES",
]

BACKEND_CHOICES = ("auto", "numpy", "numba", "cupy", "tensorflow")
FFT_METHOD_CHOICES = ("scipy", "numpy", "mkl")
PRECISION_CHOICES = ("float32", "float64")
LOG_LEVEL_CHOICES = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
PLOT_BACKEND_CHOICES = ("matplotlib",)

_MKL_HINT = 'fft_method="mkl" needs mkl_fft and mkl-service: pip install "scicomp[mkl]"'


@dataclass
class SciCompConfig:
    """All of scicomp's settings, with their defaults.

    Fields
    ------
    backend : 'auto' | 'numpy' | 'numba' | 'cupy' | 'tensorflow'
        Backend used when a call does not name one. 'auto' picks cupy or
        TensorFlow-on-GPU when ``use_gpu`` is set and a GPU answers, else numpy.
    use_gpu : bool
        Prefer a GPU backend under 'auto'.
    strict_gpu : bool
        With ``use_gpu``, raise instead of falling back to the CPU.
    fft_method : 'scipy' | 'numpy' | 'mkl'
        FFT library of the numpy and numba backends.
    num_threads : int
        Threads for BLAS/OpenMP, Numba, scipy.fft and TensorFlow.
    memory_limit_gb : float
        Largest allocation an algorithm may make, and the GPU pool limit.
    float_precision : 'float64' | 'float32'
        Floating dtype of every array the backends create.
    convergence_tolerance, optimization_tolerance : float
        Default tolerances of iterative algorithms and optimisers.
    max_optimization_iterations : int
    default_sampling_rate : float
        Hz, used by ``SignalProcessor()`` when no rate is given.
    default_random_seed : int
    monte_carlo_samples : int
    log_level : str
        Level of the ``scicomp`` logger (the root logger is never touched).
    log_file : str or None
        When set, the ``scicomp`` logger also writes to this file.
    plot_backend : 'matplotlib'
    berkeley_theme : bool
        Plots use the Berkeley palette (#003262, #FDB515).
    """

    backend: str = "auto"
    use_gpu: bool = False
    strict_gpu: bool = False
    fft_method: str = "scipy"
    num_threads: int = dataclasses.field(default_factory=lambda: os.cpu_count() or 1)
    memory_limit_gb: float = 16
    float_precision: str = "float64"
    convergence_tolerance: float = 1e-8
    max_optimization_iterations: int = 1000
    optimization_tolerance: float = 1e-6
    default_sampling_rate: float = 1000.0
    default_random_seed: int = 42
    monte_carlo_samples: int = 10000
    log_level: str = "INFO"
    log_file: str | None = None
    plot_backend: str = "matplotlib"
    berkeley_theme: bool = True

    # -- validation ---------------------------------------------------------
    def problems(self) -> list[str]:
        """Return one message per invalid field (empty when all are valid)."""
        bad: list[str] = []

        def choice(field: str, choices: tuple[str, ...]) -> None:
            value = getattr(self, field)
            if value not in choices:
                bad.append(f"{field}={value!r}: must be one of {', '.join(map(repr, choices))}")

        def boolean(field: str) -> None:
            value = getattr(self, field)
            if not isinstance(value, bool):
                bad.append(f"{field}={value!r}: must be true or false")

        def positive(field: str, integer: bool = False, allow_zero: bool = False) -> None:
            value = getattr(self, field)
            kinds = (int,) if integer else (int, float)
            kind = "an integer" if integer else "a number"
            if isinstance(value, bool) or not isinstance(value, kinds):
                bad.append(f"{field}={value!r}: must be {kind}")
            elif not (value >= 0 if allow_zero else value > 0) or value != value or value == float("inf"):
                bound = ">= 0" if allow_zero else "> 0"
                bad.append(f"{field}={value!r}: must be a finite {kind[2:] if integer else 'number'} {bound}")

        choice("backend", BACKEND_CHOICES)
        boolean("use_gpu")
        boolean("strict_gpu")
        choice("fft_method", FFT_METHOD_CHOICES)
        positive("num_threads", integer=True)
        positive("memory_limit_gb")
        choice("float_precision", PRECISION_CHOICES)
        positive("convergence_tolerance")
        positive("max_optimization_iterations", integer=True)
        positive("optimization_tolerance")
        positive("default_sampling_rate")
        positive("default_random_seed", integer=True, allow_zero=True)
        positive("monte_carlo_samples", integer=True)
        choice("log_level", LOG_LEVEL_CHOICES)
        if self.log_file is not None and not isinstance(self.log_file, str):
            bad.append(f"log_file={self.log_file!r}: must be a path string or null")
        choice("plot_backend", PLOT_BACKEND_CHOICES)
        boolean("berkeley_theme")
        return bad

    def validate(self) -> bool:
        """Return True, or raise :class:`ConfigError` naming every bad field."""
        bad = self.problems()
        if bad:
            raise ConfigError("invalid scicomp configuration:\n  " + "\n  ".join(bad))
        return True

    # -- files ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, origin: str = "dict") -> SciCompConfig:
        """Build a config from a mapping; unknown keys are an error, never dropped."""
        if not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: expected a JSON object of config fields, got {type(values).__name__}")
        unknown = sorted(set(values) - _FIELD_NAMES)
        if unknown:
            raise ConfigError(
                f"{origin}: unknown config field(s) {', '.join(map(repr, unknown))}; "
                f"valid fields are {', '.join(sorted(_FIELD_NAMES))}"
            )
        config = cls(**values)
        bad = config.problems()
        if bad:
            raise ConfigError(f"{origin}: invalid scicomp configuration:\n  " + "\n  ".join(bad))
        return config

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> SciCompConfig:
        """Read a JSON config file (fields not in the file keep their defaults)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror or exc}") from exc
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"config file {str(path)!r} is not valid JSON: {exc}") from exc
        return cls.from_dict(values, origin=f"config file {str(path)!r}")

    def to_file(self, path: str | os.PathLike[str]) -> None:
        """Write this config as JSON; ``from_file`` reads back an equal config."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(SciCompConfig))


# -- environment -------------------------------------------------------------
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MEMORY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_MEMORY_SCALE_GB = {"": 1.0, "K": 1 / 1024**2, "M": 1 / 1024, "G": 1.0, "T": 1024.0}


def _parse_bool(var: str, text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ConfigError(f"{var}={text!r}: must be one of 1/true/yes/on or 0/false/no/off")


def _parse_choice(var: str, text: str, choices: tuple[str, ...], upper: bool = False) -> str:
    value = text.strip().upper() if upper else text.strip().lower()
    if value not in choices:
        raise ConfigError(f"{var}={text!r}: must be one of {', '.join(choices)}")
    return value


def _parse_threads(var: str, text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f"{var}={text!r}: must be a positive integer")
    return value


def parse_memory(text: str, var: str = "SCICOMP_MEMORY_LIMIT") -> float:
    """Parse a size such as '64G', '512M' or '2T' (a bare number is GB) into GB."""
    match = _MEMORY_RE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{var}={text!r}: must be a positive size such as 64G, 512M or 2T")
    return float(match.group(1)) * _MEMORY_SCALE_GB[match.group(2).upper()]


_ENV_PARSERS = {
    "SCICOMP_BACKEND": ("backend", lambda v, t: _parse_choice(v, t, BACKEND_CHOICES)),
    "SCICOMP_USE_GPU": ("use_gpu", _parse_bool),
    "SCICOMP_FFT_METHOD": ("fft_method", lambda v, t: _parse_choice(v, t, FFT_METHOD_CHOICES)),
    "SCICOMP_NUM_THREADS": ("num_threads", _parse_threads),
    "SCICOMP_PRECISION": ("float_precision", lambda v, t: _parse_choice(v, t, PRECISION_CHOICES)),
    "SCICOMP_MEMORY_LIMIT": ("memory_limit_gb", lambda v, t: parse_memory(t, v)),
    "SCICOMP_LOG_LEVEL": ("log_level", lambda v, t: _parse_choice(v, t, LOG_LEVEL_CHOICES, upper=True)),
}


def load_environment(environ: Mapping[str, str] | None = None) -> tuple[SciCompConfig, dict[str, str]]:
    """Build the config from defaults, ``SCICOMP_CONFIG`` and ``SCICOMP_*`` variables.

    Returns the config and, for every field, where its value came from.
    """
    environ = os.environ if environ is None else environ
    sources = {name: "default" for name in _FIELD_NAMES}
    values: dict[str, Any] = {}
    path = environ.get("SCICOMP_CONFIG")
    if path:
        try:
            from_file = SciCompConfig.from_file(path)
        except ConfigError as exc:
            raise ConfigError(f"SCICOMP_CONFIG: {exc}") from exc
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        for name in raw:
            values[name] = getattr(from_file, name)
            sources[name] = f"file {path}"
    for var, (field, parse) in _ENV_PARSERS.items():
        text = environ.get(var)
        if text is not None and text.strip() != "":
            values[field] = parse(var, text)
            sources[field] = f"env {var}"
    config = SciCompConfig(**values)
    config.validate()
    _check_runtime(config)
    return config, sources


def _check_runtime(config: SciCompConfig) -> None:
    """Checks that depend on this machine, made when a config becomes active."""
    if config.fft_method == "mkl" and any(importlib.util.find_spec(m) is None for m in ("mkl_fft", "mkl")):
        raise ConfigError(_MKL_HINT)


# -- process-wide and context-local state -----------------------------------
_lock = threading.Lock()
_global_config, _global_sources = load_environment()
_context_config: contextvars.ContextVar[SciCompConfig | None] = contextvars.ContextVar("scicomp_config", default=None)
_listeners: list[Any] = []


def current_config() -> SciCompConfig:
    """The effective config, not copied: read it, never mutate it (hot path)."""
    return _context_config.get() or _global_config


def get_config() -> SciCompConfig:
    """Return a copy of the effective configuration (changing it changes nothing)."""
    return dataclasses.replace(current_config())


def config_sources() -> dict[str, str]:
    """Where each effective value came from: default, file, env, set_config or context."""
    sources = dict(_global_sources)
    local = _context_config.get()
    if local is not None:
        for name in _FIELD_NAMES:
            if getattr(local, name) != getattr(_global_config, name):
                sources[name] = "config_context"
    return sources


def _changed(base: SciCompConfig, changes: Mapping[str, Any]) -> SciCompConfig:
    unknown = sorted(set(changes) - _FIELD_NAMES)
    if unknown:
        raise ConfigError(
            f"unknown config field(s) {', '.join(map(repr, unknown))}; valid fields are {', '.join(sorted(_FIELD_NAMES))}"
        )
    config = dataclasses.replace(base, **changes)
    config.validate()
    _check_runtime(config)
    return config


def set_config(**changes: Any) -> None:
    """Change the process-wide configuration; nothing is applied if any value is bad.

    Inside a ``config_context`` block the change lasts until the block exits.

    >>> import scicomp
    >>> scicomp.set_config(float_precision="float32")  # doctest: +SKIP
    """
    global _global_config
    local = _context_config.get()
    if local is not None:
        _context_config.set(_changed(local, changes))
        return
    with _lock:
        new = _changed(_global_config, changes)
        _global_config = new
        for name in changes:
            _global_sources[name] = "set_config"
    _notify(new)


@contextlib.contextmanager
def config_context(**changes: Any) -> Iterator[SciCompConfig]:
    """Override settings inside a ``with`` block, in this thread or task only.

    The previous values come back on exit, also when the block raises.

    >>> with scicomp.config_context(backend="numba"):  # doctest: +SKIP
    ...     spectrum = SignalProcessor().compute_fft(x)
    """
    new = _changed(current_config(), changes)
    token = _context_config.set(new)
    try:
        yield dataclasses.replace(new)
    finally:
        _context_config.reset(token)


def run_with_current_config(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Wrap ``fn`` so it runs in a worker thread with the caller's config.

    Threads start from the process-wide config; scicomp's own pools submit
    ``functools.partial(run_with_current_config(...))`` so a ``config_context``
    reaches them (the lesson of scikit-learn's joblib fix).
    """
    context = contextvars.copy_context()
    return lambda: context.run(fn, *args, **kwargs)


def add_listener(callback: Any) -> None:
    """Call ``callback(config)`` whenever the process-wide config changes.

    Used for process-global state such as the ``scicomp`` logger's level;
    ``config_context`` overrides are per thread and do not reach listeners.
    """
    _listeners.append(callback)


def _notify(config: SciCompConfig) -> None:
    for callback in _listeners:
        try:
            callback(config)
        except Exception:  # a listener must never break configuration
            logging.getLogger("scicomp.config").exception("config listener failed")
