"""What the ``serve``, ``token`` and ``store`` CLI subcommands do (the CLI only parses and prints)."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from ..errors import ConfigError
from .settings import MIN_SECRET_BYTES, ServiceSettings

__all__ = ["serve", "make_token", "open_store", "uvicorn_log_config"]


def settings_from(overrides: dict[str, Any]) -> ServiceSettings:
    """Settings from the environment with the given (non-None) overrides on top."""
    try:
        return ServiceSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:  # pydantic's ValidationError: a bad env value or flag
        raise ConfigError(f"invalid service settings: {exc}") from None


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """uvicorn's own messages as JSON lines too (access log off: the service logs computations)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "scicomp.service.logs.JSONFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {"uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False}},
    }


def serve(overrides: dict[str, Any]) -> None:
    """Check the settings, hand them to the workers through the environment and run uvicorn."""
    import uvicorn

    from ..config import current_config

    settings = settings_from(overrides)
    settings.check()
    os.environ.update(settings.to_environ())
    own_dir = None
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_dir = tempfile.mkdtemp(prefix="scicomp-prometheus-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_dir
    level = settings.log_level or current_config().log_level
    try:
        uvicorn.run(
            "scicomp.service.app:create_app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            access_log=False,
            log_config=uvicorn_log_config(level),
            log_level=level.lower(),
            timeout_graceful_shutdown=10,
        )
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)


def make_token(user: str, permissions: str, ttl: str, secret_file: str | None) -> str:
    """A token signed with ``SCICOMP_JWT_SECRET`` or the secret in ``secret_file``."""
    from .auth import create_token, parse_ttl

    settings = settings_from({"jwt_secret_file": secret_file})
    secret = settings.secret_bytes()
    if not secret:
        raise ConfigError("no JWT secret: export SCICOMP_JWT_SECRET or pass --jwt-secret-file")
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError(f"the JWT secret is {len(secret)} bytes; it must be at least {MIN_SECRET_BYTES} bytes")
    try:
        return create_token(secret, user, permissions, parse_ttl(ttl))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def open_store(path: str | None) -> Any:
    """The result store at ``path`` (default: the service's configured store path)."""
    from .store import ResultStore

    store_path = path or settings_from({}).store_path
    return ResultStore(store_path)
