"""Counter-keyed random streams for compiled kernels: SplitMix64 seeding, xoshiro256**, a ziggurat normal.

Kernels that draw their own random numbers (Numba on the CPU, numba.cuda on
the GPU) give every path (or Monte Carlo block) its own stream: the 256-bit
xoshiro256** state of stream ``i`` is four SplitMix64 outputs started from a
hash of ``(key, i)``, where the 4 x 64-bit ``key`` comes from the caller's
seeded generator (and so from its SeedSequence). A path's numbers depend only
on the key and the path's index, never on which thread ran it, so the result
is the same whatever ``num_threads`` and whatever the GPU's launch shape.

Standard normals come from a 256-layer ziggurat (Marsaglia & Tsang, the
64-bit variant NumPy uses): one 64-bit draw, a table look-up and a compare
for 99% of the samples.

The generator functions below are plain Python written in the subset both
``numba.njit`` and ``numba.cuda.jit(device=True)`` compile;
:func:`build` compiles them with the given decorator. Integer constants are
``np.uint64`` so Numba never promotes a mix of signed and unsigned integers
to float. This module imports only NumPy.
"""

from __future__ import annotations

import functools
import math
from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = ["ziggurat_tables", "build", "stream_key", "KEY_WORDS"]

KEY_WORDS = 4
"""64-bit words in a stream key."""

_ZIG_R = 3.6541528853610088  # start of the tail of the 256-layer ziggurat
_ZIG_V = 0.00492867323399  # area of each layer


@functools.cache
def ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ki, wi, fi): the 256-layer ziggurat's thresholds (int64, 52-bit scale), widths and heights."""
    ki = np.zeros(256, dtype=np.int64)
    wi = np.zeros(256, dtype=np.float64)
    fi = np.zeros(256, dtype=np.float64)
    two52 = 2.0**52
    dn = tn = _ZIG_R
    q = _ZIG_V / math.exp(-0.5 * dn * dn)
    ki[0] = int((dn / q) * two52)
    ki[1] = 0
    wi[0] = q / two52
    wi[255] = dn / two52
    fi[0] = 1.0
    fi[255] = math.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = math.sqrt(-2.0 * math.log(_ZIG_V / dn + math.exp(-0.5 * dn * dn)))
        ki[i + 1] = int((dn / tn) * two52)
        tn = dn
        fi[i] = math.exp(-0.5 * dn * dn)
        wi[i] = dn / two52
    return ki, wi, fi


def stream_key(generator: Any, to_numpy: Any = np.asarray) -> np.ndarray:
    """Draw a fresh 4 x 64-bit key from a backend's seeded generator (continuing its stream)."""
    words = np.asarray(to_numpy(generator.integers(0, 2**63, size=(KEY_WORDS,))), dtype=np.int64)
    return words.astype(np.uint64)


