"""Target 5: condition_number(500x500) within 1.05x of numpy.linalg.cond."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SIZE_BACKENDS, skip_unless_available

from scicomp import MatrixOperations

A500 = np.random.default_rng(5).standard_normal((500, 500))


@pytest.mark.benchmark(group="linalg-cond-500")
def test_reference_numpy_cond(benchmark):
    benchmark(np.linalg.cond, A500)


@pytest.mark.benchmark(group="linalg-cond-500")
def test_scicomp_condition_number(benchmark):
    benchmark(MatrixOperations.condition_number, A500, backend="numpy")


@pytest.mark.parametrize("n", [32, 128, 512])
@pytest.mark.parametrize("backend", SIZE_BACKENDS)
@pytest.mark.benchmark(group="size-linalg")
def test_size_linalg(benchmark, backend, n):
    skip_unless_available(backend)
    a = np.random.default_rng(n).standard_normal((n, n))
    benchmark.extra_info.update(backend=backend, size=n, family="linalg")
    benchmark(MatrixOperations.condition_number, a, backend=backend)
