"""TensorFlow backend: tf.Tensor in and out, on '/GPU:0' or '/CPU:0'.

FFT from tf.signal, linear algebra from tf.linalg, random numbers from
tf.random.Generator, all in the configured precision (float64 works, not only
TensorFlow's float32 default). Every function is a TF op, so it runs in graph
mode and under GradientTape.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
from typing import Any

import numpy as np

from ..config import SciCompConfig
from ..errors import BackendUnavailableError
from .base import Backend, BackendStatus, RandomGenerator, normalize_size, seed_sequence

logger = logging.getLogger("scicomp.backends.tensorflow")
_EXTRA = "tensorflow"
_configured = False


def load_tensorflow(config: SciCompConfig | None = None) -> Any:
    """Import TensorFlow once, applying num_threads and GPU memory growth before it starts."""
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ banner out of users' logs
    import tensorflow as tf

    if config is not None and not _configured:
        _configured = True
        try:
            tf.config.threading.set_intra_op_parallelism_threads(config.num_threads)
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError as exc:  # TF was initialised before scicomp touched it
            logger.info("TensorFlow already initialised; num_threads/memory growth not applied (%s)", exc)
    return tf


def exclude_from_autograph(tf: Any) -> None:
    """Tell AutoGraph to call scicomp's code as plain Python inside ``tf.function``.

    scicomp's TensorFlow paths are written with TF ops and static Python
    control flow only, so AutoGraph has nothing to rewrite in them; converting
    them anyway costs seconds on every first trace (AutoGraph parses and
    transforms the source of each function it meets). TensorFlow treats its
    own modules, NumPy and Keras this way; this adds ``scicomp`` to that list
    (idempotent; a no-op if TensorFlow's internal config moves).
    """
    try:
        from tensorflow.python.autograph.core import config as autograph_config
    except ImportError:  # pragma: no cover - internal module moved
        logger.debug("AutoGraph config not found; scicomp functions will be converted (slower first trace)")
        return
    rules = tuple(autograph_config.CONVERSION_RULES)
    if not any(getattr(rule, "_prefix", None) == "scicomp" for rule in rules):
        autograph_config.CONVERSION_RULES = (autograph_config.DoNotConvert("scicomp"), *rules)


class StatelessPhilox:
    """The numbers ``tf.random.Generator.from_seed(seed)`` gives, from stateless ops and a Python-side counter.

    A Generator keeps its Philox state in a tf.Variable, which ``tf.function``
    will not create on a later trace; a generator made while tracing uses this
    instead. It draws with the stateless V2 kernels at the key and counter the
    Generator would hold, advancing the counter as the stateful ops do (256
    per element), so a traced call draws the same numbers as the eager one.
    The counter advances at trace time: every run of one traced function
    repeats its numbers (seed the call differently for new ones).
    """

    _SKIP = 256  # Philox counter increments per output element, as the stateful kernels advance it

    def __init__(self, tf: Any, seed: int):
        from tensorflow.python.ops import gen_stateless_random_ops_v2 as ops  # the key/counter kernels

        self._tf, self._ops = tf, ops
        with tf.init_scope():
            state = [int(v) % 2**64 for v in np.asarray(tf.random.create_rng_state(seed, "philox"))]
        self._counter = state[0] + (state[1] << 64)
        self._key = tf.constant(np.array([state[2]], dtype=np.uint64))

    def _next(self, shape: Any) -> tuple[Any, Any]:
        counter = self._counter
        self._counter = (counter + self._SKIP * int(np.prod(shape, dtype=np.int64))) % 2**128
        return self._key, self._tf.constant(np.array([counter % 2**64, counter >> 64], dtype=np.uint64))

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None):
        key, counter = self._next(shape)
        return self._ops.stateless_random_normal_v2(shape, key, counter, 1, dtype=dtype) * stddev + mean

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=None):
        tf = self._tf
        key, counter = self._next(shape)
        if tf.as_dtype(dtype).is_integer:
            low, high = tf.constant(minval, dtype), tf.constant(maxval, dtype)
            return self._ops.stateless_random_uniform_int_v2(shape, key, counter, 1, minval=low, maxval=high)
        return self._ops.stateless_random_uniform_v2(shape, key, counter, 1, dtype=dtype) * (maxval - minval) + minval

    def make_seeds(self, count=1):
        key, counter = self._next((count,))
        keys = self._ops.stateless_random_uniform_full_int_v2((count,), key, counter, 1, dtype=self._tf.int64)
        return self._tf.stack([keys, self._tf.zeros_like(keys)])


class TensorFlowRandom(RandomGenerator):
    """tf.random.Generator (Philox) seeded from the SeedSequence."""

    def __init__(self, backend: TensorFlowBackend, seed_sequence: np.random.SeedSequence):
        super().__init__(backend, seed_sequence)
        tf = backend.tf
        seed = int(seed_sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        if tf.executing_eagerly():
            with tf.device(backend.device):
                self._rng = tf.random.Generator.from_seed(seed)
        else:  # made while tracing a tf.function, where a Generator's state variable is refused
            self._rng = StatelessPhilox(tf, seed)
        self._tf = tf
        self._dtype = backend.float_dtype

    def normal(self, loc=0.0, scale=1.0, size=None):
        return self._rng.normal(normalize_size(size), mean=loc, stddev=scale, dtype=self._dtype)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._rng.uniform(normalize_size(size), minval=low, maxval=high, dtype=self._dtype)

    def integers(self, low, high=None, size=None):
        if high is None:
            low, high = 0, low
        return self._rng.uniform(normalize_size(size), minval=low, maxval=high, dtype=self._tf.int64)

    def poisson(self, lam=1.0, size=None):
        seed = self._rng.make_seeds(1)[:, 0]
        return self._tf.random.stateless_poisson(normalize_size(size), seed, lam, dtype=self._dtype)


class TensorFlowBackend(Backend):
    """tf.Tensor on '/GPU:0' (use_gpu and a GPU) or '/CPU:0'."""

    name = "tensorflow"
    extra = _EXTRA
    package = "tensorflow"

    def __init__(self, config: SciCompConfig):
        super().__init__(config)
        if importlib.util.find_spec("tensorflow") is None:
            raise BackendUnavailableError(f'tensorflow backend: tensorflow is not installed (pip install "scicomp[{_EXTRA}]")')
        try:
            tf = self.tf = load_tensorflow(config)
        except Exception as exc:
            raise BackendUnavailableError(f"tensorflow backend: tensorflow fails to import: {exc}") from exc
        gpus = tf.config.list_physical_devices("GPU")
        self.is_gpu = bool(config.use_gpu and gpus)
        self.device = "/GPU:0" if self.is_gpu else "/CPU:0"
        self.float_dtype = tf.float32 if config.float_precision == "float32" else tf.float64
        self.complex_dtype = tf.complex64 if config.float_precision == "float32" else tf.complex128
        from ._tf_namespace import TensorFlowNamespace
        from ._tf_spectral import TensorFlowFFT, tensorflow_linalg

        exclude_from_autograph(tf)
        self.xp = TensorFlowNamespace(tf, self.float_dtype, self.complex_dtype)
        self.fft = TensorFlowFFT(tf, self.float_dtype, self.complex_dtype)
        self.linalg = tensorflow_linalg(tf)
        from ..kernels import kernels_for

        self.kernels = kernels_for(self.name)

    @classmethod
    def probe(cls) -> BackendStatus:
        if importlib.util.find_spec("tensorflow") is None:
            return BackendStatus(
                cls.name, False, f'tensorflow is not installed (pip install "scicomp[{_EXTRA}]")', None, None, _EXTRA
            )
        version = _version()
        try:
            tf = load_tensorflow()
            gpus = tf.config.list_physical_devices("GPU")
        except Exception as exc:
            return BackendStatus(cls.name, False, f"tensorflow fails to import: {exc}", version, None, _EXTRA)
        device = "/GPU:0 (and /CPU:0)" if gpus else "/CPU:0"
        return BackendStatus(cls.name, True, "", version, device, _EXTRA, gpu=bool(gpus))

    def scope(self):
        return self.tf.device(self.device)

    def asarray(self, x, dtype=None):
        tf = self.tf
        if dtype is None:
            dtype = self.result_dtype(x)
        with tf.device(self.device):
            if isinstance(x, (tf.Tensor, tf.Variable)):
                return x if x.dtype == dtype else tf.cast(x, dtype)
            if hasattr(x, "__cuda_array_interface__"):
                x = self.from_dlpack(x)  # a CuPy array: stays on the GPU
                return x if x.dtype == dtype else tf.cast(x, dtype)
            return tf.convert_to_tensor(np.asarray(x, dtype=tf.as_dtype(dtype).as_numpy_dtype))

    def to_numpy(self, x):
        return x.numpy() if hasattr(x, "numpy") else np.asarray(x)

    def owns(self, x):
        return isinstance(x, (self.tf.Tensor, self.tf.Variable))

    def from_dlpack(self, x):
        tf = self.tf
        if isinstance(x, (tf.Tensor, tf.Variable)):
            return x
        if hasattr(x, "toDlpack"):  # CuPy: device memory handed over, no host trip
            return tf.experimental.dlpack.from_dlpack(x.toDlpack())
        x = np.asarray(x)
        if x.flags.c_contiguous and x.ctypes.data % 64 == 0 and x.dtype != np.bool_:
            try:
                return tf.experimental.dlpack.from_dlpack(x.__dlpack__())  # zero-copy on the CPU
            except Exception:  # TF refuses some dtypes/layouts: fall back to a copy
                pass
        return tf.convert_to_tensor(x)

    def synchronize(self):
        if self.is_gpu:
            self.tf.test.experimental.sync_devices()

    def random(self, seed=None):
        return TensorFlowRandom(self, seed_sequence(seed, self.config.default_random_seed))


def _version() -> str | None:
    for dist in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None
