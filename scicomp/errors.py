"""Exceptions and warnings raised by scicomp."""

from __future__ import annotations

__all__ = ["ConfigError", "BackendUnavailableError", "IllConditionedWarning", "MemoryLimitError"]


class ConfigError(ValueError):
    """A configuration value (field, file or environment variable) is invalid.

    The message names every bad field and the valid choices.
    """


class BackendUnavailableError(RuntimeError):
    """A backend was asked for by name but cannot run on this machine.

    The message names the cause (package missing, no device, driver too old)
    and the pip extra that brings the backend.
    """


class IllConditionedWarning(RuntimeWarning):
    """A linear system or inverse was computed for an ill-conditioned matrix."""


class MemoryLimitError(ValueError):
    """A request would allocate more than the configured ``memory_limit_gb``.

    Raised before anything is allocated; the message says how much the
    request needs and how to shrink it or raise the limit.
    """
