"""Service settings: one pydantic object read from flags and environment.

Every field can be set with an environment variable ``SCICOMP_SERVICE_<FIELD>``
(for example ``SCICOMP_SERVICE_TIME_LIMIT_S=10``); the two secrets have their
own names, ``SCICOMP_JWT_SECRET`` and ``SCICOMP_ENCRYPTION_KEY``. ``scicomp
serve`` flags override the environment. ``check()`` refuses settings that
would make an unsafe or broken server (auth on without a 32-byte secret,
``--no-auth`` on a non-loopback host, encryption without a valid key).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..errors import ConfigError

__all__ = ["ServiceSettings", "default_store_path", "is_loopback", "MIN_SECRET_BYTES"]

MIN_SECRET_BYTES = 32


def default_store_path() -> str:
    """``results.sqlite3`` in the platform's user data directory for scicomp."""
    import platformdirs

    return str(Path(platformdirs.user_data_dir("scicomp", appauthor=False)) / "results.sqlite3")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServiceSettings(BaseSettings):
    """Settings of ``scicomp serve`` (see the module docstring for the env names)."""

    model_config = SettingsConfigDict(env_prefix="SCICOMP_SERVICE_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes")
    threads: int = Field(default_factory=lambda: max(2, min(8, os.cpu_count() or 1)), ge=1, le=256)
    auth: bool = True
    jwt_secret: SecretStr | None = Field(None, validation_alias="SCICOMP_JWT_SECRET")
    jwt_secret_file: str | None = None
    time_limit_s: float = Field(30.0, gt=0)
    max_array_elements: int = Field(10**6, ge=1)
    max_path_steps: int = Field(10**7, ge=1)
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    store_path: str = Field(default_factory=default_store_path, description="SQLite file, or ':memory:'")
    cache: bool = True
    store_max_mb: float = Field(1024.0, ge=0, description="past this many MB of results the oldest are evicted; 0: no limit")
    encrypt: bool = False
    encryption_key: SecretStr | None = Field(None, validation_alias="SCICOMP_ENCRYPTION_KEY")
    backend: str | None = None
    dask_scheduler: str | None = Field(None, description="tcp://host:8786: hand large pricing requests to this Dask cluster")
    dask_min_paths: int = Field(10**6, ge=1, description="option-price requests with at least this many paths go to Dask")
    log_level: str | None = None
    log_file: str | None = None

    def secret_bytes(self) -> bytes | None:
        """The JWT secret: the file ``jwt_secret_file`` when set (it is explicit), else ``jwt_secret``."""
        if self.jwt_secret_file:
            try:
                return Path(self.jwt_secret_file).read_bytes().strip()
            except OSError as exc:
                raise ConfigError(f"--jwt-secret-file {self.jwt_secret_file!r}: cannot read it ({exc.strerror})") from exc
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value():
            return self.jwt_secret.get_secret_value().encode()
        return None

    def check(self) -> None:
        """Raise :class:`ConfigError` when the server must not start with these settings."""
        if self.auth:
            secret = self.secret_bytes()
            if not secret:
                raise ConfigError(
                    "auth is on but no JWT secret is set: export SCICOMP_JWT_SECRET or pass --jwt-secret-file "
                    "(there is no default secret); --no-auth is allowed on a loopback host only"
                )
            if len(secret) < MIN_SECRET_BYTES:
                raise ConfigError(f"the JWT secret is {len(secret)} bytes; it must be at least {MIN_SECRET_BYTES} bytes")
        elif not is_loopback(self.host):
            raise ConfigError(f"--no-auth is refused on host {self.host!r}: it is allowed only on a loopback address")
        if self.encrypt:
            key = self.encryption_key.get_secret_value() if self.encryption_key is not None else ""
            if not key:
                raise ConfigError("encryption at rest is on but SCICOMP_ENCRYPTION_KEY is not set")
            from cryptography.fernet import Fernet

            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                raise ConfigError(
                    "SCICOMP_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes; "
                    "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
                ) from None
        if self.log_level is not None and self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ConfigError(f"log_level={self.log_level!r}: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        if self.backend is not None:
            from ..config import BACKEND_CHOICES

            if self.backend not in BACKEND_CHOICES:
                raise ConfigError(f"backend={self.backend!r}: must be one of {', '.join(BACKEND_CHOICES)}")

    def to_environ(self) -> dict[str, str]:
        """These settings as ``SCICOMP_SERVICE_*`` variables, to hand to worker processes.

        The secrets are passed under their own names so child processes read them as the parent did.
        """
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if name in ("jwt_secret", "encryption_key") or value is None:
                continue
            env[f"SCICOMP_SERVICE_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
        if self.jwt_secret is not None:
            env["SCICOMP_JWT_SECRET"] = self.jwt_secret.get_secret_value()
        if self.encryption_key is not None:
            env["SCICOMP_ENCRYPTION_KEY"] = self.encryption_key.get_secret_value()
        return env

    def summary(self) -> dict[str, Any]:
        """Settings safe to print or log (secrets shown only as set / not set)."""
        data = self.model_dump(exclude={"jwt_secret", "encryption_key"})
        data["jwt_secret"] = "set" if self.jwt_secret is not None else "not set"
        data["encryption_key"] = "set" if self.encryption_key is not None else "not set"
        return data
