"""The real server: uvicorn with 2 worker processes on a loopback port (see the ``server`` fixture)."""

from __future__ import annotations

import io
import json
import re
import socket

import httpx
import numpy as np

from scicomp.signal import SignalProcessor

from .conftest import API, SECRET, auth, token


def scrape(url: str) -> str:
    with httpx.Client(timeout=30) as http:  # a fresh connection: any worker may answer
        response = http.get(url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def value(text: str, name: str, **labels) -> float:
    want = sorted(f'{k}="{v}"' for k, v in labels.items())
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match and sorted(filter(None, (match.group(1) or "").split(","))) == want:
            total += float(match.group(2))
    return total


def test_health_and_openapi(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        health = http.get("/health").json()
        assert health["status"] == "healthy"
        schema = http.get("/openapi.json").json()
        assert {API + "/signal/fft", API + "/linalg/solve", "/health", "/metrics"} <= set(schema["paths"])
        detailed = http.get("/health/detailed", headers=auth(["admin"]))
        assert detailed.status_code == 200 and detailed.json()["backend"] == "numpy"


def test_metrics_are_aggregated_over_the_workers(server):
    ep = API + "/signal/fft"
    before = value(scrape(server.url), "scicomp_requests_total", method="POST", endpoint=ep, status="200")
    rng = np.random.default_rng(3)
    n = 24
    for _ in range(n):
        with httpx.Client(base_url=server.url, timeout=30) as http:  # new connections spread over the workers
            body = {"signal": rng.standard_normal(512).tolist(), "sampling_rate": 8.0}
            assert http.post(ep, json=body, headers=auth(["signal"])).status_code == 200
    # every scrape, whichever worker answers it, sees the sum over both workers
    totals = {value(scrape(server.url), "scicomp_requests_total", method="POST", endpoint=ep, status="200") for _ in range(6)}
    assert totals == {before + n}
    text = scrape(server.url)
    assert value(text, "scicomp_fft_computation_seconds_count", signal_size="1024") >= n
    assert value(text, "scicomp_memory_usage_bytes") > 20e6
    records = server.log_records(until=lambda r: r.get("event") == "computation")
    pids = {r.get("process") for r in records if r.get("event") == "computation"}
    assert len(pids) >= 1  # (usually 2: the kernel spreads new connections over both workers)


def test_npy_round_trip_over_http(server):
    signal = np.random.default_rng(4).standard_normal(4096)
    stream = io.BytesIO()
    np.save(stream, signal, allow_pickle=False)
    headers = {**auth(["signal"]), "content-type": "application/x-npy", "accept": "application/x-npy"}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        response = http.post(API + "/signal/fft?sampling_rate=1000&normalize=false", content=stream.getvalue(), headers=headers)
    assert response.status_code == 200, response.text
    out = np.load(io.BytesIO(response.content), allow_pickle=False)
    f, m = SignalProcessor(1000.0).compute_fft(signal, normalize=False)
    np.testing.assert_array_equal(out[0], f)
    np.testing.assert_allclose(out[1], m, rtol=1e-12)


def test_body_over_the_limit_is_413_before_it_is_read(server):
    """Only the headers are sent: the server answers 413 from Content-Length without waiting for the body."""
    host, port = "127.0.0.1", server.port
    request = (
        f"POST {API}/signal/fft HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token(['signal'])}\r\nContent-Length: {17 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(request.encode())
        reply = b""
        while b"}" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert json.loads(body) == {
        "status": "error",
        "message": f"the request body of {17 * 1024 * 1024} bytes exceeds the limit of {16 * 1024 * 1024} bytes",
    }


def test_logs_are_json_lines_without_secrets(server):
    good = token(["linalg"])
    bad = token(["linalg"], secret="wrong-secret-wrong-secret-wrong-secret-0000")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        body = {"matrix": [[3.0, 1.0], [1.0, 2.0]], "rhs": [9.0, 8.0]}
        ok = http.post(
            API + "/linalg/solve", json=body, headers={"Authorization": f"Bearer {good}", "x-request-id": "req-solve-1"}
        )
        assert ok.status_code == 200 and ok.headers["x-request-id"] == "req-solve-1"
        denied = http.post(
            API + "/linalg/solve", json=body, headers={"Authorization": f"Bearer {bad}", "x-request-id": "req-bad-2"}
        )
        assert denied.status_code == 401
        singular = http.post(
            API + "/linalg/solve", json={"matrix": [[1, 2], [2, 4]], "rhs": [1, 2]}, headers={"Authorization": f"Bearer {good}"}
        )
        assert singular.status_code == 422
    records = server.log_records(until=lambda r: r.get("type") == "LinAlgError")  # the last request's line
    records = server.log_records(until=lambda r: r.get("event") == "computation" and r.get("request_id") == "req-solve-1")
    assert all("unparsed" not in r for r in records), [r for r in records if "unparsed" in r][:3]
    computation = [r for r in records if r.get("event") == "computation" and r.get("request_id") == "req-solve-1"]
    assert len(computation) == 1
    line = computation[0]
    assert line["operation"] == "linalg.solve" and line["backend"] == "numpy" and line["success"] is True
    assert line["cached"] in (True, False) and line["duration_ms"] >= 0 and line["timestamp"]
    assert line["params"] == {"matrix": {"shape": [2, 2]}, "rhs": {"shape": [2]}}  # shapes, never data
    errors = [r for r in records if r.get("event") == "error" and r.get("request_id") == "req-bad-2"]
    assert len(errors) == 1 and errors[0]["status"] == 401 and errors[0]["type"] == "AuthError" and errors[0]["message"]
    assert any(r.get("event") == "error" and r.get("type") == "LinAlgError" for r in records)
    text = "".join(server.lines)
    assert good not in text and bad not in text and SECRET not in text
    assert good.split(".")[1] not in text  # not even the claims part
