"""NumPy + SciPy backend: the default, and the reference the others are tested against."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..config import SciCompConfig
from ..errors import ConfigError
from .base import Backend, BackendStatus, GeneratorRandom, namespace, seed_sequence


class NumpyRandom(GeneratorRandom):
    """numpy.random.Generator (PCG64) seeded from a SeedSequence."""

    def __init__(self, backend: Backend, seed_sequence: np.random.SeedSequence):
        super().__init__(backend, seed_sequence)
        self._rng = np.random.Generator(np.random.PCG64(seed_sequence))
        self._dtype = backend.float_dtype


def _fftfreq(n: int, d: float = 1.0, *, dtype: Any) -> np.ndarray:
    return np.fft.fftfreq(n, d).astype(dtype, copy=False)


def _rfftfreq(n: int, d: float = 1.0, *, dtype: Any) -> np.ndarray:
    return np.fft.rfftfreq(n, d).astype(dtype, copy=False)


def fft_namespace(method: str, workers: int, dtype: Any):
    """The FFT functions for ``fft_method``: scipy.fft (threaded), numpy.fft or mkl_fft."""
    freqs = {"fftfreq": functools.partial(_fftfreq, dtype=dtype), "rfftfreq": functools.partial(_rfftfreq, dtype=dtype)}
    names = ("fft", "ifft", "rfft", "irfft", "fftn", "ifftn")
    if method == "scipy":
        import scipy.fft

        return namespace(**{n: functools.partial(getattr(scipy.fft, n), workers=workers) for n in names}, **freqs)
    if method == "numpy":
        return namespace(**{n: getattr(np.fft, n) for n in names}, **freqs)
    try:
        from mkl_fft.interfaces import scipy_fft as mkl
    except ImportError as exc:
        raise ConfigError('fft_method="mkl" needs mkl_fft: pip install "scicomp[mkl]"') from exc
    return namespace(**{n: functools.partial(getattr(mkl, n), workers=workers) for n in names}, **freqs)


def _raise_singular(fn):
    """numpy.linalg raises LinAlgError('Singular matrix'); add which call failed."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except np.linalg.LinAlgError as exc:
            raise np.linalg.LinAlgError(f"{fn.__name__}: {exc} (the matrix is singular or not positive definite)") from exc

    return wrapper


def _scipy_lu(a):
    """(P, L, U) with a = P @ L @ U, as scipy.linalg.lu."""
    import scipy.linalg

    return scipy.linalg.lu(a)


def linalg_namespace():
    la = np.linalg
    return namespace(
        solve=_raise_singular(la.solve),
        lstsq=functools.partial(la.lstsq, rcond=None),
        inv=_raise_singular(la.inv),
        det=la.det,
        svd=la.svd,
        eigh=la.eigh,
        eig=la.eig,
        cholesky=_raise_singular(la.cholesky),
        qr=la.qr,
        norm=la.norm,
        matrix_rank=la.matrix_rank,
        cond=la.cond,
        lu=_scipy_lu,
    )


class NumpyBackend(Backend):
    """NumPy arrays on the CPU; FFT from scipy.fft / numpy.fft / mkl_fft by ``fft_method``."""

    name = "numpy"
    extra = ""
    package = "numpy"

    def __init__(self, config: SciCompConfig):
        super().__init__(config)
        self.xp = np  # NumPy 2's main namespace follows the Array API standard
        self.float_dtype = np.dtype(config.float_precision)
        self.complex_dtype = np.dtype("complex64" if config.float_precision == "float32" else "complex128")
        self.device = "cpu"
        self.linalg = linalg_namespace()
        from ..kernels import kernels_for

        self.kernels = kernels_for(self.name)

    @functools.cached_property
    def fft(self):
        """Built on first use: importing scipy.fft costs ~0.2 s that path generation never needs."""
        return fft_namespace(self.config.fft_method, self.config.num_threads, self.float_dtype)

    @classmethod
    def probe(cls) -> BackendStatus:
        return BackendStatus(cls.name, True, "", np.__version__, "cpu", cls.extra)

    def asarray(self, x, dtype=None):
        if dtype is None:
            dtype = self.result_dtype(x)
        if hasattr(x, "__cuda_array_interface__"):
            raise TypeError(
                f"{self.name} backend got a GPU array: move it explicitly with scicomp.to_numpy(x) "
                "(scicomp never copies between GPU and host behind your back)"
            )
        if not isinstance(x, (np.ndarray, list, tuple, int, float, complex, np.generic)) and hasattr(x, "numpy"):
            x = x.numpy()  # a TensorFlow CPU tensor
        return np.asarray(x, dtype=dtype)

    def to_numpy(self, x):
        return np.asarray(x)

    def owns(self, x):
        return isinstance(x, np.ndarray)

    def from_dlpack(self, x):
        if isinstance(x, np.ndarray):
            return x
        if hasattr(x, "__cuda_array_interface__") and hasattr(x, "get"):
            return x.get()  # CuPy -> host: an explicit, documented copy
        try:
            return np.from_dlpack(x)
        except (TypeError, RuntimeError, BufferError, AttributeError):
            return np.asarray(x.numpy() if hasattr(x, "numpy") else x)

    def random(self, seed=None):
        return NumpyRandom(self, seed_sequence(seed, self.config.default_random_seed))
