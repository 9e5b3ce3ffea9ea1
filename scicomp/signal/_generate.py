"""Test signals: sine, cosine, square, sawtooth, chirp, multi_sine, noise."""

from __future__ import annotations

import math
from typing import Any

from .._validation import check_choice, check_finite_number, check_non_negative, check_positive
from ..backends import Backend
from ..config import current_config

__all__ = ["SIGNAL_TYPES", "CHIRP_END_FACTOR", "generate_signal"]

SIGNAL_TYPES = ("sine", "cosine", "square", "sawtooth", "chirp", "multi_sine", "noise")
CHIRP_END_FACTOR = 10.0  # a chirp sweeps linearly from frequency to CHIRP_END_FACTOR * frequency


def generate_signal(
    b: Backend,
    fs: float,
    signal_type: str,
    duration: float,
    frequency: float = 1.0,
    amplitude: float = 1.0,
    phase: float = 0.0,
    noise_level: float = 0.0,
    seed: Any = None,
) -> tuple[Any, Any]:
    """(t, x) on backend ``b``; see :meth:`SignalProcessor.generate_signal`."""
    check_choice("signal_type", signal_type, SIGNAL_TYPES)
    duration = check_positive("duration", duration)
    frequency = check_positive("frequency", frequency)
    amplitude = check_finite_number("amplitude", amplitude)
    phase = check_finite_number("phase", phase)
    noise_level = check_non_negative("noise_level", noise_level)
    n = int(round(duration * fs))
    if n < 1:
        raise ValueError(f"duration={duration!r}: gives no sample at sampling_rate={fs:g} Hz; use duration >= {1 / fs:g}")
    xp = b.xp
    seed = current_config().default_random_seed if seed is None else seed
    rng = b.random(seed)
    t = xp.arange(n, dtype=b.float_dtype) / fs
    two_pi_f = 2 * math.pi * frequency
    if signal_type == "sine":
        x = amplitude * xp.sin(two_pi_f * t + phase)
    elif signal_type == "cosine":
        x = amplitude * xp.cos(two_pi_f * t + phase)
    elif signal_type == "square":  # scipy.signal.square (duty 0.5): +1 on the first half of each period
        tmod = xp.remainder(two_pi_f * t + phase, 2 * math.pi)
        x = amplitude * xp.where(tmod < math.pi, xp.ones_like(t), -xp.ones_like(t))
    elif signal_type == "sawtooth":  # scipy.signal.sawtooth (width 1): rises from -1 to 1 each period
        x = amplitude * (xp.remainder(two_pi_f * t + phase, 2 * math.pi) / math.pi - 1)
    elif signal_type == "chirp":  # scipy.signal.chirp(t, f0, duration, f1, 'linear', phi=degrees(phase))
        beta = (CHIRP_END_FACTOR * frequency - frequency) / duration
        x = amplitude * xp.cos(2 * math.pi * (frequency * t + 0.5 * beta * t * t) + phase)
    elif signal_type == "multi_sine":  # harmonics 1, 2, 3 with amplitudes A, A/2, A/3
        x = sum((amplitude / k) * xp.sin(k * two_pi_f * t + phase) for k in (1, 2, 3))
    else:  # noise: seeded white Gaussian noise of standard deviation ``amplitude``
        x = amplitude * rng.standard_normal(n)
    if noise_level > 0:
        x = x + noise_level * rng.standard_normal(n)
    return t, x
