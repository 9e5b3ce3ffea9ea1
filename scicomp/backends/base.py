"""The one interface every algorithm uses: :class:`Backend`.

An algorithm receives a Backend and reaches arrays only through it:

* ``backend.xp`` - the array namespace, with the Python Array API standard's
  names (``asarray``, ``exp``, ``sum``, ``cumulative_sum``, ``where``,
  ``concat``, ``stack``, ``reshape``, ``astype``...). NumPy 2 and CuPy (through
  array-api-compat) serve it directly; TensorFlow gets a thin shim.
* ``backend.fft`` - fft, ifft, rfft, irfft, fftfreq, rfftfreq, fftn, ifftn.
* ``backend.linalg`` - solve, lstsq, inv, det, svd, eigh, eig, cholesky, qr,
  norm, matrix_rank, cond, lu (scipy.linalg.lu's (P, L, U)).
* ``backend.random(seed)`` - a seeded :class:`RandomGenerator` whose
  ``spawn(n)`` gives independent child streams (SeedSequence spawning).
* ``backend.asarray(x)`` / ``backend.to_numpy(x)`` / ``backend.synchronize()``,
  ``backend.device``, ``backend.name``, ``backend.float_dtype``.

Subclasses live one per module beside this one and import their framework in
``__init__`` (never at module import), so ``import scicomp`` stays cheap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

from ..config import SciCompConfig

__all__ = ["Backend", "BackendStatus", "RandomGenerator", "GeneratorRandom", "FFT_NAMES", "LINALG_NAMES"]

FFT_NAMES = ("fft", "ifft", "rfft", "irfft", "fftfreq", "rfftfreq", "fftn", "ifftn")
LINALG_NAMES = ("solve", "lstsq", "inv", "det", "svd", "eigh", "eig", "cholesky", "qr", "norm", "matrix_rank", "cond", "lu")

_NULL_SCOPE = contextlib.nullcontext()


@dataclass(frozen=True)
class BackendStatus:
    """What ``backend_info()`` reports for one backend."""

    name: str
    available: bool
    reason: str  # why it is unavailable ('' when available)
    version: str | None  # version of the framework package, when installed
    device: str | None  # where its arrays live, when available
    extra: str  # the pip extra that installs it ('' for numpy)
    gpu: bool = False  # whether it runs on a GPU here

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class RandomGenerator:
    """A seeded stream of random numbers on one backend.

    Built from a :class:`numpy.random.SeedSequence`, so ``spawn(n)`` gives
    ``n`` statistically independent child streams whatever the backend, and
    the same seed gives the same numbers on the same backend, run after run.
    Floats come in the backend's configured precision.
    """

    def __init__(self, backend: Backend, seed_sequence: np.random.SeedSequence):
        self.backend = backend
        self.seed_sequence = seed_sequence

    def spawn(self, n: int) -> list[RandomGenerator]:
        """Return ``n`` independent generators derived from this one's seed."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n={n!r}: the number of streams to spawn must be a positive integer")
        return [type(self)(self.backend, child) for child in self.seed_sequence.spawn(int(n))]

    # Subclasses implement these; ``size`` is an int or a tuple of ints.
    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None) -> Any:
        raise NotImplementedError

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None) -> Any:
        raise NotImplementedError

    def integers(self, low: int, high: int | None = None, size: Any = None) -> Any:
        raise NotImplementedError

    def poisson(self, lam: float = 1.0, size: Any = None) -> Any:
        raise NotImplementedError

    def standard_normal(self, size: Any = None) -> Any:
        return self.normal(0.0, 1.0, size)

    def fill_standard_normal(self, out: Any) -> Any:
        """Write standard normals into the backend array ``out`` (subclasses may avoid the temporary)."""
        out[...] = self.standard_normal(tuple(out.shape))
        return out