def build(jit: Any, jit_rare: Any = None) -> SimpleNamespace:
    """Compile the stream functions with ``jit`` (``numba.njit(inline="always")`` or ``numba.cuda.jit(device=True)``).

    Inlining matters on the CPU: a non-inlined call passes the tables as
    reference-counted array structs and costs more than the draw itself.
    ``jit_rare`` (default ``jit``) compiles what runs once per stream or on
    the ziggurat's rare slow path, which need not be inlined (keeping it
    apart keeps compile time down).

    Returns a namespace with ``seed(k0, k1, k2, k3, index) -> state``,
    ``next_u64(state) -> (value, state)``, ``uniform(state) -> (u in [0, 1), state)``
    and ``normal(state, ki, wi, fi) -> (z, state)``, a state being four uint64.
    """
    jit_rare = jit if jit_rare is None else jit_rare
    u64 = np.uint64
    GOLDEN = u64(0x9E3779B97F4A7C15)
    MIX1 = u64(0xBF58476D1CE4E5B9)
    MIX2 = u64(0x94D049BB133111EB)
    S30, S27, S31 = u64(30), u64(27), u64(31)
    S17, S45, S7, S64_7, S64_45 = u64(17), u64(45), u64(7), u64(57), u64(19)
    FIVE, NINE = u64(5), u64(9)
    S11, S8, S1 = u64(11), u64(8), u64(1)
    LOW8 = u64(0xFF)
    ONE = u64(1)
    LOW52 = u64(0x000FFFFFFFFFFFFF)
    INV53 = 1.0 / 9007199254740992.0
    ZR = _ZIG_R
    ZR_INV = 1.0 / _ZIG_R

    def mix64(z):
        z = (z ^ (z >> S30)) * MIX1
        z = (z ^ (z >> S27)) * MIX2
        return z ^ (z >> S31)

    mix64_j = jit_rare(mix64)

    def seed(k0, k1, k2, k3, index):
        x = mix64_j(u64(k0) + mix64_j(u64(index) ^ u64(k1)))
        x = x ^ u64(k2)
        x = x + GOLDEN
        s0 = mix64_j(x)
        x = (x + GOLDEN) ^ u64(k3)
        s1 = mix64_j(x)
        x = x + GOLDEN
        s2 = mix64_j(x)
        x = x + GOLDEN
        s3 = mix64_j(x)
        if (s0 | s1 | s2 | s3) == u64(0):  # the all-zero state is xoshiro's only fixed point
            s0 = GOLDEN
        return s0, s1, s2, s3

    def next_u64(s0, s1, s2, s3):
        t = s1 * FIVE
        result = ((t << S7) | (t >> S64_7)) * NINE
        t = s1 << S17
        s2 = s2 ^ s0
        s3 = s3 ^ s1
        s1 = s1 ^ s2
        s0 = s0 ^ s3
        s2 = s2 ^ t
        s3 = (s3 << S45) | (s3 >> S64_45)
        return result, s0, s1, s2, s3

    next_j = jit(next_u64)

    def uniform(s0, s1, s2, s3):
        r, s0, s1, s2, s3 = next_j(s0, s1, s2, s3)
        return float(r >> S11) * INV53, s0, s1, s2, s3

    uniform_j = jit_rare(uniform)

    def rare(idx, x, negative, s0, s1, s2, s3, fi):
        """The 1% of draws outside a layer's rectangle: (accepted, value, state)."""
        if idx == 0:  # the tail beyond ZR (Marsaglia's method)
            while True:
                u1, s0, s1, s2, s3 = uniform_j(s0, s1, s2, s3)
                u2, s0, s1, s2, s3 = uniform_j(s0, s1, s2, s3)
                xx = -ZR_INV * math.log1p(-u1)
                yy = -math.log1p(-u2)
                if yy + yy > xx * xx:
                    if negative:
                        return True, -(ZR + xx), s0, s1, s2, s3
                    return True, ZR + xx, s0, s1, s2, s3
        u, s0, s1, s2, s3 = uniform_j(s0, s1, s2, s3)
        accepted = (fi[idx - 1] - fi[idx]) * u + fi[idx] < math.exp(-0.5 * x * x)
        return accepted, x, s0, s1, s2, s3

    rare_j = jit_rare(rare)

    def normal(s0, s1, s2, s3, ki, wi, fi):
        while True:
            r, s0, s1, s2, s3 = next_j(s0, s1, s2, s3)
            idx = np.int64(r & LOW8)
            r = r >> S8
            negative = (r & ONE) != u64(0)
            rabs = np.int64((r >> S1) & LOW52)
            x = float(rabs) * wi[idx]
            if negative:
                x = -x
            if rabs < ki[idx]:
                return x, s0, s1, s2, s3  # inside the layer's rectangle: 99% of draws
            accepted, x, s0, s1, s2, s3 = rare_j(idx, x, negative, s0, s1, s2, s3, fi)
            if accepted:
                return x, s0, s1, s2, s3

    return SimpleNamespace(seed=jit_rare(seed), next_u64=next_j, uniform=uniform_j, normal=jit(normal), mix64=mix64_j)
