"""Prometheus metrics of the service (prometheus-client).

With several worker processes, ``scicomp serve`` sets ``PROMETHEUS_MULTIPROC_DIR``
before the workers start; each then writes its samples to files there and
``/metrics`` aggregates them (prometheus multiprocess mode), so a scrape that
lands on any worker sees the whole server.
"""

from __future__ import annotations

import os
import time

import psutil
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = [
    "REQUESTS",
    "REQUEST_DURATION",
    "ACTIVE_COMPUTATIONS",
    "MEMORY_USAGE",
    "OPTIMIZATION_ITERATIONS",
    "FFT_SECONDS",
    "CACHE_HITS",
    "CONTENT_TYPE_LATEST",
    "signal_size_bucket",
    "render",
    "update_memory",
    "mark_process_dead",
]

REQUESTS = Counter("scicomp_requests_total", "HTTP requests answered", ["method", "endpoint", "status"])
REQUEST_DURATION = Histogram(
    "scicomp_request_duration_seconds",
    "Time to answer a request",
    ["method", "endpoint"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ACTIVE_COMPUTATIONS = Gauge("scicomp_active_computations", "Computations running now", multiprocess_mode="livesum")
MEMORY_USAGE = Gauge("scicomp_memory_usage_bytes", "Resident memory of the server's processes", multiprocess_mode="livesum")
OPTIMIZATION_ITERATIONS = Histogram(
    "scicomp_optimization_iterations",
    "Iterations per minimisation",
    ["algorithm"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000),
)
FFT_SECONDS = Histogram(
    "scicomp_fft_computation_seconds",
    "Time of one FFT computation, by signal size class",
    ["signal_size"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1),
)
CACHE_HITS = Counter("scicomp_cache_hits_total", "Requests answered from the result store")

# Signal sizes are grouped so the label set stays small: the label is the bucket's upper bound.
_SIZE_BOUNDS = (1024, 4096, 16384, 65536, 262144, 1048576)
_process = psutil.Process()


def signal_size_bucket(n: int) -> str:
    """The ``signal_size`` label for a signal of ``n`` samples (``'4096'`` means 1025..4096)."""
    for bound in _SIZE_BOUNDS:
        if n <= bound:
            return str(bound)
    return "larger"


_last_memory_update = [0.0]


def update_memory(max_age_s: float = 0.0) -> None:
    """Set ``scicomp_memory_usage_bytes`` to this process's resident memory (unless read < ``max_age_s`` ago)."""
    now = time.monotonic()
    if now - _last_memory_update[0] < max_age_s:
        return
    _last_memory_update[0] = now
    try:
        MEMORY_USAGE.set(_process.memory_info().rss)
    except psutil.Error:  # pragma: no cover - process info unavailable
        pass


def render() -> bytes:
    """The Prometheus text exposition of every metric (aggregated over workers in multiprocess mode)."""
    update_memory()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)


def mark_process_dead() -> None:
    """Drop this worker's live gauges when it exits (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
