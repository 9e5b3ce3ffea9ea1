"""Load benchmark of the REST service (issue 5): not a test, run it by hand.

Starts ``scicomp serve`` with 2 workers on a free loopback port, then

1. a single client posts 4096-sample FFT requests one after another, as JSON
   and as ``application/x-npy`` (``Accept`` x-npy too), and reports the p50,
   with httpx (the figure checked against the targets) and with the standard
   library's http.client (less client overhead: nearer the service's own time).
   In the same interleaved rounds it measures a do-nothing ASGI app on the same
   uvicorn (the floor), so a slow moment of the machine shows as a high floor;
2. 100 concurrent clients (httpx async) post 4096-sample FFT requests for
   30 s and it reports requests/s, p50/p95/p99 latency and the error count.

Every request carries a different signal (so every request is computed and
written to the result store) unless ``--repeat`` sends one signal over and
over (then the store answers). Targets on a 2-core machine: 0 errors,
>= 300 requests/s with 100 clients, single-client p50 <= 3 ms (JSON) and
<= 1.5 ms (x-npy). Results go to ``benchmarks/results/service_load_<cpu>.json``.

    python benchmarks/load_service.py [--duration 30] [--clients 100] [--repeat]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import io
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import orjson

from scicomp.service.auth import create_token

N_SAMPLES = 4096
URL_PATH = "/api/v1/signal/fft"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, store: str, secret: str, extra: list[str], log_path: Path) -> subprocess.Popen:
    """Start ``scicomp serve``; return once every worker has reported startup.

    The server's log (one JSON line per computation) goes to ``log_path``, not to a
    pipe: draining a pipe would take a thread, and CPU, in the measuring process.
    """
    env = dict(os.environ, SCICOMP_JWT_SECRET=secret)
    cmd = [sys.executable, "-m", "scicomp", "serve", "--port", str(port), "--workers", str(workers), "--store", store, *extra]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 120
    while log_path.read_text().count("Application startup complete") < workers:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = log_path.read_text()[-2000:]
            raise RuntimeError(f"the server did not start:\n{tail}")
        time.sleep(0.1)
    return proc


# The x-npy FFT answer's size: a 128-byte .npy header and 2 x 2049 float64.
_FLOOR_BODY = bytes(128 + 2 * (N_SAMPLES // 2 + 1) * 8)


async def floor_app(scope: dict, receive, send) -> None:
    """A do-nothing ASGI app: reads the request and answers bytes of the x-npy FFT response's size.

    Run on the same uvicorn, client and machine, it gives the floor under the
    service's latency: what HTTP, the client and the machine's current state cost.
    """
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"application/x-npy"), (b"content-length", str(len(_FLOOR_BODY)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _FLOOR_BODY})


def start_floor_server(port: int) -> subprocess.Popen:
    """:func:`floor_app` on uvicorn (one worker) on ``port``; return once it accepts connections."""
    cmd = [sys.executable, "-m", "uvicorn", "load_service:floor_app", "--app-dir", str(Path(__file__).parent)]
    cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the floor server did not start") from None
            time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def json_body(rng: np.random.Generator) -> bytes:
    return orjson.dumps({"signal": rng.standard_normal(N_SAMPLES), "sampling_rate": 1000.0}, option=orjson.OPT_SERIALIZE_NUMPY)


def npy_body(rng: np.random.Generator) -> bytes:
    stream = io.BytesIO()
    np.save(stream, rng.standard_normal(N_SAMPLES), allow_pickle=False)
    return stream.getvalue()


def single_client(base: str, token: str, n: int, kind: str, repeat: bool, client: str, seed: int) -> tuple[list[float], int]:
    """Latencies (ms) of ``n`` requests sent one after another on one connection, after 20 warm-up requests.

    ``client="httpx"`` (what the targets are checked with) or ``"stdlib"``:
    http.client, which spends ~0.3 ms less per request than httpx here, so its
    figure is nearer the service's own latency.
    """
    rng = np.random.default_rng(seed)
    headers = {"authorization": f"Bearer {token}"}
    if kind == "json":
        headers["content-type"] = "application/json"
        make = json_body
    else:
        headers["content-type"] = "application/x-npy"
        headers["accept"] = "application/x-npy"
        make = npy_body
    path = URL_PATH + ("?sampling_rate=1000" if kind == "npy" else "")
    fixed = make(rng)
    latencies = []
    errors = 0
    if client == "httpx":
        session = httpx.Client(timeout=30)

        def post(body: bytes) -> int:
            return session.post(base + path, content=body, headers=headers).status_code

    else:
        host, port = base.removeprefix("http://").split(":")
        session = http.client.HTTPConnection(host, int(port), timeout=30)

        def post(body: bytes) -> int:
            session.request("POST", path, body=body, headers=headers)
            response = session.getresponse()
            response.read()
            return response.status

    try:
        for i in range(n + 20):
            body = fixed if repeat else make(rng)
            t0 = time.perf_counter()
            status = post(body)
            dt = time.perf_counter() - t0
            if status != 200:
                errors += 1
            if i >= 20:  # warm-up excluded
                latencies.append(dt * 1000)
    finally:
        session.close()
    return latencies, errors


def single_clients(service: str, floor: str, token: str, n: int, repeat: bool, rounds: int = 5) -> dict:
    """Single-client p50/p95 per (server, body kind, client), measured in interleaved rounds.

    The machine's speed drifts (a shared VM: the same empty server has read
    0.7 ms and 2.4 ms within minutes), so every combination gets a share of
    each round and the service is compared with the floor measured alongside it.
    """
    combos = [("service", kind, client) for kind in ("json", "npy") for client in ("httpx", "stdlib")]
    combos += [("floor", "npy", client) for client in ("httpx", "stdlib")]
    samples: dict[tuple[str, str, str], list[float]] = {c: [] for c in combos}
    errors = dict.fromkeys(combos, 0)
    for r in range(rounds):
        for i, combo in enumerate(combos):
            base = service if combo[0] == "service" else floor
            lat, err = single_client(base, token, max(1, n // rounds), combo[1], repeat, combo[2], seed=1000 * r + i)
            samples[combo] += lat
            errors[combo] += err
    return {
        combo: {
            "server": combo[0],
            "body": combo[1],
            "client": combo[2],
            "requests": len(lat),
            "errors": errors[combo],
            "p50_ms": float(np.percentile(lat, 50)),
            "p95_ms": float(np.percentile(lat, 95)),
        }
        for combo, lat in samples.items()
    }


async def load(base: str, token: str, clients: int, duration: float, repeat: bool) -> dict:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    latencies: list[float] = []
    errors: list[str] = []

    async def client_loop(client: httpx.AsyncClient, seed: int) -> None:
        rng = np.random.default_rng(seed)
        fixed = json_body(rng)
        while time.perf_counter() < stop:
            body = fixed if repeat else json_body(rng)
            t0 = time.perf_counter()
            try:
                r = await client.post(base + URL_PATH, content=body, headers=headers)
                ok = r.status_code == 200
                if not ok:
                    errors.append(f"HTTP {r.status_code}")
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                ok = False
            if ok:
                latencies.append(time.perf_counter() - t0)

    # One AsyncClient (one keep-alive connection) per simulated client, made before the clock
    # starts: a single shared pool of 100 connections costs httpx far more CPU per request
    # than the server spends on it.
    pool = [httpx.AsyncClient(timeout=60, limits=limits) for _ in range(clients)]
    stop = time.perf_counter() + duration
    t0 = time.perf_counter()
    await asyncio.gather(*(client_loop(client, 100 + i) for i, client in enumerate(pool)))
    elapsed = time.perf_counter() - t0
    await asyncio.gather(*(client.aclose() for client in pool))
    lat = np.array(latencies) * 1000
    return {
        "clients": clients,
        "duration_s": round(elapsed, 2),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": float(np.percentile(lat, 50)),
        "p95_ms": float(np.percentile(lat, 95)),
        "p99_ms": float(np.percentile(lat, 99)),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
    }


def summary(report: dict) -> dict:
    """One run's headline figures, for the file's history."""
    return {
        "when": report["when"],
        "json_p50_ms": round(report["single_client_json"]["p50_ms"], 3),
        "npy_p50_ms": round(report["single_client_npy"]["p50_ms"], 3),
        "npy_stdlib_p50_ms": round(report["single_client_npy_stdlib"]["p50_ms"], 3),
        "floor_npy_p50_ms": {c: round(v["p50_ms"], 3) for c, v in report["floor_npy"].items()},
        "requests_per_s": report["concurrent"]["requests_per_s"],
        "errors": report["concurrent"]["errors"],
        "all_targets_met": all(report["targets"].values()),
    }


def cpu_name() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        name = re.search(r"model name\s*:\s*(.+)", text).group(1)
    except (OSError, AttributeError):
        name = platform.processor() or platform.machine()
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--single", type=int, default=500, help="requests of the single-client runs")
    parser.add_argument("--repeat", action="store_true", help="send one signal over and over (store hits)")
    parser.add_argument("--server-arg", action="append", default=[], help="extra 'scicomp serve' argument (repeatable)")
    parser.add_argument("--out", help="JSON output (default benchmarks/results/service_load_<cpu>.json)")
    args = parser.parse_args()

    load_at_start = os.getloadavg()
    secret = secrets.token_urlsafe(48)
    token = create_token(secret.encode(), "load", ["signal"], 3600)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(
            port, args.workers, str(Path(tmp) / "store.sqlite3"), secret, args.server_arg, Path(tmp) / "server.log"
        )
        floor_proc = None
        try:
            floor_port = free_port()
            floor_proc = start_floor_server(floor_port)
            base = f"http://127.0.0.1:{port}"
            single = single_clients(base, f"http://127.0.0.1:{floor_port}", token, args.single, args.repeat)
            for (server, kind, client), result in single.items():
                print(
                    f"single client, {server:7s} {kind:4s} {client:6s}: p50 {result['p50_ms']:.2f} ms  "
                    f"p95 {result['p95_ms']:.2f} ms  errors {result['errors']}"
                )
            stop(floor_proc)
            loaded = asyncio.run(load(base, token, args.clients, args.duration, args.repeat))
            print(
                f"{loaded['clients']} clients, {loaded['duration_s']} s: {loaded['requests_per_s']} requests/s, "
                f"p50 {loaded['p50_ms']:.1f} ms  p95 {loaded['p95_ms']:.1f} ms  p99 {loaded['p99_ms']:.1f} ms, "
                f"errors {loaded['errors']} {loaded['error_kinds'] or ''}"
            )
        finally:
            if floor_proc is not None:
                stop(floor_proc)
            stop(proc)
    single_json, single_npy = single["service", "json", "httpx"], single["service", "npy", "httpx"]
    over_floor = {
        client: single["service", "npy", client]["p50_ms"] - single["floor", "npy", client]["p50_ms"]
        for client in ("httpx", "stdlib")
    }
    print(f"x-npy p50 over the floor: {over_floor['httpx']:.2f} ms httpx, {over_floor['stdlib']:.2f} ms stdlib")
    targets = {
        "errors == 0": loaded["errors"] == 0 and all(r["errors"] == 0 for r in single.values()),
        "requests_per_s >= 300": loaded["requests_per_s"] >= 300,
        "single JSON p50 <= 3 ms": single_json["p50_ms"] <= 3.0,
        "single x-npy p50 <= 1.5 ms": single_npy["p50_ms"] <= 1.5,
    }
    for name, ok in targets.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    report = {
        "benchmark": "load_service",
        "machine": {
            "cpu": cpu_name(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in load_at_start],  # other work on a shared machine skews latency
        },
        "server": {"workers": args.workers, "signal_samples": N_SAMPLES, "distinct_signals": not args.repeat},
        "single_client_json": single_json,
        "single_client_npy": single_npy,
        "single_client_json_stdlib": single["service", "json", "stdlib"],
        "single_client_npy_stdlib": single["service", "npy", "stdlib"],
        # a do-nothing ASGI app on the same uvicorn, measured in the same interleaved rounds:
        # the part of the latency that HTTP, the client and the machine's current state account for
        "floor_npy": {client: single["floor", "npy", client] for client in ("httpx", "stdlib")},
        "npy_over_floor_ms": over_floor,
        "concurrent": loaded,
        "targets": targets,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out = Path(args.out) if args.out else Path(__file__).parent / "results" / f"service_load_{cpu_name()}.json"
    # Earlier runs stay in the file, one line each: on a shared machine one run is not the figure.
    history = []
    if out.exists():
        try:
            history = json.loads(out.read_text()).get("history", [])
        except (json.JSONDecodeError, AttributeError):
            history = []
    report["history"] = [*history, summary(report)][-50:]
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
