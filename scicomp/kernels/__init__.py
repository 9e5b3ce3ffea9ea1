"""Per-backend hot loops, one module per kernel family.

Each family module (``paths``, ...) defines the same functions for the
backends it accelerates: a vectorised version that works on any array
namespace, and, where a loop beats vectorisation, a Numba (CPU) or CUDA
version. ``kernels_for(name)`` collects the best version of each kernel for a
backend; an algorithm calls ``backend.kernels.<kernel>(backend, ...)`` and
never asks which backend it is on.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace

FAMILIES = ("paths",)


def kernels_for(backend_name: str) -> SimpleNamespace:
    """The kernels of every family for ``backend_name``, generic ones as fallback."""
    kernels: dict[str, object] = {}
    for family in FAMILIES:
        module = importlib.import_module(f"{__name__}.{family}")
        kernels.update(module.implementations(backend_name))
    return SimpleNamespace(**kernels)
