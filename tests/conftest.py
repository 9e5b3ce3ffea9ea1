"""Shared fixtures: one ``backend`` fixture over every backend scicomp knows.

An unavailable backend is skipped with its reason (see ``pytest -rs``); CuPy's
parameter carries the ``gpu`` marker. Every test starts from the same config.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import scicomp
from scicomp.backends import BACKEND_NAMES, status

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _params():
    for name in BACKEND_NAMES:
        marks = [pytest.mark.gpu] if name == "cupy" else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.fixture(params=list(_params()))
def backend_name(request) -> str:
    st = status(request.param)
    if not st.available:
        pytest.skip(f"{request.param} backend unavailable: {st.reason}")
    return request.param


@pytest.fixture
def backend(backend_name):
    """A Backend instance for each available backend, in float64."""
    return scicomp.get_backend(backend_name)


@pytest.fixture(params=["float64", "float32"])
def precision(request):
    with scicomp.config_context(float_precision=request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _restore_config():
    saved = scicomp.get_config().to_dict()
    yield
    current = scicomp.get_config().to_dict()
    if current != saved:
        scicomp.set_config(**saved)


def rtol_for(precision: str) -> float:
    """Tolerances the project promises: ~1e-10 in float64, ~1e-4 in float32."""
    return 1e-10 if precision == "float64" else 1e-4


def to_np(x) -> np.ndarray:
    return scicomp.to_numpy(x)
