"""--dask-scheduler: large pricing requests run on the Dask cluster, with the same result."""

from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed")

from scicomp import price_european_option  # noqa: E402
from scicomp.service import operations  # noqa: E402
from tests.service.conftest import API, auth  # noqa: E402


@pytest.fixture
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c
    operations.configure_dask(None, 10**6)
    from scicomp.distributed import close_client

    close_client()


def _priced_blocks(cluster) -> int:
    prefix = cluster.scheduler.task_prefixes.get("price_blocks")
    return 0 if prefix is None else sum(prefix.state_counts.values())


def test_large_requests_go_to_the_cluster(make_client, cluster):
    client = make_client(dask_scheduler=cluster.scheduler_address, dask_min_paths=100_000, cache=False)
    body = {"s0": 100.0, "strike": 100.0, "rate": 0.05, "sigma": 0.2, "T": 1.0, "option": "call", "seed": 5}
    small = client.post(API + "/stochastic/option-price", json={**body, "n_paths": 50_000}, headers=auth(["stochastic"]))
    assert small.status_code == 200 and _priced_blocks(cluster) == 0  # under the threshold: priced here
    large = client.post(API + "/stochastic/option-price", json={**body, "n_paths": 400_000}, headers=auth(["stochastic"]))
    assert large.status_code == 200, large.text
    assert _priced_blocks(cluster) > 0
    local = price_european_option(100.0, 100.0, 0.05, 0.2, 1.0, n_paths=400_000, seed=5)
    assert large.json()["price"] == local.price and large.json()["std_error"] == local.std_error
