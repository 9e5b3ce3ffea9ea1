"""``scicomp bench``: run the benchmark suite and write a self-contained HTML dashboard.

The dashboard has the performance targets (measured ratio, PASS/FAIL), one
log-log plot per algorithm family of time against size for each backend (a
GPU run's JSON beside the CPU one is drawn next to it), and the history of
the targets across the runs saved in ``benchmarks/results/``. Plots are PNGs
embedded as data URIs, so the HTML file is all there is to share.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .targets import TARGETS, TargetResult, evaluate

__all__ = ["run_suite", "render_dashboard", "find_suite", "SIZE_FAMILIES"]

SIZE_FAMILIES = {"fft": "samples", "paths": "paths x steps", "bfgs": "problems", "linalg": "matrix order"}
_BLUE, _GOLD = "#003262", "#FDB515"
_BACKEND_COLOURS = {"numpy": _BLUE, "numba": _GOLD, "tensorflow": "#3B7EA1", "cupy": "#C4820E"}


def find_suite(start: Path | None = None) -> Path:
    """The ``benchmarks/`` folder of the source checkout (cwd or above)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "benchmarks"
        if (candidate / "check_targets.py").exists():
            return candidate
    raise FileNotFoundError("no benchmarks/ folder found: run scicomp bench from the scicomp source checkout, or pass --suite")


def run_suite(suite: Path, json_path: Path, quick: bool, on_test: Callable[[str, int, int], None] | None = None) -> int:
    """Run ``pytest suite --benchmark-only`` in this process, writing the JSON; returns pytest's exit code."""
    import pytest

    class Progress:
        def __init__(self) -> None:
            self.total = 0
            self.done = 0

        def pytest_collection_finish(self, session: Any) -> None:
            self.total = len(session.items)

        def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
            self.done += 1
            if on_test is not None:
                on_test(nodeid, self.done, self.total)

    args = [str(suite), "--benchmark-only", f"--benchmark-json={json_path}", "-q", "-p", "no:cacheprovider", "--no-header"]
    if quick:
        os.environ["SCICOMP_BENCH_QUICK"] = "1"
        args += ["--benchmark-max-time=0.05", "--benchmark-min-rounds=3", "--benchmark-warmup=off"]
    try:
        return int(pytest.main(args, plugins=[Progress()]))
    finally:
        os.environ.pop("SCICOMP_BENCH_QUICK", None)


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _size_series(run: dict[str, Any], family: str) -> dict[str, list[tuple[float, float]]]:
    series: dict[str, list[tuple[float, float]]] = {}
    for bench in run.get("benchmarks", []):
        info = bench.get("extra_info", {})
        if info.get("family") == family and "size" in info and "backend" in info:
            series.setdefault(info["backend"], []).append((float(info["size"]), float(bench["stats"]["median"])))
    return {k: sorted(v) for k, v in series.items()}


def _is_gpu_run(run: dict[str, Any]) -> bool:
    return bool(run.get("machine_info", {}).get("gpu"))


