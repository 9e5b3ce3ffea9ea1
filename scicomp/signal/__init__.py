"""scicomp.signal: signal processing written once for every backend.

>>> from scicomp.signal import SignalProcessor
>>> sp = SignalProcessor(sampling_rate=1000.0)
>>> t, x = sp.generate_signal("multi_sine", duration=1.0, frequency=50.0)
>>> f, pxx = sp.power_spectral_density(x, nperseg=256)

See :class:`SignalProcessor` for the methods and their SciPy equivalents.
"""

from __future__ import annotations

from ._filtering import FILTER_METHODS, FILTER_TYPES
from ._generate import CHIRP_END_FACTOR, SIGNAL_TYPES
from ._spectral import PSD_METHODS, SCALINGS
from .processor import SignalProcessor

__all__ = [
    "SignalProcessor",
    "SIGNAL_TYPES",
    "CHIRP_END_FACTOR",
    "PSD_METHODS",
    "SCALINGS",
    "FILTER_TYPES",
    "FILTER_METHODS",
]