class GeneratorRandom(RandomGenerator):
    """A RandomGenerator over a ``numpy.random.Generator``-like ``self._rng`` (NumPy's or CuPy's).

    Subclasses set ``_rng`` and ``_dtype`` (the backend's float dtype) in ``__init__``.
    """

    _rng: Any
    _dtype: Any

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None) -> Any:
        out = self._rng.standard_normal(normalize_size(size), dtype=self._dtype)
        if scale != 1.0:
            out *= scale
        if loc != 0.0:
            out += loc
        return out

    def standard_normal(self, size: Any = None) -> Any:
        return self._rng.standard_normal(normalize_size(size), dtype=self._dtype)

    def fill_standard_normal(self, out: Any) -> Any:
        """Draw standard normals straight into ``out`` (C-contiguous, float32/float64): no temporary."""
        self._rng.standard_normal(out=out, dtype=out.dtype)
        return out

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None) -> Any:
        out = self._rng.random(normalize_size(size), dtype=self._dtype)
        return out * (high - low) + low if (low, high) != (0.0, 1.0) else out

    def integers(self, low: int, high: int | None = None, size: Any = None) -> Any:
        return self._rng.integers(low, high, size=normalize_size(size))

    def poisson(self, lam: float = 1.0, size: Any = None) -> Any:
        return self._rng.poisson(lam, size=normalize_size(size)).astype(self._dtype)


def seed_sequence(seed: Any, default: int) -> np.random.SeedSequence:
    """Turn None (the config's default seed), an int or a SeedSequence into a SeedSequence."""
    if seed is None:
        seed = default
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r}: must be a non-negative integer, a numpy SeedSequence or None")
    return np.random.SeedSequence(int(seed))


def normalize_size(size: Any) -> tuple[int, ...]:
    """``None`` -> (), an int -> (int,), a sequence -> tuple of ints."""
    if size is None:
        return ()
    if isinstance(size, (int, np.integer)):
        return (int(size),)
    return tuple(int(s) for s in size)


class Backend:
    """Base class of the four backends; see the module docstring.

    Instances are made by :func:`scicomp.get_backend`, which caches one per
    backend and relevant settings, so holding on to one is cheap.
    """

    name: ClassVar[str]
    extra: ClassVar[str] = ""  # pip extra that installs the framework
    package: ClassVar[str] = ""  # distribution whose version backend_info reports
    is_gpu: bool = False

    xp: Any
    fft: SimpleNamespace
    linalg: SimpleNamespace
    kernels: Any
    float_dtype: Any
    complex_dtype: Any
    device: str

    def __init__(self, config: SciCompConfig):
        self.config = config
        self.precision = config.float_precision

    # -- availability ---------------------------------------------------------
    @classmethod
    def probe(cls) -> BackendStatus:
        """Report whether this backend can run here; must never raise."""
        raise NotImplementedError

    # -- arrays ----------------------------------------------------------------
    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """Put ``x`` on this backend's device in the configured precision.

        Real numbers (bool, int, float) become ``float_dtype``, complex numbers
        ``complex_dtype``, unless ``dtype`` says otherwise.
        """
        raise NotImplementedError

    def to_numpy(self, x: Any) -> np.ndarray:
        """Copy (or view, on the CPU) ``x`` into a NumPy array."""
        raise NotImplementedError

    def owns(self, x: Any) -> bool:
        """Whether ``x`` is already an array of this backend."""
        raise NotImplementedError

    def from_dlpack(self, x: Any) -> Any:
        """Move another library's array here, keeping its dtype (zero-copy where possible)."""
        raise NotImplementedError

    def synchronize(self) -> None:
        """Wait for queued device work (a no-op on the CPU)."""

    def scope(self) -> contextlib.AbstractContextManager[Any]:
        """Context that pins work to this backend's device and thread settings."""
        return _NULL_SCOPE

    def random(self, seed: Any = None) -> RandomGenerator:
        """A generator seeded by ``seed`` (None: the config's default_random_seed)."""
        raise NotImplementedError

    # -- helpers shared by all backends ----------------------------------------
    def result_dtype(self, x: Any) -> Any:
        """The configured dtype that matches ``x``'s kind (complex stays complex)."""
        dtype = getattr(x, "dtype", None)
        kind = np.asarray(x).dtype.kind if dtype is None else np.dtype(_numpy_dtype(dtype)).kind
        return self.complex_dtype if kind == "c" else self.float_dtype

    def __repr__(self) -> str:
        return f"<scicomp {self.name} backend on {self.device}, {self.precision}>"


def _numpy_dtype(dtype: Any) -> Any:
    """A NumPy dtype for any framework's dtype (TensorFlow's have ``as_numpy_dtype``)."""
    return getattr(dtype, "as_numpy_dtype", dtype)


def namespace(**functions: Any) -> SimpleNamespace:
    return SimpleNamespace(**functions)


def fill_missing(ns: SimpleNamespace, names: Sequence[str], source: Any) -> SimpleNamespace:
    for name in names:
        if not hasattr(ns, name):
            setattr(ns, name, getattr(source, name))
    return ns
