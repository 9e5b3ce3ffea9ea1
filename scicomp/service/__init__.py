"""scicomp as a REST service: FastAPI app, JWT auth, Prometheus metrics, result store.

Needs the ``service`` extra (``pip install "scicomp[service]"``). Start it with
``scicomp serve``; build the app in code with :func:`create_app`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "ServiceSettings"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "ServiceSettings":
        from .settings import ServiceSettings

        return ServiceSettings
    raise AttributeError(f"module 'scicomp.service' has no attribute {name!r}")
