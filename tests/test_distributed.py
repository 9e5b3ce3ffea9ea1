"""Dask execution: same results as the single-process run with the same seed and chunking,
whatever the number of workers, and a job survives losing a worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.signal

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

import scicomp  # noqa: E402
from scicomp import GeometricBrownianMotion, price_european_option  # noqa: E402
from scicomp import distributed as sd  # noqa: E402
from scicomp.optimize.problems import get_problem  # noqa: E402


def rosen(x):
    return get_problem("rosenbrock").f(x)


def rosen_grad(x):
    return get_problem("rosenbrock").grad(x)


@pytest.fixture(scope="module", params=[1, 2, 4], ids=lambda n: f"{n}-workers")
def client(request):
    with distributed.LocalCluster(
        n_workers=request.param, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def test_pricing_matches_the_single_process_run(client):
    kwargs = dict(n_paths=300_000, seed=11)
    local = price_european_option(100.0, 105.0, 0.03, 0.25, 0.5, **kwargs)
    remote = sd.price_european_option(100.0, 105.0, 0.03, 0.25, 0.5, blocks_per_task=2, client=client, **kwargs)
    assert remote.price == local.price and remote.std_error == local.std_error
    # 150,000 antithetic pairs in blocks of 2**14 -> 10 blocks -> 5 tasks of 2 blocks
    assert remote.n_paths == local.n_paths and remote.n_chunks == 5


def test_path_statistics_match_the_single_process_run(client):
    gbm = GeometricBrownianMotion(0.05, 0.2, s0=100.0)
    here = sd.path_statistics(gbm, 5_000, T=1.0, n_steps=50, chunk_paths=1_000, seed=3, client=False)
    there = sd.path_statistics(gbm, 5_000, T=1.0, n_steps=50, chunk_paths=1_000, seed=3, client=client)
    np.testing.assert_array_equal(here.mean, there.mean)
    np.testing.assert_array_equal(here.variance, there.variance)
    assert there.n_chunks == 5 and there.n_paths == 5_000
    # E[S_t] = s0 e^{mu t}: within 5 standard errors at maturity
    se = np.sqrt(there.variance[-1] / 5_000)
    assert abs(there.mean[-1] - 100.0 * np.exp(0.05)) < 5 * se


def test_batched_fft_and_psd_over_a_dask_array(client):
    x = np.random.default_rng(0).standard_normal((12, 1024))
    arr = da.from_array(x, chunks=(5, 512))
    f, mags = sd.fft(arr, sampling_rate=1000.0)
    local_f, local_m = scicomp.SignalProcessor(1000.0).compute_fft(x)
    np.testing.assert_array_equal(f, local_f)
    np.testing.assert_allclose(client.compute(mags).result(), local_m, rtol=1e-12)
    f, pxx = sd.power_spectral_density(arr, sampling_rate=1000.0, nperseg=128)
    rf, rp = scipy.signal.welch(x, fs=1000.0, nperseg=128)
    np.testing.assert_allclose(f, rf)
    np.testing.assert_allclose(client.compute(pxx).result(), rp, rtol=1e-10)


def test_batched_bfgs_over_workers(client):
    starts = np.random.default_rng(5).uniform(-2, 2, size=(40, 2))
    out = sd.minimize_batched(rosen, starts, jac=rosen_grad, chunk_problems=15, client=client)
    assert out["x"].shape == (40, 2) and out["success"].all()
    np.testing.assert_allclose(out["x"], 1.0, atol=1e-5)


def test_bad_input():
    with pytest.raises(ValueError, match="chunk_paths"):
        sd.path_statistics(GeometricBrownianMotion(0.05, 0.2), 10, chunk_paths=0, client=False)
    with pytest.raises(TypeError, match="process"):
        sd.path_statistics(object(), 10, client=False)
    with pytest.raises(ValueError, match="x0"):
        sd.minimize_batched(rosen, np.ones(3), client=False)
    with pytest.raises(ValueError, match="method"):
        sd.minimize_batched(rosen, np.ones((2, 2)), method="newton", client=False)
    with pytest.raises(ValueError, match="x: expected a \\(batch, n\\)"):
        sd.fft(np.ones(8))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cli_cluster(tmp_path):
    """`dask scheduler` and two `dask worker` processes on loopback; always stopped."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    procs = [
        subprocess.Popen(
            [*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard", "--no-nanny"]
    worker += ["--host", "127.0.0.1"]  # no nanny: the process we kill is the worker itself
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        client = distributed.Client(address, timeout=30)
        client.wait_for_workers(2, timeout=60)
        yield client, procs
        client.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_scheduler_env_variable(cli_cluster, monkeypatch):
    client, procs = cli_cluster
    monkeypatch.setenv(sd.SCHEDULER_ENV, client.scheduler.address)
    c = sd.get_client()
    try:
        assert c.scheduler.address == client.scheduler.address
        assert len(c.scheduler_info()["workers"]) == 2
    finally:
        c.close()


def test_losing_a_worker_mid_run_loses_nothing(cli_cluster):
    import threading

    client, procs = cli_cluster
    kwargs = dict(n_paths=8_000_000, seed=21)
    expected = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, **kwargs)
    result = {}

    def run():
        result["r"] = sd.price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, blocks_per_task=1, client=client, **kwargs)

    thread = threading.Thread(target=run)
    thread.start()
    # Wait (bounded) until the doomed worker has tasks assigned, then kill it.
    doomed = next(addr for addr, pid in client.run(os.getpid).items() if pid == procs[1].pid)
    deadline = time.monotonic() + 60
    while not client.processing().get(doomed) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.processing().get(doomed) and thread.is_alive(), "the job finished before a worker could be killed"
    procs[1].kill()  # tasks in flight on it are rerun by the scheduler on the other worker
    thread.join(timeout=240)
    assert not thread.is_alive()
    assert result["r"].price == expected.price and result["r"].std_error == expected.std_error
    assert result["r"].n_chunks == -(-4_000_000 // 2**14)  # one task per block
