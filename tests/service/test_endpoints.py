"""Every endpoint's result against the library call, x-npy round trips, the result store and metrics."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import scicomp
from scicomp.linalg import MatrixOperations
from scicomp.optimize import BFGS, LBFGS
from scicomp.optimize.problems import get_problem
from scicomp.service.npy import write_npy, write_npy_rows
from scicomp.signal import SignalProcessor
from scicomp.stochastic import BrownianMotion, black_scholes_price, price_european_option

from .conftest import API, auth

H = auth(["admin"])
RNG = np.random.default_rng(7)
SIGNAL = RNG.standard_normal(1000)


def post(client, path, body, **kwargs):
    response = client.post(API + path, json=body, headers=H, **kwargs)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "success" and data["backend"] == "numpy" and data["duration_ms"] >= 0
    return data


def test_fft_matches_signal_processor(client):
    data = post(client, "/signal/fft", {"signal": SIGNAL.tolist(), "sampling_rate": 250.0, "window": "hann"})
    f, m = SignalProcessor(250.0).compute_fft(SIGNAL, window="hann")
    np.testing.assert_allclose(data["frequencies"], f, rtol=1e-12)
    np.testing.assert_allclose(data["magnitudes"], m, rtol=1e-12)
    assert data["cached"] is False


def test_psd_matches_signal_processor(client):
    body = {"signal": SIGNAL.tolist(), "sampling_rate": 100.0, "method": "welch", "nperseg": 128}
    data = post(client, "/signal/psd", body)
    f, pxx = SignalProcessor(100.0).power_spectral_density(SIGNAL, method="welch", nperseg=128)
    np.testing.assert_allclose(data["frequencies"], f, rtol=1e-12)
    np.testing.assert_allclose(data["psd"], pxx, rtol=1e-12)
    data = post(client, "/signal/psd", dict(body, method="periodogram"))
    f, pxx = SignalProcessor(100.0).power_spectral_density(SIGNAL, method="periodogram")
    np.testing.assert_allclose(data["psd"], pxx, rtol=1e-12)


def test_brownian_matches_library_with_the_same_seed(client):
    body = {"drift": 0.1, "volatility": 0.3, "T": 2.0, "n_steps": 50, "n_paths": 7, "seed": 123}
    data = post(client, "/stochastic/brownian", body)
    t, paths = BrownianMotion(0.1, 0.3, seed=123).generate_paths(7, T=2.0, n_steps=50)
    np.testing.assert_allclose(data["t"], t, rtol=1e-12)
    np.testing.assert_allclose(data["paths"], paths, rtol=1e-12)


def test_unseeded_brownian_is_fresh_and_never_cached(client):
    body = {"n_steps": 10, "n_paths": 3}
    first, second = post(client, "/stochastic/brownian", body), post(client, "/stochastic/brownian", body)
    assert not first["cached"] and not second["cached"]
    assert first["paths"] != second["paths"]


def test_option_price_matches_library(client):
    body = {"s0": 100, "strike": 95, "rate": 0.03, "sigma": 0.25, "T": 0.5, "option": "put", "n_paths": 20000, "seed": 5}
    data = post(client, "/stochastic/option-price", body)
    ref = price_european_option(100, 95, 0.03, 0.25, 0.5, "put", n_paths=20000, seed=5)
    assert data["price"] == pytest.approx(ref.price, rel=1e-12)
    assert data["std_error"] == pytest.approx(ref.std_error, rel=1e-12)
    assert data["confidence_interval"] == pytest.approx(list(ref.confidence_interval), rel=1e-12)
    assert data["black_scholes"] == pytest.approx(black_scholes_price(100, 95, 0.03, 0.25, 0.5, "put"), rel=1e-14)
    assert data["n_paths"] == 20000


@pytest.mark.parametrize("method", ["bfgs", "lbfgs"])
@pytest.mark.parametrize("objective", ["rosenbrock", "beale", "booth", "himmelblau"])
def test_minimize_matches_library(client, method, objective):
    x0 = [-1.2, 1.0, -1.2] if objective == "rosenbrock" else [1.0, 1.0]
    data = post(client, "/optimize/minimize", {"objective": objective, "x0": x0, "method": method})
    f, grad, _ = get_problem(objective, **({"n": 3} if objective == "rosenbrock" else {}))
    ref = (BFGS if method == "bfgs" else LBFGS)().minimize(f, x0, jac=grad)
    np.testing.assert_allclose(data["x"], scicomp.to_numpy(ref.x), rtol=1e-10, atol=1e-12)
    assert data["fun"] == pytest.approx(float(ref.fun), abs=1e-12)
    for field in ("nit", "nfev", "njev"):
        assert data[field] == int(ref[field])
    assert data["success"] is bool(ref.success) and data["optimizer_status"] == int(ref.status)
    assert data["message"] == ref.message and data["algorithm"] == method
    assert set(data) >= {"jac", "execution_time"}


def test_minimize_quadratic_and_least_squares(client):
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([1.0, 2.0])
    data = post(
        client,
        "/optimize/minimize",
        {"objective": "quadratic", "params": {"A": a.tolist(), "b": b.tolist()}, "x0": [0, 0], "tolerance": 1e-10},
    )
    np.testing.assert_allclose(data["x"], np.linalg.solve(a, b), rtol=1e-9)  # gradient tolerance 1e-10, eigenvalues > 2
    design = RNG.standard_normal((30, 3))
    y = design @ np.array([1.0, -2.0, 0.5]) + 0.01 * RNG.standard_normal(30)
    body = {
        "objective": "least_squares",
        "params": {"A": design.tolist(), "y": y.tolist()},
        "x0": [0, 0, 0],
        "method": "lbfgs",
        "tolerance": 1e-9,
    }
    data = post(client, "/optimize/minimize", body)
    np.testing.assert_allclose(data["x"], np.linalg.lstsq(design, y, rcond=None)[0], rtol=1e-7)


def test_condition_number_and_solve_match_library(client):
    a = RNG.standard_normal((6, 6)) + 6 * np.eye(6)
    rhs = RNG.standard_normal(6)
    data = post(client, "/linalg/condition-number", {"matrix": a.tolist()})
    assert data["condition_number"] == pytest.approx(float(MatrixOperations.condition_number(a)), rel=1e-12)
    assert data["singular"] is False
    data = post(client, "/linalg/condition-number", {"matrix": a.tolist(), "p": "fro"})
    assert data["condition_number"] == pytest.approx(np.linalg.cond(a, "fro"), rel=1e-12)
    data = post(client, "/linalg/solve", {"matrix": a.tolist(), "rhs": rhs.tolist()})
    np.testing.assert_allclose(data["x"], scicomp.to_numpy(MatrixOperations.solve(a, rhs)), rtol=1e-12)
    assert data["warnings"] == []
    rhs2 = RNG.standard_normal((6, 2))
    data = post(client, "/linalg/solve", {"matrix": a.tolist(), "rhs": rhs2.tolist()})
    np.testing.assert_allclose(data["x"], np.linalg.solve(a, rhs2), rtol=1e-10)


def test_singular_condition_number_is_null_and_ill_conditioned_solve_warns(client):
    data = post(client, "/linalg/condition-number", {"matrix": [[1.0, 0.0], [0.0, 0.0]]})
    assert data["condition_number"] is None and data["singular"] is True
    hilbert = 1.0 / (np.arange(1, 11)[:, None] + np.arange(10)[None, :])  # cond ~ 1.6e13
    data = post(client, "/linalg/solve", {"matrix": hilbert.tolist(), "rhs": np.ones(10).tolist()})
    assert len(data["warnings"]) == 1 and "ill-conditioned" in data["warnings"][0]


# -- x-npy ---------------------------------------------------------------------------
def npy(array) -> bytes:
    stream = io.BytesIO()
    np.save(stream, np.asarray(array), allow_pickle=False)
    return stream.getvalue()


NPY = {"content-type": "application/x-npy", "accept": "application/x-npy"}


def test_npy_round_trip_fft(client):
    response = client.post(API + "/signal/fft?sampling_rate=250&window=hann", content=npy(SIGNAL), headers={**H, **NPY})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-npy"
    assert response.headers["x-scicomp-fields"] == "frequencies,magnitudes"
    assert response.headers["x-scicomp-backend"] == "numpy" and response.headers["x-scicomp-cached"] == "false"
    out = np.load(io.BytesIO(response.content), allow_pickle=False)
    f, m = SignalProcessor(250.0).compute_fft(SIGNAL, window="hann")
    assert out.shape == (2, f.size)
    np.testing.assert_array_equal(out[0], f)
    np.testing.assert_allclose(out[1], m, rtol=1e-12)
    # the same request as JSON is the same computation: answered from the store
    data = post(client, "/signal/fft", {"signal": SIGNAL.tolist(), "sampling_rate": 250.0, "window": "hann"})
    assert data["cached"] is True
    np.testing.assert_allclose(data["magnitudes"], m, rtol=1e-12)


def test_npy_body_with_json_answer_and_npy_answer_for_json_body(client):
    a = RNG.standard_normal((5, 5)) + 5 * np.eye(5)
    response = client.post(
        API + "/linalg/condition-number", content=npy(a.astype(np.float32)), headers={**H, "content-type": "application/x-npy"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["condition_number"] == pytest.approx(
        np.linalg.cond(a.astype(np.float32).astype(np.float64)), rel=1e-12
    )
    body = {"n_paths": 3, "n_steps": 8, "seed": 9}
    response = client.post(API + "/stochastic/brownian", json=body, headers={**H, "accept": "application/x-npy"})
    out = np.load(io.BytesIO(response.content), allow_pickle=False)
    t, paths = BrownianMotion(seed=9).generate_paths(3, n_steps=8)
    assert response.headers["x-scicomp-fields"] == "t,paths" and out.shape == (4, 9)
    np.testing.assert_allclose(out[0], t)
    np.testing.assert_allclose(out[1:], paths)


def test_npy_body_is_never_unpickled(client):
    stream = io.BytesIO()
    np.save(stream, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    response = client.post(API + "/signal/fft?sampling_rate=1", content=stream.getvalue(), headers={**H, **NPY})
    assert response.status_code == 422 and "dtype" in response.json()["message"]
    response = client.post(API + "/signal/fft?sampling_rate=1", content=b"\x93NUMPY garbage", headers={**H, **NPY})
    assert response.status_code == 422 and "signal" in response.json()["message"]
    response = client.post(API + "/linalg/solve", content=npy(np.eye(2)), headers={**H, **NPY})
    assert response.status_code == 415


# -- store and metrics -----------------------------------------------------------
def metric(client, name: str, **labels) -> float:
    text = client.get("/metrics").text
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(\{{(.*)\}})? (\S+)$", line)
        if match and (not labels or sorted((match.group(2) or "").split(",")) == sorted(want.split(","))):
            total += float(match.group(3))
    return total


def test_repeated_deterministic_requests_are_cached(client):
    hits = metric(client, "scicomp_cache_hits_total")
    body = {"objective": "rosenbrock", "x0": [-1.0, 2.0]}
    first = post(client, "/optimize/minimize", body)
    second = post(client, "/optimize/minimize", body)
    assert first["cached"] is False and second["cached"] is True
    assert {k: v for k, v in first.items() if k not in ("cached", "duration_ms")} == {
        k: v for k, v in second.items() if k not in ("cached", "duration_ms")
    }
    seeded = {"n_paths": 2, "n_steps": 5, "seed": 77}
    assert post(client, "/stochastic/brownian", seeded)["cached"] is False
    assert post(client, "/stochastic/brownian", seeded)["cached"] is True
    assert post(client, "/stochastic/brownian", dict(seeded, seed=78))["cached"] is False
    assert metric(client, "scicomp_cache_hits_total") == hits + 2


def test_no_cache_setting(make_client):
    client = make_client(cache=False)
    body = {"objective": "booth", "x0": [0.0, 0.0]}
    assert post(client, "/optimize/minimize", body)["cached"] is False
    assert post(client, "/optimize/minimize", body)["cached"] is False


def test_metrics_after_known_requests(client):
    ep = API + "/signal/fft"
    before_ok = metric(client, "scicomp_requests_total", method="POST", endpoint=ep, status="200")
    before_bad = metric(client, "scicomp_requests_total", method="POST", endpoint=ep, status="422")
    before_fft = metric(client, "scicomp_fft_computation_seconds_count", signal_size="4096")
    before_iter = metric(client, "scicomp_optimization_iterations_count", algorithm="lbfgs")
    before_dur = metric(client, "scicomp_request_duration_seconds_count", method="POST", endpoint=ep)
    for i in range(3):
        post(client, "/signal/fft", {"signal": (np.tile(SIGNAL, 3) + i).tolist(), "sampling_rate": 1.0})  # 3000 samples
    client.post(ep, json={"signal": [], "sampling_rate": 1.0}, headers=H)
    post(client, "/optimize/minimize", {"objective": "beale", "x0": [1.0, 1.5], "method": "lbfgs"})
    assert metric(client, "scicomp_requests_total", method="POST", endpoint=ep, status="200") == before_ok + 3
    assert metric(client, "scicomp_requests_total", method="POST", endpoint=ep, status="422") == before_bad + 1
    assert metric(client, "scicomp_request_duration_seconds_count", method="POST", endpoint=ep) == before_dur + 4
    assert metric(client, "scicomp_fft_computation_seconds_count", signal_size="4096") == before_fft + 3
    assert metric(client, "scicomp_optimization_iterations_count", algorithm="lbfgs") == before_iter + 1
    assert metric(client, "scicomp_memory_usage_bytes") > 10e6
    assert metric(client, "scicomp_active_computations") == 0
    assert "scicomp_requests_total{" in client.get("/metrics").text


def test_health_and_detailed_health(client, monkeypatch):
    data = client.get("/health").json()
    assert data["status"] == "healthy" and data["version"] == scicomp.__version__ and data["timestamp"]
    data = client.get("/health/detailed", headers=H).json()
    assert data["status"] == "healthy" and data["backend"] == "numpy" and data["device"]
    assert set(data["checks"]) == {"signal", "stochastic", "optimize", "linalg"}
    assert all(c["ok"] for c in data["checks"].values())
    assert data["packages"]["numpy"] == np.__version__

    from scicomp.service import health

    def broken(b):
        raise AssertionError("solve disagrees with numpy.linalg.solve")

    monkeypatch.setitem(health.CHECKS, "linalg", broken)
    response = client.get("/health/detailed", headers=H)
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "error" and "linalg" in data["message"] and data["checks"]["linalg"]["ok"] is False
    assert data["checks"]["signal"]["ok"] is True


@pytest.mark.parametrize(
    "array",
    [np.arange(5.0), np.float64(3.5), np.arange(6.0).reshape(2, 3), np.arange(4, dtype=np.int32), np.zeros(0)],
    ids=["1-D", "0-D", "2-D", "int32", "empty"],
)
def test_write_npy_matches_numpy_save(array):
    reference = io.BytesIO()
    np.save(reference, np.asarray(array), allow_pickle=False)
    assert bytes(write_npy(array)) == reference.getvalue()


def test_write_npy_rows_matches_numpy_save_of_the_stack():
    rows = [np.arange(3.0), np.ones((2, 3)), np.arange(3, dtype=np.float32)]
    reference = io.BytesIO()
    np.save(reference, np.concatenate([np.atleast_2d(r) for r in rows]), allow_pickle=False)
    assert bytes(write_npy_rows(rows)) == reference.getvalue()
    with pytest.raises(ValueError, match="do not stack"):
        write_npy_rows([np.arange(3.0), np.arange(4.0)])
