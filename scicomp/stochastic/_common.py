"""Pieces shared by the stochastic module: seeded instances, the time grid, memory checks, progress bars."""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._validation import check_memory, check_positive, check_positive_int, itemsize, resolve_backend
from ..backends import Backend
from ..backends.base import seed_sequence
from ..config import current_config

logger = logging.getLogger("scicomp.stochastic")

__all__ = ["SeededProcess", "itemsize", "time_grid", "check_grid", "refuse_oversize", "progress_bar", "make_seed_sequence"]


def make_seed_sequence(seed: Any) -> np.random.SeedSequence:
    """Validate ``seed`` (None: the config's default_random_seed) and return its SeedSequence."""
    return seed_sequence(seed, current_config().default_random_seed)


def time_grid(backend: Backend, T: float, n_steps: int) -> Any:
    """``linspace(0, T, n_steps + 1)`` as a backend array in the configured precision."""
    return backend.xp.linspace(0.0, T, n_steps + 1, dtype=backend.float_dtype)


def check_grid(T: Any, n_steps: Any, n_paths: Any = 1) -> tuple[float, int, int]:
    """Validate the horizon ``T`` (> 0), ``n_steps`` and ``n_paths`` (positive integers)."""
    return check_positive("T", T), check_positive_int("n_steps", n_steps), check_positive_int("n_paths", n_paths)


def refuse_oversize(n_paths: int, n_steps: int, arrays_per_path: int, backend: Backend, what: str) -> None:
    """Refuse, before allocating, a request whose arrays exceed ``memory_limit_gb``.

    ``arrays_per_path`` counts every (n_steps + 1)-long array a path needs at
    once (the normals, other random draws and the path itself).
    """
    check_memory(
        n_paths * (n_steps + 1) * arrays_per_path,
        itemsize(backend),
        what,
        hint="use fewer paths or steps, or generate the paths in batches",
    )


class SeededProcess:
    """Base of the process classes: a seed, a default backend and one random stream per backend.

    Reproducibility contract: the instance makes one generator per backend
    from its seed the first time it is used there, and each generating call
    continues that stream. So successive calls give different paths, and two
    instances built with the same seed give the same sequence of results on
    the same backend, run after run. ``reset()`` restarts the streams.
    Streams are kept per Backend instance, so a change of the settings that
    select one (float_precision, num_threads...) also starts from the seed.
    """

    def __init__(self, seed: Any, backend: str | Backend | None):
        self._seed_sequence = make_seed_sequence(seed)
        if backend is not None:
            resolve_backend(backend)  # an unknown or unavailable backend fails here, not at the first call
        self._backend = backend
        self._generators: dict[Backend, Any] = {}

    @property
    def seed(self) -> int | np.random.SeedSequence:
        """The seed this instance's streams start from (as given, or the config default)."""
        entropy = self._seed_sequence.entropy
        return entropy if not self._seed_sequence.spawn_key else self._seed_sequence

    def reset(self) -> None:
        """Restart every random stream from the seed (the next call repeats the first call's paths)."""
        self._generators.clear()

    def with_seed(self, seed: Any) -> SeededProcess:
        """A copy of this process (same parameters and backend) whose streams start from ``seed``.

        Used to give each chunk of a split computation its own spawned stream.
        """
        clone = copy.copy(self)
        clone._seed_sequence = make_seed_sequence(seed)
        clone._generators = {}
        return clone

    def _resolve(self, backend: str | Backend | None, size: int | None = None) -> Backend:
        """The call's backend; ``size`` (paths x steps) lets 'auto' follow the calibration profile."""
        return resolve_backend(self._backend if backend is None else backend, "paths", size)

    def _generator(self, b: Backend) -> Any:
        gen = self._generators.get(b)
        if gen is None:
            gen = self._generators[b] = b.random(self._seed_sequence)
        return gen


@contextlib.contextmanager
def progress_bar(total: int, description: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; with ``enabled`` it drives a rich progress bar (tqdm if rich is missing)."""
    if not enabled:
        yield lambda n=1: None
        return
    try:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    except ImportError:  # pragma: no cover - rich is a dependency
        try:
            from tqdm.auto import tqdm
        except ImportError:
            logger.warning("progress=True needs rich or tqdm; running without a progress bar")
            yield lambda n=1: None
            return
        with tqdm(total=total, desc=description) as bar:
            yield bar.update
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
