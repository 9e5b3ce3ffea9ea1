"""Fixtures of the service tests: tokens, an in-process TestClient and a real uvicorn server.

The real server runs ``python -m scicomp serve`` with 2 workers on a free
loopback port in a subprocess; the fixture waits for both workers' startup
log lines (no sleeps) and always stops it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason='the service tests need the service extra: pip install "scicomp[service]"')
pytest.importorskip("httpx", reason="the service tests need httpx")

from scicomp.service.auth import create_token  # noqa: E402
from scicomp.service.settings import ServiceSettings  # noqa: E402

SECRET = "service-test-secret-0123456789-abcdefghijkl"  # 42 bytes
API = "/api/v1"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            # starlette's TestClient asks for httpx2; the client still works with httpx
            item.add_marker(pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"))


def token(permissions=("admin",), ttl: int = 3600, secret: str = SECRET, user: str = "tester", now: float | None = None) -> str:
    return create_token(secret.encode(), user, list(permissions), ttl, now=now)


def auth(permissions=("admin",), **kwargs) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(permissions, **kwargs)}"}


def make_settings(**overrides) -> ServiceSettings:
    values = {"jwt_secret": SECRET, "store_path": ":memory:", "threads": 2}
    values.update(overrides)
    return ServiceSettings(**values)


@pytest.fixture
def make_client():
    """Build a TestClient for given settings; every client is closed (lifespan ends) after the test."""
    from fastapi.testclient import TestClient

    from scicomp.service.app import create_app

    clients = []

    def factory(**overrides):
        client = TestClient(create_app(make_settings(**overrides)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A ``scicomp serve`` subprocess and the JSON log lines it wrote."""

    def __init__(self, args: list[str], env: dict[str, str], workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "scicomp", "serve", "--port", str(self.port), "--workers", str(workers), *args]
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._workers = workers
        self.proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout=120) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("the server did not start:\n" + "".join(self.lines[-30:]))

    def _read(self) -> None:
        started = 0
        for line in self.proc.stderr:
            self.lines.append(line)
            if "Application startup complete" in line:
                started += 1
                if started == self._workers:
                    self._ready.set()
        self._ready.set()  # the process ended: stop waiting

    def log_records(self, until: Any = None, timeout: float = 10.0) -> list[dict]:
        """The server's log lines so far, parsed; with ``until``, first wait (up to ``timeout``) for
        a record that satisfies it: lines reach us through a pipe and a reader thread, and a
        computation's line is written after its response."""
        deadline = time.monotonic() + timeout
        while True:
            records = []
            for line in list(self.lines):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    records.append({"unparsed": line})
            if until is None or any(until(r) for r in records) or time.monotonic() > deadline:
                return records
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    """The real server: 2 uvicorn workers, auth on, a file store, prometheus multiprocess mode."""
    store = tmp_path_factory.mktemp("store") / "results.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCICOMP_SERVICE_", "PROMETHEUS_MULTIPROC"))}
    env.update(SCICOMP_JWT_SECRET=SECRET, SCICOMP_SERVICE_LOG_LEVEL="INFO", TF_CPP_MIN_LOG_LEVEL="2")
    proc = ServerProcess(["--store", str(store), "--backend", "numpy"], env, workers=2)
    try:
        yield proc
    finally:
        proc.stop()
