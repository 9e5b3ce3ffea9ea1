"""Plots render to non-empty PNG images from any backend's arrays."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib.image  # noqa: E402

import scicomp  # noqa: E402
from scicomp import plot  # noqa: E402


def _decode(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    buf.seek(0)
    img = matplotlib.image.imread(buf, format="png")
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50
    assert np.unique(img.reshape(-1, img.shape[-1]), axis=0).shape[0] > 10  # something was drawn
    return img


def _has_colour(img: np.ndarray, hex_colour: str, tol: float = 0.02) -> bool:
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool(np.any(np.all(np.abs(img[..., :3] - rgb) < tol, axis=-1)))


def test_plot_spectrum_in_berkeley_colours(backend):
    f = backend.asarray(np.linspace(0, 500, 501))
    m = backend.asarray(np.exp(-((np.linspace(0, 500, 501) - 50) ** 2) / 50))
    img = _decode(plot.plot_spectrum(f, m))
    assert _has_colour(img, plot.BERKELEY_BLUE)


def test_theme_off_uses_default_colours():
    with scicomp.config_context(berkeley_theme=False):
        img = _decode(plot.plot_spectrum(np.arange(100.0), np.sin(np.arange(100.0))))
    assert not _has_colour(img, plot.BERKELEY_BLUE)


def test_plot_psd_and_spectrogram():
    f = np.linspace(0, 500, 129)
    _decode(plot.plot_psd(f, 1.0 / (1 + f)))
    _decode(plot.plot_psd(f, 1.0 / (1 + f), db=False))
    t = np.linspace(0, 1, 20)
    sxx = np.abs(np.random.default_rng(0).standard_normal((129, 20))) + 1e-3
    _decode(plot.plot_spectrogram(f, t, sxx))


def test_plot_paths_with_band(backend):
    rng = np.random.default_rng(1)
    paths = np.cumsum(rng.standard_normal((30, 101)), axis=1)
    img = _decode(plot.plot_paths(backend.asarray(np.linspace(0, 1, 101)), backend.asarray(paths)))
    assert _has_colour(img, plot.CALIFORNIA_GOLD)


def test_plot_optimization_over_contours():
    def rosen(x):
        x = np.asarray(x)
        return (1 - x[..., 0]) ** 2 + 100 * (x[..., 1] - x[..., 0] ** 2) ** 2

    path = np.array([[-1.2, 1.0], [-1.0, 0.9], [0.0, 0.0], [0.9, 0.8], [1.0, 1.0]])
    _decode(plot.plot_optimization(rosen, path))

    class Result:
        pass

    r = Result()
    r.path = path
    _decode(plot.plot_optimization(lambda p: float(p[0] ** 2 + p[1] ** 2), r))


def test_plot_bad_input():
    with pytest.raises(ValueError, match="path"):
        plot.plot_optimization(lambda p: 0.0, np.ones((3, 3)))
    with pytest.raises(ValueError, match="empty"):
        plot.plot_spectrum(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="confidence"):
        plot.plot_paths(np.arange(3.0), np.ones((2, 3)), confidence=1.5)
    with pytest.raises(ValueError, match="t has"):
        plot.plot_paths(np.arange(4.0), np.ones((2, 3)))
