"""Per-backend hot loops, one module per kernel family.

Each family module (``paths``, ...) defines the same functions for the
backends it accelerates: a vectorised version that works on any array
namespace, and, where a loop beats vectorisation, a Numba (CPU) or CUDA
version. ``kernels_for(name)`` collects the best version of each kernel for a
backend; an algorithm calls ``backend.kernels.<kernel>(backend, ...)`` and
never asks which backend it is on.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from types import SimpleNamespace


@functools.cache
def families() -> tuple[str, ...]:
    """Every kernel family module in this package (those not starting with '_')."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))


def kernels_for(backend_name: str) -> SimpleNamespace:
    """The kernels of every family for ``backend_name``.

    Each family module has ``implementations(backend_name) -> dict`` mapping
    kernel names to callables; importing a family must not import numba,
    cupy or tensorflow (they load inside the implementations).
    """
    kernels: dict[str, object] = {}
    for family in families():
        module = importlib.import_module(f"{__name__}.{family}")
        kernels.update(module.implementations(backend_name))
    return SimpleNamespace(**kernels)