def _family_plot(family: str, runs: list[tuple[str, dict[str, Any]]]) -> str | None:
    from matplotlib.figure import Figure

    panels = [(label, _size_series(run, family)) for label, run in runs]
    panels = [(label, s) for label, s in panels if s]
    if not panels:
        return None
    fig = Figure(figsize=(5.5 * len(panels), 4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (label, series) in zip(axes, panels, strict=True):
        for backend, points in sorted(series.items()):
            xs, ys = zip(*points, strict=True)
            ax.loglog(xs, ys, "-o", color=_BACKEND_COLOURS.get(backend), label=backend, markersize=4)
        ax.set(title=f"{family} - {label}", xlabel=f"size ({SIZE_FAMILIES[family]})", ylabel="median time [s]")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    return _png(fig)


def _saved_runs(results_dir: Path | None) -> list[tuple[Path, dict[str, Any]]]:
    """The pytest-benchmark runs saved in ``results_dir`` (other JSON files, such as load figures, are skipped)."""
    if results_dir is None or not results_dir.is_dir():
        return []
    runs = []
    for path in sorted(results_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and "benchmarks" in data:
            runs.append((path, data))
    return runs


def _history(saved: list[tuple[Path, dict[str, Any]]]) -> list[tuple[str, dict[str, TargetResult]]]:
    rows = [(data.get("datetime", "")[:19] + " " + path.stem, {r.target: r for r in evaluate(data)}) for path, data in saved]
    return sorted(rows)


def _history_plot(history: list[tuple[str, dict[str, TargetResult]]]) -> str | None:
    from matplotlib.figure import Figure

    measured = sorted({t for _, row in history for t, r in row.items() if r.value is not None})
    if len(history) < 1 or not measured:
        return None
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.add_subplot()
    for target in measured:
        points = [(i, row[target].value / row[target].threshold) for i, (_, row) in enumerate(history) if row[target].value]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, "-o", label=target, markersize=4)
    ax.axhline(1.0, color=_GOLD, linewidth=2)
    ax.set_yscale("log")
    ax.set_xticks(range(len(history)), [label.split(" ")[-1] for label, _ in history], rotation=20, fontsize=7)
    ax.set(ylabel="measured / threshold", title="Targets across saved runs (1 = threshold)")
    ax.legend(fontsize=7, ncol=3)
    return _png(fig)


def _target_table(results: list[TargetResult]) -> str:
    rows = []
    for r in results:
        value = "-" if r.value is None else f"{r.value:.3g}"
        rows.append(
            f'<tr class="{r.status.lower()}"><td>{html.escape(r.target)}</td><td>{html.escape(r.description)}</td>'
            f"<td>{value}</td><td>{html.escape(r.direction)} {r.threshold:g}</td><td>{r.status}</td>"
            f"<td>{html.escape(r.note)}</td></tr>"
        )
    return (
        '<table id="targets"><tr><th>target</th><th>what</th><th>measured</th><th>threshold</th><th>status</th><th>note</th></tr>'
        + "".join(rows)
        + "</table>"
    )


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1, h2 { color: #003262; } table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 8px; font-size: 13px; } th { background: #003262; color: white; }
tr.pass td:nth-child(5) { color: #1a7f37; font-weight: bold; } tr.fail td:nth-child(5) { color: #b3261e; font-weight: bold; }
tr.skip td:nth-child(5) { color: #777; } img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
"""


def render_dashboard(current: Path, out_dir: Path, results_dir: Path | None = None) -> Path:
    """Write ``out_dir/index.html`` for the run in ``current`` (plus a GPU run and history from ``results_dir``)."""
    run = json.loads(Path(current).read_text(encoding="utf-8"))
    runs: list[tuple[str, dict[str, Any]]] = [("this run" + (" (GPU)" if _is_gpu_run(run) else " (CPU)"), run)]
    merged = {"benchmarks": list(run.get("benchmarks", []))}
    saved = _saved_runs(results_dir)
    if not _is_gpu_run(run):
        gpu_runs = [(f"GPU: {path.stem}", data) for path, data in saved if _is_gpu_run(data)]
        if gpu_runs:
            runs.append(gpu_runs[-1])
            merged["benchmarks"] += gpu_runs[-1][1].get("benchmarks", [])
    results = evaluate(merged)
    machine = run.get("machine_info", {})
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>scicomp benchmarks</title><style>{_CSS}</style></head><body>",
        "<h1>scicomp benchmarks</h1>",
        f"<p>{html.escape(str(machine.get('cpu_model') or machine.get('cpu', {}).get('brand_raw', '')))}, "
        f"{machine.get('cores', '?')} cores; backends {html.escape(', '.join(machine.get('backends', [])))}; "
        f"run {html.escape(run.get('datetime', '')[:19])}</p>",
        "<h2>Targets</h2>",
        "<p><b>Quick run</b> (reduced sizes and rounds): ratios are indicative; the targets are defined on the full run.</p>"
        if machine.get("quick")
        else "",
        _target_table(results),
        "<h2>Time against size</h2>",
    ]
    for family in SIZE_FAMILIES:
        img = _family_plot(family, runs)
        if img:
            parts.append(f'<img class="plot" alt="{family}" src="{img}">')
    if saved:
        history = _history(saved)
        parts.append("<h2>History of saved runs</h2>")
        targets = [t.target for t in TARGETS]
        head = "".join(f"<th>{html.escape(t)}</th>" for t in targets)
        body = "".join(
            f"<tr><td>{html.escape(label)}</td>"
            + "".join(f"<td>{'-' if row[t].value is None else f'{row[t].value:.3g}'} {row[t].status}</td>" for t in targets)
            + "</tr>"
            for label, row in history
        )
        parts.append(f'<table id="history"><tr><th>run</th>{head}</tr>{body}</table>')
        img = _history_plot(history)
        if img:
            parts.append(f'<img class="plot" alt="history" src="{img}">')
    parts.append("</body></html>")
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index
