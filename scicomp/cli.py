"""The ``scicomp`` command: info, validate, diagnose.

Each subcommand is a function ``cmd_<name>(args) -> int`` registered in
``build_parser``; the CLI is the one place in scicomp that prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

import scicomp

from .backends import BACKEND_NAMES


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def cmd_info(args: argparse.Namespace) -> int:
    """Version, effective config with the origin of each value, and the backends."""
    config = scicomp.get_config().to_dict()
    sources = scicomp.config_sources()
    backends = [b.as_dict() for b in scicomp.backend_info()]
    if args.json:
        print(json.dumps({"version": scicomp.__version__, "config": config, "sources": sources, "backends": backends}, indent=2))
        return 0
    console = _console()
    console.print(f"scicomp {scicomp.__version__}  (Python {sys.version.split()[0]})")
    table = Table(title="Configuration")
    table.add_column("field")
    table.add_column("value")
    table.add_column("source")
    for name, value in config.items():
        table.add_row(name, repr(value), sources[name])
    console.print(table)
    table = Table(title="Backends")
    for column in ("backend", "available", "version", "device", "reason / extra"):
        table.add_column(column)
    for b in backends:
        note = b["reason"] or (f'pip install "scicomp[{b["extra"]}]"' if b["extra"] else "built in")
        table.add_row(b["name"], "yes" if b["available"] else "no", b["version"] or "-", b["device"] or "-", escape(note))
    console.print(table)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the installation checks; exit 1 when a check fails on an available backend."""
    from .validate import CHECKS, run_validation

    backends = [args.backend] if args.backend else None
    if args.json:
        results = run_validation(backends)
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        console = _console()
        with console.status("validating...") as status:
            results = run_validation(backends, on_result=lambda r: status.update(f"validated {r.backend} / {r.check}"))
        table = Table(title=f"scicomp {scicomp.__version__} validation")
        table.add_column("backend")
        for check in CHECKS:
            table.add_column(check)
        names = list(dict.fromkeys(r.backend for r in results))
        for name in names:
            row = [r for r in results if r.backend == name]
            if all(r.status == "unavailable" for r in row):
                table.add_row(name, f"[dim]unavailable: {escape(row[0].message)}[/dim]", *[""] * (len(CHECKS) - 1))
                continue
            cells = [
                f"[green]ok[/green] {r.seconds * 1000:.0f} ms"
                if r.status == "ok"
                else f"[red]FAILED[/red] {r.seconds * 1000:.0f} ms"
                for r in row
            ]
            table.add_row(name, *cells)
        console.print(table)
        for r in results:
            if r.status == "FAILED":
                console.print(f"[red]FAILED[/red] {r.backend} / {r.check}: {escape(r.message)}")
        ran = sum(r.status != "unavailable" for r in results)
        failed = sum(r.status == "FAILED" for r in results)
        console.print(f"{ran - failed} passed, {failed} failed ({len(results) - ran} unavailable)")
    return 1 if any(r.status == "FAILED" for r in results) else 0


def cmd_diagnose(args: argparse.Namespace) -> int:
    """System report: OS, CPU, memory, BLAS threads, GPUs, packages, FFT timing."""
    from .diagnose import system_report

    report = system_report(timing=not args.no_timing)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    console = _console()
    console.print(f"[bold]scicomp {scicomp.__version__} diagnose[/bold]")
    memory = f"{report['memory_gb']:.1f} GB" if report["memory_gb"] else "unknown"
    for key, value in (
        ("OS", report["os"]),
        ("Python", report["python"]),
        ("CPU", report["cpu"]),
        ("cores", report["cores"]),
        ("memory", memory),
    ):
        console.print(f"{key:>8}: {escape(str(value))}")
    table = Table(title="BLAS / OpenMP thread pools (threadpoolctl)")
    for column in ("api", "library", "threads", "version", "path"):
        table.add_column(column)
    for pool in report["blas"]:
        table.add_row(*(escape(str(pool[k])) for k in ("user_api", "internal_api", "num_threads", "version", "filepath")))
    console.print(table)
    for key, value in report["gpu"].items():
        console.print(f"GPU ({key}): {escape(str(value))}")
    console.print("packages: " + ", ".join(f"{k} {v}" for k, v in report["packages"].items()))
    if report["fft_seconds_per_call_4096"]:
        table = Table(title="FFT timing: 4096 samples x 100, mean per FFT")
        table.add_column("backend")
        table.add_column("time")
        for name, seconds in report["fft_seconds_per_call_4096"].items():
            table.add_row(name, f"{seconds * 1e6:.1f} µs")
        console.print(table)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scicomp", description="Scientific computing on NumPy, Numba, CuPy or TensorFlow.")
    parser.add_argument("--version", action="version", version=f"scicomp {scicomp.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = sub.add_parser("info", help="version, effective configuration and backends")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(func=cmd_info)

    validate = sub.add_parser("validate", help="check every backend against NumPy/SciPy (the first thing to run)")
    validate.add_argument("--backend", choices=BACKEND_NAMES, help="validate only this backend")
    validate.add_argument("--json", action="store_true", help="machine-readable results")
    validate.set_defaults(func=cmd_validate)

    diagnose = sub.add_parser("diagnose", help="system report: CPU, memory, BLAS, GPU, packages, FFT timing")
    diagnose.add_argument("--json", action="store_true", help="machine-readable output")
    diagnose.add_argument("--no-timing", action="store_true", help="skip the FFT timing test")
    diagnose.set_defaults(func=cmd_diagnose)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (scicomp.ConfigError, scicomp.BackendUnavailableError) as exc:
        print(f"scicomp {args.command}: error: {exc}", file=sys.stderr)
        return 2


__all__ = ["main", "build_parser", "BACKEND_NAMES"]
