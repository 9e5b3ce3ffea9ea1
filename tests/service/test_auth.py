"""Auth matrix: every endpoint x no token / malformed / bad signature / expired / alg none / wrong permission / right."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest

from scicomp.cli import main as cli_main
from scicomp.errors import ConfigError
from scicomp.service.auth import AuthError, parse_permissions, parse_ttl, verify_token

from .conftest import API, SECRET, auth, make_settings, token

# A small valid body per endpoint, and the permission it needs.
ENDPOINTS = {
    "/signal/fft": ("signal", {"signal": [0.0, 1.0, 0.0, -1.0], "sampling_rate": 4.0}),
    "/signal/psd": ("signal", {"signal": [0.0, 1.0, 0.0, -1.0] * 8, "sampling_rate": 4.0, "nperseg": 8}),
    "/stochastic/brownian": ("stochastic", {"n_paths": 2, "n_steps": 4, "seed": 1}),
    "/stochastic/option-price": (
        "stochastic",
        {"s0": 100, "strike": 100, "rate": 0.05, "sigma": 0.2, "T": 1, "n_paths": 1000, "seed": 1},
    ),
    "/optimize/minimize": ("optimize", {"objective": "booth", "x0": [0.0, 0.0]}),
    "/linalg/condition-number": ("linalg", {"matrix": [[2.0, 0.0], [0.0, 1.0]]}),
    "/linalg/solve": ("linalg", {"matrix": [[2.0, 0.0], [0.0, 1.0]], "rhs": [1.0, 1.0]}),
}
OTHER = {"signal": "optimize", "stochastic": "linalg", "optimize": "signal", "linalg": "stochastic"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _alg_none_token() -> str:
    now = int(time.time())
    claims = {"sub": "mallory", "permissions": ["admin"], "iat": now, "exp": now + 3600}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


BAD_HEADERS = {
    "missing": {},
    "not-bearer": {"Authorization": f"Basic {token()}"},
    "malformed": {"Authorization": "Bearer not.a.jwt"},
    "empty-bearer": {"Authorization": "Bearer "},
    "wrong-secret": {"Authorization": f"Bearer {token(secret='another-secret-that-is-long-enough-0123456789')}"},
    "expired": {"Authorization": f"Bearer {token(ttl=60, now=time.time() - 3600)}"},
    "alg-none": {"Authorization": f"Bearer {_alg_none_token()}"},
    "hs512": {
        "Authorization": "Bearer "
        + jwt.encode(
            {"sub": "x", "permissions": ["admin"], "iat": int(time.time()), "exp": int(time.time()) + 60},
            SECRET.encode() * 2,  # 64+ bytes: PyJWT's minimum for HS512
            algorithm="HS512",
        )
    },
    "no-permissions-claim": {
        "Authorization": "Bearer "
        + jwt.encode({"sub": "x", "iat": int(time.time()), "exp": int(time.time()) + 60}, SECRET.encode(), algorithm="HS256")
    },
}


@pytest.mark.parametrize("path", list(ENDPOINTS))
@pytest.mark.parametrize("case", list(BAD_HEADERS))
def test_bad_credentials_are_401(client, path, case):
    response = client.post(API + path, json=ENDPOINTS[path][1], headers=BAD_HEADERS[case])
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["status"] == "error" and body["message"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_wrong_permission_is_403_and_right_one_succeeds(client, path):
    permission, body = ENDPOINTS[path]
    wrong = client.post(API + path, json=body, headers=auth([OTHER[permission]]))
    assert wrong.status_code == 403, wrong.text
    assert permission in wrong.json()["message"]
    right = client.post(API + path, json=body, headers=auth([permission]))
    assert right.status_code == 200, right.text
    assert right.json()["status"] == "success"
    admin = client.post(API + path, json=body, headers=auth(["admin"]))
    assert admin.status_code == 200


def test_health_and_metrics_are_open_detailed_needs_admin(client):
    assert client.get("/health").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/health/detailed").status_code == 401
    assert client.get("/health/detailed", headers=auth(["signal", "linalg"])).status_code == 403
    assert client.get("/health/detailed", headers=auth(["admin"])).status_code == 200


def test_no_auth_mode_needs_no_token(make_client):
    client = make_client(auth=False, jwt_secret=None)
    path, (_, body) = next(iter(ENDPOINTS.items()))
    assert client.post(API + path, json=body).status_code == 200


def test_auth_matrix_on_the_real_server(server):
    """The same rules over HTTP on the 2-worker uvicorn server."""
    path, (permission, body) = "/linalg/solve", ENDPOINTS["/linalg/solve"]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for case, headers in BAD_HEADERS.items():
            if case == "empty-bearer":
                continue  # httpx refuses to send a header value with trailing whitespace
            assert http.post(API + path, json=body, headers=headers).status_code == 401, case
        assert http.post(API + path, json=body, headers=auth(["signal"])).status_code == 403
        assert http.post(API + path, json=body, headers=auth([permission])).status_code == 200


# -- startup refusals and the token command ----------------------------------------
def test_startup_refuses_unsafe_settings(monkeypatch):
    monkeypatch.delenv("SCICOMP_JWT_SECRET", raising=False)
    with pytest.raises(ConfigError, match="no JWT secret"):
        make_settings(jwt_secret=None).check()
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        make_settings(jwt_secret="short").check()
    with pytest.raises(ConfigError, match="loopback"):
        make_settings(auth=False, host="0.0.0.0").check()
    make_settings(auth=False, host="127.0.0.1", jwt_secret=None).check()
    make_settings(auth=False, host="::1", jwt_secret=None).check()
    with pytest.raises(ConfigError, match="SCICOMP_ENCRYPTION_KEY"):
        make_settings(encrypt=True).check()
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        make_settings(encrypt=True, encryption_key="not-a-key").check()


def test_cli_serve_refuses_without_secret(monkeypatch, capsys):
    monkeypatch.delenv("SCICOMP_JWT_SECRET", raising=False)
    assert cli_main(["serve", "--port", "1"]) == 2
    assert "no JWT secret" in capsys.readouterr().err
    assert cli_main(["serve", "--no-auth", "--host", "0.0.0.0", "--port", "1"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_token_create_prints_a_verifiable_token(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SCICOMP_JWT_SECRET", SECRET)
    assert cli_main(["token", "create", "--user", "alice", "--permissions", "signal,optimize", "--ttl", "24h"]) == 0
    printed = capsys.readouterr().out.strip()
    principal = verify_token(SECRET.encode(), f"Bearer {printed}")
    assert principal.user == "alice" and principal.permissions == {"signal", "optimize"}
    claims = jwt.decode(printed, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 24 * 3600
    # the secret from a file, and refusals
    monkeypatch.delenv("SCICOMP_JWT_SECRET")
    secret_file = tmp_path / "secret"
    secret_file.write_text("f" * 40 + "\n")
    assert cli_main(["token", "create", "--user", "bob", "--permissions", "admin", "--jwt-secret-file", str(secret_file)]) == 0
    assert verify_token(b"f" * 40, "Bearer " + capsys.readouterr().out.strip()).user == "bob"
    assert cli_main(["token", "create", "--user", "bob", "--permissions", "admin"]) == 2
    assert "no JWT secret" in capsys.readouterr().err
    assert cli_main(["token", "create", "--user", "bob", "--permissions", "root", "--jwt-secret-file", str(secret_file)]) == 2
    assert "--permissions" in capsys.readouterr().err


def test_ttl_and_permission_parsing():
    assert [parse_ttl(t) for t in ("90", "30m", "24h", "7d", "10s")] == [90, 1800, 86400, 604800, 10]
    for bad in ("", "-1", "5y", "0"):
        with pytest.raises(ValueError, match="--ttl"):
            parse_ttl(bad)
    assert parse_permissions("signal, admin") == ["signal", "admin"]
    with pytest.raises(ValueError):
        parse_permissions("signal,root")


def test_verified_tokens_expire_even_when_cached():
    from scicomp.service.auth import Principal, TokenVerifier

    verify = TokenVerifier(SECRET.encode())
    fresh = f"Bearer {token(['signal'])}"
    assert verify(fresh).permissions == {"signal"}
    assert fresh in verify._cache  # the second call is answered from the cache
    assert verify(fresh).user == "tester"
    expired = f"Bearer {token(ttl=60, now=time.time() - 3600)}"
    verify._cache[expired] = (Principal("tester", frozenset({"admin"})), time.time() - 3540)  # cached while it was valid
    with pytest.raises(AuthError) as info:
        verify(expired)
    assert info.value.status == 401 and "expired" in info.value.message
