"""Targets 1, 2 and 7: FFT dispatch overhead, threads, and the TensorFlow path."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
from conftest import QUICK, SIZE_BACKENDS, skip_unless_available

import scicomp
from scicomp import SignalProcessor

FS = 1000.0
X4096 = np.random.default_rng(1).standard_normal(4096)
BATCH = np.random.default_rng(2).standard_normal((64, 4096))


# -- target 1: dispatch overhead on 4096 real samples --------------------------------
@pytest.mark.benchmark(group="fft-dispatch-4096")
def test_reference_scipy_rfft_abs_freqs(benchmark):
    def reference(x):
        return scipy.fft.rfftfreq(x.shape[-1], 1 / FS), np.abs(scipy.fft.rfft(x))

    benchmark(reference, X4096)


@pytest.mark.benchmark(group="fft-dispatch-4096")
def test_scicomp_compute_fft(benchmark):
    sp = SignalProcessor(sampling_rate=FS, backend="numpy")
    benchmark(sp.compute_fft, X4096)


# -- target 2: a (64, 4096) batch with num_threads=2 vs scipy with one worker ----------
@pytest.mark.benchmark(group="fft-threads-64x4096")
def test_reference_scipy_rfft_one_worker(benchmark):
    benchmark(lambda x: np.abs(scipy.fft.rfft(x, workers=1)), BATCH)


@pytest.mark.benchmark(group="fft-threads-64x4096")
def test_scicomp_compute_fft_two_threads(benchmark):
    scicomp.set_config(num_threads=2)
    sp = SignalProcessor(sampling_rate=FS, backend="numpy")
    benchmark(sp.compute_fft, BATCH)


# -- target 7: the TensorFlow backend vs calling tf.signal directly --------------------
@pytest.mark.benchmark(group="fft-tensorflow-4096")
def test_reference_tf_rfft_abs(benchmark):
    skip_unless_available("tensorflow")
    import tensorflow as tf

    x = tf.constant(X4096)
    benchmark(lambda t: tf.abs(tf.signal.rfft(t)), x)


@pytest.mark.benchmark(group="fft-tensorflow-4096")
def test_scicomp_compute_fft_tensorflow(benchmark):
    skip_unless_available("tensorflow")
    import tensorflow as tf

    x = tf.constant(X4096)
    sp = SignalProcessor(sampling_rate=FS, backend="tensorflow")
    benchmark(sp.compute_fft, x)


# -- time against size, per backend (dashboard plots) ----------------------------------
SIZES = [2**10, 2**14] if QUICK else [2**10, 2**12, 2**14, 2**16, 2**18]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("backend", SIZE_BACKENDS)
@pytest.mark.benchmark(group="size-fft")
def test_size_fft(benchmark, backend, n):
    skip_unless_available(backend)
    b = scicomp.get_backend(backend)
    x = b.asarray(np.random.default_rng(n).standard_normal(n))
    sp = SignalProcessor(sampling_rate=FS, backend=backend)
    benchmark.extra_info.update(backend=backend, size=n, family="fft")

    def run():
        out = sp.compute_fft(x)
        b.synchronize()
        return out

    benchmark(run)
