"""Target 4: BFGS on 2-D Rosenbrock vs scipy, and batched BFGS per problem vs a scipy loop."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from conftest import QUICK, SIZE_BACKENDS, skip_unless_available

import scicomp
from scicomp import BFGS
from scicomp.optimize import get_problem

X0 = np.array([-1.2, 1.0])


def rosen(x):
    return (1 - x[..., 0]) ** 2 + 100 * (x[..., 1] - x[..., 0] ** 2) ** 2


def rosen_grad(x):
    dx = -2 * (1 - x[..., 0]) - 400 * x[..., 0] * (x[..., 1] - x[..., 0] ** 2)
    dy = 200 * (x[..., 1] - x[..., 0] ** 2)
    return np.stack([dx, dy], axis=-1)


@pytest.mark.benchmark(group="bfgs-rosenbrock-2d")
def test_reference_scipy_bfgs(benchmark):
    # One call before timing, on both sides: pytest-benchmark sizes its rounds from the first
    # timed call, and first-call costs (imports, caches) would otherwise leave few rounds.
    scipy.optimize.minimize(rosen, X0, jac=rosen_grad, method="BFGS", options={"gtol": 1e-6})
    result = benchmark(scipy.optimize.minimize, rosen, X0, jac=rosen_grad, method="BFGS", options={"gtol": 1e-6})
    benchmark.extra_info.update(nfev=int(result.nfev), nit=int(result.nit))


@pytest.mark.benchmark(group="bfgs-rosenbrock-2d")
def test_scicomp_bfgs(benchmark):
    solver = BFGS(tolerance=1e-6, backend="numpy")
    solver.minimize(rosen, X0, jac=rosen_grad)  # see test_reference_scipy_bfgs
    result = benchmark(solver.minimize, rosen, X0, jac=rosen_grad)
    assert result.success
    benchmark.extra_info.update(nfev=int(result.nfev), nit=int(result.nit))


N_LOOP = 10 if QUICK else 40
N_BATCH = 1_000 if QUICK else 10_000
STARTS = np.random.default_rng(4).uniform(-2.0, 2.0, size=(N_BATCH, 2))


@pytest.mark.benchmark(group="bfgs-batched-rosenbrock")
def test_reference_scipy_bfgs_loop(benchmark):
    def loop():
        for x0 in STARTS[:N_LOOP]:
            scipy.optimize.minimize(rosen, x0, jac=rosen_grad, method="BFGS", options={"gtol": 1e-6})

    benchmark.extra_info.update(n_problems=N_LOOP)
    benchmark.pedantic(loop, rounds=3, warmup_rounds=0)


@pytest.mark.benchmark(group="bfgs-batched-rosenbrock")
def test_scicomp_bfgs_batched(benchmark):
    solver = BFGS(tolerance=1e-6, backend="numpy")
    benchmark.extra_info.update(n_problems=N_BATCH)
    result = benchmark.pedantic(solver.minimize, args=(rosen, STARTS), kwargs={"jac": rosen_grad}, rounds=3, warmup_rounds=1)
    assert np.mean(np.asarray(result.success)) > 0.99


BATCH_SIZES = [100, 1_000] if QUICK else [100, 1_000, 10_000]


@pytest.mark.parametrize("batch", BATCH_SIZES)
@pytest.mark.parametrize("backend", SIZE_BACKENDS)
@pytest.mark.benchmark(group="size-bfgs")
def test_size_bfgs(benchmark, backend, batch):
    skip_unless_available(backend)
    b = scicomp.get_backend(backend)
    starts = b.asarray(STARTS[:batch])
    f, grad, _ = get_problem("rosenbrock", backend=backend)  # written for any backend's arrays
    solver = BFGS(tolerance=1e-6, backend=backend)
    benchmark.extra_info.update(backend=backend, size=batch, family="bfgs")
    benchmark.pedantic(solver.minimize, args=(f, starts), kwargs={"jac": grad}, rounds=3, warmup_rounds=1)
