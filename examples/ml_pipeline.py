"""Spectrogram features -> Keras classifier, with scicomp in the TensorFlow pipeline.

Two classes of noisy sine (a low and a high frequency band) are made with
``SignalProcessor.generate_signal`` on the configured backend, moved to
TensorFlow with ``scicomp.asarray`` (DLPack: no copy on the CPU), turned into
log-spectrograms inside ``tf.data.Dataset.map`` (graph mode), and classified
by a small Keras model whose first layer is ``scicomp.keras.Spectrogram``.

Run: ``python examples/ml_pipeline.py`` (any backend: ``SCICOMP_BACKEND=numba
python examples/ml_pipeline.py`` generates the signals with numba).
"""

from __future__ import annotations

import logging

import numpy as np

import scicomp

logger = logging.getLogger("scicomp.examples.ml_pipeline")

FS = 256.0  # Hz
DURATION = 1.0  # s: 256 samples per signal
N_PER_CLASS = 200


def make_signals(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: sines at 20-30 Hz, class 1: at 60-70 Hz, each with white noise of std 1."""
    sp = scicomp.SignalProcessor(FS)  # the configured backend
    rng = np.random.default_rng(seed)
    signals, labels = [], []
    for label, band in enumerate(((20.0, 30.0), (60.0, 70.0))):
        for i in range(n_per_class):
            _, x = sp.generate_signal(
                "sine", DURATION, frequency=rng.uniform(*band), phase=rng.uniform(0, 2 * np.pi),
                noise_level=1.0, seed=seed * 100_000 + label * n_per_class + i,
            )  # fmt: skip
            signals.append(scicomp.to_numpy(x))
            labels.append(label)
    order = rng.permutation(len(labels))
    return np.stack(signals)[order].astype(np.float32), np.asarray(labels)[order]


def main() -> float:
    import keras
    import tensorflow as tf

    from scicomp.keras import Spectrogram

    backend = scicomp.get_backend()
    logger.info("generating signals on the %s backend", backend.name)
    x_train, y_train = make_signals(N_PER_CLASS, seed=1)
    x_val, y_val = make_signals(N_PER_CLASS // 4, seed=2)

    # tf.data: scicomp functions run inside Dataset.map (traced, tensorflow backend).
    with scicomp.config_context(float_precision="float32"):
        sp_tf = scicomp.SignalProcessor(FS, backend="tensorflow")
        features = tf.data.Dataset.from_tensor_slices(scicomp.asarray(x_val, backend="tensorflow")).map(
            lambda s: sp_tf.power_spectral_density(s, nperseg=64)[1]
        )
        peak_bins = [int(tf.argmax(psd)) for psd in features.take(4)]
    logger.info("dominant PSD bins of the first validation signals: %s", peak_bins)

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((x_train.shape[1],)),
            Spectrogram(FS, nperseg=32, noverlap=16, log=True, eps=1e-6),
            keras.layers.Flatten(),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    print(f"validation accuracy: {accuracy:.3f} (signals generated on {backend.name})")  # noqa: T201 - example output
    return float(accuracy)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
