"""Bad input: one test per class (non-finite, shapes, limits, body size, types), time limit, off-loop computation."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from .conftest import API, auth

H = auth(["admin"])


def rejected(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error" and set(body) == {"status", "message"}
    assert "Traceback" not in body["message"]
    for word in words:
        assert word in body["message"], body["message"]
    return body["message"]


def raw(client, path, text: str, **headers):
    return client.post(API + path, content=text.encode(), headers={**H, "content-type": "application/json", **headers})


@pytest.mark.parametrize(
    ("path", "text", "field"),
    [
        ("/signal/fft", '{"signal": [1.0, NaN, 2.0], "sampling_rate": 10}', "signal"),
        ("/signal/fft", '{"signal": [1.0, Infinity], "sampling_rate": 10}', "signal"),
        ("/signal/fft", '{"signal": [1e400, 1.0], "sampling_rate": 10}', "signal"),
        ("/signal/fft", '{"signal": [1.0, 2.0], "sampling_rate": NaN}', "sampling_rate"),
        ("/linalg/solve", '{"matrix": [[1, 0], [0, -Infinity]], "rhs": [1, 1]}', "matrix"),
        ("/stochastic/brownian", '{"drift": NaN, "seed": 1}', "drift"),
        ("/optimize/minimize", '{"objective": "booth", "x0": [0, NaN]}', "x0"),
        (
            "/optimize/minimize",
            '{"objective": "quadratic", "params": {"A": [[1, 0], [0, NaN]], "b": [1, 1]}, "x0": [0, 0]}',
            "params.A",
        ),
    ],
)
def test_non_finite_numbers_are_422_naming_the_field(client, path, text, field):
    rejected(raw(client, path, text), 422, field)


def test_json_from_pythons_json_module_with_nan_names_the_field(client):
    text = json.dumps({"signal": [1.0, float("nan")], "sampling_rate": 2.0})
    rejected(raw(client, "/signal/fft", text), 422, "signal", "non-finite")


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/signal/fft", {"signal": [[1.0, 2.0], [3.0, 4.0]], "sampling_rate": 1}, ("signal", "1-D")),
        ("/signal/fft", {"signal": [], "sampling_rate": 1}, ("signal", "empty")),
        ("/signal/fft", {"signal": ["a", "b"], "sampling_rate": 1}, ("signal", "numbers")),
        ("/signal/fft", {"signal": 5, "sampling_rate": 1}, ("signal",)),
        ("/linalg/condition-number", {"matrix": [[1.0, 2.0], [3.0]]}, ("matrix", "rectangular")),
        ("/linalg/condition-number", {"matrix": [1.0, 2.0]}, ("matrix", "2-D")),
        ("/linalg/solve", {"matrix": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "rhs": [1, 2]}, ("matrix", "square")),
        ("/linalg/solve", {"matrix": [[1.0, 0.0], [0.0, 1.0]], "rhs": [1, 2, 3]}, ("rhs",)),
        ("/optimize/minimize", {"objective": "beale", "x0": [1.0, 2.0, 3.0]}, ("x0", "2-dimensional")),
        ("/optimize/minimize", {"objective": "quadratic", "params": {"A": [[1, 0], [0, 1]]}, "x0": [0, 0]}, ("params", "b")),
        ("/optimize/minimize", {"objective": "booth", "params": {"evil": [1]}, "x0": [0, 0]}, ("params", "evil")),
        (
            "/optimize/minimize",
            {"objective": "quadratic", "params": {"A": [[1, 2], [0, 1]], "b": [1, 1]}, "x0": [0, 0]},
            ("symmetric",),
        ),
        (
            "/optimize/minimize",
            {"objective": "quadratic", "params": {"A": [[-1, 0], [0, 1]], "b": [1, 1]}, "x0": [0, 0]},
            ("positive definite",),
        ),
        ("/optimize/minimize", {"objective": "os.system", "x0": [0, 0]}, ("objective",)),
        ("/signal/psd", {"signal": [1.0] * 10, "sampling_rate": 1, "nperseg": 64}, ("nperseg",)),
        ("/signal/fft", {"signal": [1.0, 2.0], "sampling_rate": 1, "window": "no-such-window"}, ("window",)),
        ("/signal/fft", {"signal": [1.0, 2.0], "sampling_rate": -1}, ("sampling_rate",)),
        ("/signal/fft", {"signal": [1.0, 2.0], "sampling_rate": 1, "extra": 1}, ("extra",)),
        (
            "/stochastic/option-price",
            {"s0": 100, "strike": 100, "rate": 0.05, "sigma": 0.2, "T": 1, "option": "straddle"},
            ("option",),
        ),
        ("/stochastic/brownian", {"n_paths": 0}, ("n_paths",)),
    ],
)
def test_wrong_shapes_and_values_are_422_naming_the_field(client, path, body, words):
    rejected(client.post(API + path, json=body, headers=H), 422, *words)


def test_singular_system_is_422_with_a_clear_message(client):
    rejected(client.post(API + "/linalg/solve", json={"matrix": [[1, 2], [2, 4]], "rhs": [1, 2]}, headers=H), 422, "singular")


def test_results_that_overflow_are_422(client):
    body = {"drift": 1e308, "T": 100.0, "n_steps": 4, "n_paths": 2, "seed": 1}  # drift * t overflows
    rejected(client.post(API + "/stochastic/brownian", json=body, headers=H), 422, "paths", "non-finite")


def test_extreme_but_schema_valid_inputs_are_answered_not_500(client):
    # sigma * sqrt(T) underflows to 0: the price is the deterministic limit max(s0 - K e^{-rT}, 0) = 0 here
    body = {"s0": 100, "strike": 100, "rate": 0.0, "sigma": 5e-324, "T": 1e-300, "n_paths": 100, "seed": 1}
    response = client.post(API + "/stochastic/option-price", json=body, headers=H)
    assert response.status_code == 200, response.text
    assert response.json()["black_scholes"] == 0.0 and response.json()["price"] == 0.0
    body = {**body, "rate": -1e308, "T": 10.0}  # the discount factor overflows
    rejected(client.post(API + "/stochastic/option-price", json=body, headers=H), 422)


def test_malformed_json_and_wrong_content_type(client):
    rejected(raw(client, "/signal/fft", '{"signal": [1, 2'), 422)
    rejected(raw(client, "/signal/fft", ""), 422)
    response = client.post(API + "/signal/fft", content=b"signal=1", headers={**H, "content-type": "text/plain"})
    rejected(response, 415, "Content-Type")


def test_sizes_over_the_configured_limits_are_422(make_client):
    client = make_client(max_array_elements=1000, max_path_steps=10_000)
    rejected(
        client.post(API + "/signal/fft", json={"signal": [0.0] * 1001, "sampling_rate": 1}, headers=H), 422, "signal", "1000"
    )
    assert client.post(API + "/signal/fft", json={"signal": [0.0] * 1000, "sampling_rate": 1}, headers=H).status_code == 200
    matrix = np.eye(32).tolist()  # 1024 elements
    rejected(client.post(API + "/linalg/condition-number", json={"matrix": matrix}, headers=H), 422, "matrix", "limit")
    body = {"n_paths": 100, "n_steps": 100, "seed": 1}  # 100 x 101 path-steps
    rejected(client.post(API + "/stochastic/brownian", json=body, headers=H), 422, "n_paths", "10000")
    body = {"s0": 1, "strike": 1, "rate": 0, "sigma": 0.2, "T": 1, "n_paths": 20_000}
    rejected(client.post(API + "/stochastic/option-price", json=body, headers=H), 422, "n_paths")


def test_bfgs_dense_hessian_counts_against_the_element_limit(make_client):
    client = make_client(max_array_elements=10_000)  # BFGS: n <= 100
    body = {"objective": "rosenbrock", "x0": [0.5] * 101, "method": "bfgs"}
    rejected(client.post(API + "/optimize/minimize", json=body, headers=H), 422, "x0", "101 x 101", "lbfgs")
    assert client.post(API + "/optimize/minimize", json={**body, "method": "lbfgs"}, headers=H).status_code == 200
    assert client.post(API + "/optimize/minimize", json={**body, "x0": [0.5] * 100}, headers=H).status_code == 200


def test_out_of_memory_is_503_not_500(client, monkeypatch):
    from scicomp.signal import SignalProcessor

    def no_memory(self, *args, **kwargs):
        raise MemoryError("Unable to allocate 298. GiB")

    monkeypatch.setattr(SignalProcessor, "compute_fft", no_memory)
    response = client.post(API + "/signal/fft", json={"signal": [1.0, 2.0], "sampling_rate": 1}, headers=H)
    rejected(response, 503, "memory")


def test_default_limits_are_a_million_elements_and_ten_million_path_steps(client):
    body = {"n_paths": 10_000, "n_steps": 1000, "seed": 1}  # 10,010,000 path-steps
    rejected(client.post(API + "/stochastic/brownian", json=body, headers=H), 422, "10000000")
    big = np.zeros(1_000_001)
    import io

    stream = io.BytesIO()
    np.save(stream, big)
    response = client.post(
        API + "/signal/fft?sampling_rate=1", content=stream.getvalue(), headers={**H, "content-type": "application/x-npy"}
    )
    rejected(response, 422, "signal", "1000000")


def test_npy_header_announcing_a_huge_shape_is_422_naming_the_limit(client):
    # 2**32 x 2**32 elements: an int64 product would wrap to 0 and slip past the element limit
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    body = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(16)
    response = client.post(API + "/signal/fft?sampling_rate=1", content=body, headers={**H, "content-type": "application/x-npy"})
    rejected(response, 422, "signal", "exceed the limit")


def test_body_over_the_byte_limit_is_413_before_parsing(make_client, monkeypatch):
    client = make_client(max_body_bytes=4096)
    from scicomp.service import app as app_module

    parsed = []
    monkeypatch.setattr(app_module, "_parse_json", lambda *a: parsed.append(1))
    body = json.dumps({"signal": [0.123456789] * 1000, "sampling_rate": 1}).encode()
    assert len(body) > 4096
    rejected(client.post(API + "/signal/fft", content=body, headers={**H, "content-type": "application/json"}), 413, "4096")

    def chunks():  # no Content-Length: counted while it arrives
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    rejected(client.post(API + "/signal/fft", content=chunks(), headers={**H, "content-type": "application/json"}), 413)
    assert parsed == []


def test_unknown_paths_and_methods_answer_json_errors(client):
    rejected(client.get(API + "/nothing"), 404)
    rejected(client.get(API + "/signal/fft", headers=H), 405)


# -- the worker pool -------------------------------------------------------------------
@pytest.fixture
def blocked_fft(monkeypatch):
    """Make compute_fft wait until the test releases it, and say when it started."""
    from scicomp.signal import SignalProcessor

    started, release = threading.Event(), threading.Event()
    original = SignalProcessor.compute_fft

    def slow(self, *args, **kwargs):
        started.set()
        release.wait(30)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SignalProcessor, "compute_fft", slow)
    yield started, release
    release.set()


def test_health_answers_while_a_long_job_runs(client, blocked_fft):
    started, release = blocked_fft
    result = {}

    def long_request():
        result["response"] = client.post(API + "/signal/fft", json={"signal": [1.0, 2.0], "sampling_rate": 1}, headers=H)

    worker = threading.Thread(target=long_request)
    worker.start()
    assert started.wait(30)
    health = client.get("/health")  # the job is still blocked: the event loop is free
    assert health.status_code == 200 and "response" not in result
    text = client.get("/metrics").text
    assert "scicomp_active_computations 1.0" in text
    release.set()
    worker.join(30)
    assert result["response"].status_code == 200


def test_time_limit_gives_504(make_client, blocked_fft):
    started, release = blocked_fft
    client = make_client(time_limit_s=0.2)
    response = client.post(API + "/signal/fft", json={"signal": [1.0, 2.0], "sampling_rate": 1}, headers=H)
    rejected(response, 504, "time limit")
    assert started.is_set()


def test_a_minimisation_past_the_time_limit_stops_and_frees_its_thread(make_client, monkeypatch):
    from scicomp.service import operations

    real = operations.build_objective
    calls = []

    def slow_objective(*args):
        f, grad = real(*args)

        def slow_f(x, *a):
            calls.append(1)
            time.sleep(0.02)
            return f(x, *a)

        return slow_f, grad

    monkeypatch.setattr(operations, "build_objective", slow_objective)
    client = make_client(time_limit_s=0.3)
    body = {"objective": "rosenbrock", "x0": [-1.2, 1.0] * 50, "method": "lbfgs", "max_iterations": 100000}
    rejected(client.post(API + "/optimize/minimize", json=body, headers=H), 504, "time limit")
    deadline = time.monotonic() + 5  # unchecked, ~100 000 iterations at 20 ms would hold the thread for a long time
    while "scicomp_active_computations 0.0" not in client.get("/metrics").text:
        assert time.monotonic() < deadline, "the computation kept running after its 504"
        time.sleep(0.05)
    count = len(calls)
    time.sleep(0.2)
    assert len(calls) == count  # stopped, not merely between evaluations
