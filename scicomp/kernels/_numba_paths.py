"""Numba (CPU) kernels that draw their own normals: path generation and fused Monte Carlo payoff statistics.

Imported only when a numba kernel is first called (it imports numba at the
top). Every kernel is ``njit(parallel=True, cache=True)`` with fastmath off,
parallel over paths (or Monte Carlo blocks) with ``prange``, and each path or
block reads its own stream (:mod:`scicomp.kernels._rng`), so the output does
not depend on the number of threads.

Numba's on-disk cache is keyed on this file: a change to ``_rng.py`` alone
does not invalidate it (clear ``__pycache__`` when editing the generator).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import _rng

_RNG = _rng.build(numba.njit(inline="always"), numba.njit)
_seed = _RNG.seed
_normal = _RNG.normal

BROWNIAN, GEOMETRIC, AR1 = 0, 1, 2
"""Path kinds: x += a + b z (Brownian), log s += a + b z (geometric, exp in the kernel), x = a x + c + b z (AR(1))."""


@numba.njit(parallel=True, cache=True)
def fill_paths(out, key, kind, x0, a, b, c, ki, wi, fi):  # pragma: no cover - compiled
    """Write paths of ``kind`` into ``out`` (n_paths, n_steps + 1) in place, row p from stream p."""
    n_paths, n_cols = out.shape
    k0, k1, k2, k3 = key[0], key[1], key[2], key[3]
    shift = x0 if kind == BROWNIAN else 0.0  # Brownian: x0 + running sum; geometric: log(s / s0)
    start = x0 if kind == AR1 else 0.0
    for p in numba.prange(n_paths):
        s0, s1, s2, s3 = _seed(k0, k1, k2, k3, p)
        row = out[p]
        y = start
        row[0] = y + shift
        for k in range(1, n_cols):
            z, s0, s1, s2, s3 = _normal(s0, s1, s2, s3, ki, wi, fi)
            if kind == AR1:
                y = a * y + (c + b * z)
            else:
                y += a + b * z
            row[k] = y + shift
        if kind == GEOMETRIC:
            for k in range(n_cols):
                row[k] = x0 * math.exp(row[k])  # s0 * exp(0) == s0 exactly in the first column
    return out


def fill_geometric_paths(out, key, s0, a, b, tables):
    """GBM paths in place: the kernel writes log(s / s0), then NumPy's SIMD ``exp`` and a scale run in place.

    Numba compiles ``math.exp`` to a scalar libm call (no SVML here), about
    6 ns an element, three times NumPy's vectorised exp: profiling showed the
    exponential pass was half the kernel's time, so it runs in NumPy.
    """
    fill_paths(out, key, BROWNIAN, 0.0, a, b, 0.0, *tables)
    np.exp(out, out=out)
    out *= s0  # s0 * exp(0) == s0 exactly in the first column
    return out


@numba.njit(parallel=True, cache=True)
def payoff_block_statistics(keys, sizes, s0, strike, drift, vol, is_call, antithetic, ki, wi, fi):  # pragma: no cover
    """Per-block mean and sum of squared deviations of European payoffs; block i draws from stream keys[i].

    Terminal value, payoff and running (Welford) sums in one pass: nothing of
    size n_samples is ever stored.
    """
    n_blocks = sizes.shape[0]
    means = np.empty(n_blocks, dtype=np.float64)
    m2s = np.empty(n_blocks, dtype=np.float64)
    for i in numba.prange(n_blocks):
        st0, st1, st2, st3 = _seed(keys[i, 0], keys[i, 1], keys[i, 2], keys[i, 3], 0)
        mean = 0.0
        m2 = 0.0
        for j in range(sizes[i]):
            z, st0, st1, st2, st3 = _normal(st0, st1, st2, st3, ki, wi, fi)
            terminal = s0 * math.exp(drift + vol * z)
            y = max(terminal - strike, 0.0) if is_call else max(strike - terminal, 0.0)
            if antithetic:
                mirror = s0 * math.exp(drift - vol * z)
                y = 0.5 * (y + (max(mirror - strike, 0.0) if is_call else max(strike - mirror, 0.0)))
            delta = y - mean
            mean += delta / (j + 1)
            m2 += delta * (y - mean)
        means[i] = mean
        m2s[i] = m2
    return means, m2s
