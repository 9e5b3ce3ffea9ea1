"""Plots of scicomp results (matplotlib, extra ``plot``).

Every function accepts any backend's arrays (they are copied to the host:
drawing is a host operation you asked for), draws on ``ax`` when given or on
a new Figure, and returns the Figure. With ``berkeley_theme`` on, lines use
Berkeley blue (#003262) and California gold (#FDB515).

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot, so
nothing here opens a window or depends on a GUI backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .backends import to_numpy
from .config import current_config

__all__ = ["plot_spectrum", "plot_psd", "plot_spectrogram", "plot_paths", "plot_optimization", "BERKELEY_BLUE", "CALIFORNIA_GOLD"]

BERKELEY_BLUE = "#003262"
CALIFORNIA_GOLD = "#FDB515"


def _palette() -> tuple[str, str]:
    if current_config().berkeley_theme:
        return BERKELEY_BLUE, CALIFORNIA_GOLD
    return "C0", "C1"


def _axes(ax: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError('plotting needs matplotlib: pip install "scicomp[plot]"') from exc
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    return fig, fig.add_subplot()


def _host(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(to_numpy(x))
    if arr.size == 0:
        raise ValueError(f"{name}: nothing to plot (empty array)")
    return arr


def plot_spectrum(frequencies: Any, magnitudes: Any, ax: Any = None, title: str = "Spectrum", log: bool = False) -> Any:
    """Magnitude spectrum, e.g. from ``SignalProcessor.compute_fft`` (the first row of a batch)."""
    f, m = _host(frequencies, "frequencies"), _host(magnitudes, "magnitudes")
    m = m.reshape(-1, m.shape[-1])[0]
    fig, ax = _axes(ax)
    blue, _ = _palette()
    ax.plot(f, m, color=blue, linewidth=1.2)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="Frequency [Hz]", ylabel="Magnitude", title=title)
    ax.grid(True, alpha=0.3)
    return fig


def plot_psd(frequencies: Any, psd: Any, ax: Any = None, title: str = "Power spectral density", db: bool = True) -> Any:
    """Power spectral density, in dB (10·log10) by default."""
    f, p = _host(frequencies, "frequencies"), _host(psd, "psd")
    p = p.reshape(-1, p.shape[-1])[0]
    fig, ax = _axes(ax)
    blue, _ = _palette()
    if db:
        ax.plot(f, 10 * np.log10(np.maximum(p, np.finfo(float).tiny)), color=blue, linewidth=1.2)
        ax.set_ylabel("PSD [dB/Hz]")
    else:
        ax.semilogy(f, p, color=blue, linewidth=1.2)
        ax.set_ylabel("PSD [1/Hz]")
    ax.set(xlabel="Frequency [Hz]", title=title)
    ax.grid(True, alpha=0.3)
    return fig


def plot_spectrogram(frequencies: Any, times: Any, sxx: Any, ax: Any = None, title: str = "Spectrogram", db: bool = True) -> Any:
    """Spectrogram as a colour map (scipy.signal.spectrogram's output order: f, t, Sxx)."""
    f, t, s = _host(frequencies, "frequencies"), _host(times, "times"), _host(sxx, "sxx")
    s = s.reshape(-1, *s.shape[-2:])[0]
    fig, ax = _axes(ax)
    values = 10 * np.log10(np.maximum(s, np.finfo(float).tiny)) if db else s
    mesh = ax.pcolormesh(t, f, values, shading="auto", cmap="cividis" if current_config().berkeley_theme else "viridis")
    fig.colorbar(mesh, ax=ax, label="Power [dB]" if db else "Power")
    ax.set(xlabel="Time [s]", ylabel="Frequency [Hz]", title=title)
    return fig


def plot_paths(
    t: Any,
    paths: Any,
    ax: Any = None,
    max_paths: int = 50,
    confidence: float = 0.95,
    title: str = "Sample paths",
) -> Any:
    """Up to ``max_paths`` sample paths with their mean and a pointwise confidence band.

    The band is mean ± z·std across paths (z from ``confidence``), i.e. where a
    new path lies with that probability under a normal approximation.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r}: must be in (0, 1)")
    from scipy.special import ndtri

    tt, p = _host(t, "t"), _host(paths, "paths")
    p = p.reshape(-1, p.shape[-1])
    if p.shape[-1] != tt.shape[-1]:
        raise ValueError(f"paths: last axis has {p.shape[-1]} points but t has {tt.shape[-1]}")
    fig, ax = _axes(ax)
    blue, gold = _palette()
    for row in p[:max_paths]:
        ax.plot(tt, row, color=blue, alpha=0.25, linewidth=0.7)
    mean = p.mean(axis=0)
    ax.plot(tt, mean, color=gold, linewidth=2.0, label="mean")
    if p.shape[0] > 1:
        z = float(ndtri(0.5 + confidence / 2))
        std = p.std(axis=0, ddof=1)
        ax.fill_between(tt, mean - z * std, mean + z * std, color=gold, alpha=0.25, label=f"{confidence:.0%} band")
    ax.set(xlabel="t", ylabel="X(t)", title=title)
    ax.legend(loc="best")
    ax.grid(True, alpha=0.3)
    return fig


def plot_optimization(
    f: Callable[[np.ndarray], Any],
    path: Any,
    ax: Any = None,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
    levels: int = 30,
    title: str = "Optimisation trajectory",
) -> Any:
    """Trajectory of a 2-D minimisation over the contours of ``f``.

    ``path`` is an array of iterates of shape (k, 2), or a result with a
    ``path`` attribute (``track_path=True``). ``f`` is evaluated on the host
    grid, a row of points at a time when it accepts a (m, 2) batch, else
    point by point.
    """
    path = getattr(path, "path", path)
    if path is None:
        raise ValueError("path: the result has no path; minimise with track_path=True")
    pts = _host(path, "path")
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"path: expected iterates of shape (k, 2), got {pts.shape}")
    if not callable(f):
        raise TypeError(f"f: must be callable, got {type(f).__name__}")
    if bounds is None:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum(0.25 * (hi - lo), 0.5)
        bounds = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    xs = np.linspace(*bounds[0], 120)
    ys = np.linspace(*bounds[1], 120)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    try:
        z = np.asarray(to_numpy(f(grid)), dtype=float).reshape(gx.shape)
    except Exception:
        z = np.array([float(to_numpy(f(p))) for p in grid]).reshape(gx.shape)
    fig, ax = _axes(ax)
    blue, gold = _palette()
    finite = z[np.isfinite(z)]
    positive = finite.size and finite.min() > 0
    if positive:  # log-spaced levels show the valley of Rosenbrock-like functions
        lv = np.geomspace(finite.min(), finite.max(), levels)
    else:
        lv = levels
    ax.contour(gx, gy, z, levels=lv, cmap="Greys", linewidths=0.6)
    ax.plot(pts[:, 0], pts[:, 1], "-o", color=blue, markersize=3, linewidth=1.2, label="iterates")
    ax.plot(pts[-1, 0], pts[-1, 1], "*", color=gold, markersize=14, markeredgecolor=blue, label="final")
    ax.set(xlabel="x0", ylabel="x1", title=title)
    ax.legend(loc="best")
    return fig
