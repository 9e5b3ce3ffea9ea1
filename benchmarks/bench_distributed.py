#!/usr/bin/env python
"""Monte Carlo on a Dask LocalCluster vs one process: throughput and parallel efficiency.

    python benchmarks/bench_distributed.py [--paths 100000000] [--workers N] [--out FILE]

Prices a European call with --paths paths (exact terminal law, one step per
path) and computes GBM path statistics (252 steps), each once in this process
and once on a LocalCluster of --workers single-threaded processes, with the
same seed and blocks (the prices agree exactly). Efficiency = speed-up / workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import distributed

from scicomp import GeometricBrownianMotion, price_european_option
from scicomp import distributed as sd
from scicomp.diagnose import _cpu_model


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10**8)
    parser.add_argument("--stat-paths", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    contract = (100.0, 100.0, 0.05, 0.2, 1.0)
    gbm = GeometricBrownianMotion(0.05, 0.2, s0=100.0)

    local, t_local = timed(lambda: price_european_option(*contract, n_paths=args.paths, seed=1))
    stats_local, t_stats_local = timed(
        lambda: sd.path_statistics(gbm, args.stat_paths, n_steps=252, chunk_paths=20_000, seed=1, client=False)
    )
    with distributed.LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            client.run(lambda: price_european_option(*contract, n_paths=1000, seed=1))  # warm the workers' imports
            remote, t_remote = timed(lambda: sd.price_european_option(*contract, n_paths=args.paths, seed=1, client=client))
            stats_remote, t_stats_remote = timed(
                lambda: sd.path_statistics(gbm, args.stat_paths, n_steps=252, chunk_paths=20_000, seed=1, client=client)
            )
    assert remote.price == local.price, (remote.price, local.price)
    assert (stats_remote.mean == stats_local.mean).all()
    result = {
        "machine": {"cpu": _cpu_model(), "cores": os.cpu_count(), "platform": platform.platform()},
        "workers": args.workers,
        "pricing": {
            "paths": args.paths,
            "single_process_s": t_local,
            "cluster_s": t_remote,
            "single_paths_per_s": args.paths / t_local,
            "cluster_paths_per_s": args.paths / t_remote,
            "speedup": t_local / t_remote,
            "efficiency": t_local / t_remote / args.workers,
            "price": remote.price,
        },
        "path_statistics": {
            "paths": args.stat_paths,
            "steps": 252,
            "single_path_steps_per_s": args.stat_paths * 252 / t_stats_local,
            "cluster_path_steps_per_s": args.stat_paths * 252 / t_stats_remote,
            "speedup": t_stats_local / t_stats_remote,
            "efficiency": t_stats_local / t_stats_remote / args.workers,
        },
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
