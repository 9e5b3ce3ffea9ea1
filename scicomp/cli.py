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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scicomp", description="Scientific computing on NumPy, Numba, CuPy or TensorFlow.")
    parser.add_argument("--version", action="version", version=f"scicomp {scicomp.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = sub.add_parser("info", help="version, effective configuration and backends")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(func=cmd_info)
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
