"""The ``scicomp`` command: info, validate, diagnose.

Each subcommand is a function ``cmd_<name>(args) -> int`` registered in
``build_parser``; the CLI is the one place in scicomp that prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    _print_profile(console)
    return 0


def _print_profile(console: Console) -> None:
    from .backends.profile import load_profile, profile_path

    profile = load_profile()
    if profile is None:
        console.print(f"Calibration profile: none at {profile_path()} ('auto' = numpy on the CPU; run scicomp calibrate)")
        return
    console.print(f"Calibration profile: {profile_path()} ({profile.get('created', 'undated')})")
    for family, entry in profile["families"].items():
        steps = ", ".join(
            f"{c['backend']} up to {c['up_to']:,}" if c["up_to"] is not None else f"{c['backend']} above" for c in entry["choice"]
        )
        console.print(f"  {family}: {steps}")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Measure the fastest backend per family and size, and write the profile 'auto' follows."""
    from rich.progress import Progress

    from .backends.profile import FAMILIES, write_profile
    from .benchmarking.calibrate import QUICK_SIZES, SIZES, calibrate

    families = args.families.split(",") if args.families else list(FAMILIES)
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        print(
            f"scicomp calibrate: error: --families: unknown {', '.join(unknown)}; choose from {', '.join(FAMILIES)}",
            file=sys.stderr,
        )
        return 2
    sizes = QUICK_SIZES if args.quick else SIZES
    console = _console()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("calibrating", total=None)

        def step(family: str, size: int, backend: str) -> None:
            progress.update(task, advance=1, description=f"{family} size {size:,} on {backend}")

        total = sum(len(sizes[f]) for f in families)
        progress.update(task, total=total * max(1, len(scicomp.available_backends())))
        profile = calibrate(families, quick=args.quick, on_step=step)
    path = write_profile(profile, Path(args.out) if args.out else None)
    for family, entry in profile["families"].items():
        table = Table(title=f"{family}: best time per size (ms)")
        table.add_column("size")
        for name in entry["seconds"]:
            table.add_column(name)
        for i, size in enumerate(entry["sizes"]):
            times = {name: entry["seconds"][name][i] for name in entry["seconds"]}
            best = min(times, key=times.get)
            table.add_row(
                f"{size:,}", *(f"[bold]{t * 1e3:.3f}[/bold]" if n == best else f"{t * 1e3:.3f}" for n, t in times.items())
            )
        console.print(table)
    console.print(f"profile written to {path}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark suite with a progress bar, then write the HTML dashboard."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .benchmarking.dashboard import find_suite, render_dashboard, run_suite
    from .benchmarking.targets import evaluate, load_run

    suite = Path(args.suite) if args.suite else find_suite()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "benchmark.json"
    console = _console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("benchmarks", total=None)

        def on_test(nodeid: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=nodeid.split("::")[-1][:48])

        code = run_suite(suite, json_path, args.quick, on_test)
    if not json_path.exists():
        console.print(f"[red]the benchmark run wrote no results (pytest exit {code})[/red]")
        return 1
    index = render_dashboard(json_path, out, suite / "results")
    failed = [r for r in evaluate(load_run(json_path)) if r.status == "FAIL"]
    for r in evaluate(load_run(json_path)):
        value = "-" if r.value is None else f"{r.value:.3g}"
        colour = {"PASS": "green", "FAIL": "red"}.get(r.status, "dim")
        console.print(
            f"[{colour}]{r.status:4}[/{colour}] {r.target:<16} {value:>8}  ({r.direction} {r.threshold:g})  {r.description}"
        )
    if args.quick:
        console.print(
            "[dim]quick run: reduced sizes and rounds, so the ratios are indicative; the targets hold for the full run[/dim]"
        )
    console.print(f"dashboard: {index}")
    return 1 if failed or code not in (0, 5) else 0


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
                table.add_row(name, *["[dim]unavailable[/dim]"] * len(CHECKS))
                continue
            cells = [
                f"[green]ok[/green] {r.seconds * 1000:.0f} ms"
                if r.status == "ok"
                else f"[red]FAILED[/red] {r.seconds * 1000:.0f} ms"
                for r in row
            ]
            table.add_row(name, *cells)
        console.print(table)
        for name in names:
            row = [r for r in results if r.backend == name]
            if all(r.status == "unavailable" for r in row):
                console.print(f"[dim]{name} unavailable: {escape(row[0].message)}[/dim]")
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


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the REST service on uvicorn (needs the ``service`` extra)."""
    from .service.runner import serve

    serve(
        {
            "host": args.host,
            "port": args.port,
            "workers": args.workers,
            "threads": args.threads,
            "auth": False if args.no_auth else None,
            "jwt_secret_file": args.jwt_secret_file,
            "backend": args.backend,
            "time_limit_s": args.time_limit,
            "max_array_elements": args.max_elements,
            "max_path_steps": args.max_path_steps,
            "max_body_bytes": args.max_body_bytes,
            "store_path": args.store,
            "cache": False if args.no_cache else None,
            "store_max_mb": args.store_max_mb,
            "encrypt": True if args.encrypt else None,
            "dask_scheduler": args.dask_scheduler,
            "dask_min_paths": args.dask_min_paths,
            "log_level": args.log_level,
            "log_file": args.log_file,
        }
    )
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """Print a signed JWT for the service."""
    from .service.runner import make_token

    print(make_token(args.user, args.permissions, args.ttl, args.jwt_secret_file))
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    """Result store maintenance: stats, clear, vacuum."""
    from .service.runner import open_store

    store = open_store(args.store)
    try:
        if args.action == "stats":
            stats = store.stats()
            if args.json:
                print(json.dumps(stats, indent=2))
            else:
                print(f"store {stats['path']}: {stats['rows']} results, {stats['payload_bytes']} payload bytes, "
                      f"{stats['encrypted_rows']} encrypted, file {stats['file_bytes']} bytes")  # fmt: skip
                for op, entry in stats["operations"].items():
                    print(f"  {op}: {entry['rows']} results, {entry['payload_bytes']} bytes")
        elif args.action == "clear":
            print(f"cleared {store.clear()} results from {store.path}")
        else:
            store.vacuum()
            print(f"vacuumed {store.path}")
    finally:
        store.close()
    return 0


def _add_service_parsers(sub: Any) -> None:
    """The service's subcommands: serve, token, store."""
    serve = sub.add_parser("serve", help='run the REST service (pip install "scicomp[service]")')
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--threads", type=int, help="computation threads per worker")
    serve.add_argument("--no-auth", action="store_true", help="no JWT auth (allowed on a loopback host only)")
    serve.add_argument("--jwt-secret-file", help="file holding the JWT secret (else SCICOMP_JWT_SECRET)")
    serve.add_argument("--backend", choices=("auto", *BACKEND_NAMES), help="backend (default: the scicomp config)")
    serve.add_argument("--time-limit", type=float, help="seconds per request before 504 (default 30)")
    serve.add_argument("--max-elements", type=int, help="elements per array (default 1000000)")
    serve.add_argument("--max-path-steps", type=int, help="paths x steps per request (default 10000000)")
    serve.add_argument("--max-body-bytes", type=int, help="request body limit in bytes (default 16 MiB)")
    serve.add_argument("--store", help="result store: SQLite file or :memory: (default: user data dir)")
    serve.add_argument("--no-cache", action="store_true", help="do not store or reuse results")
    serve.add_argument("--store-max-mb", type=float, help="evict the oldest results past this size (default 1024; 0: no limit)")
    serve.add_argument("--encrypt", action="store_true", help="encrypt stored results (key: SCICOMP_ENCRYPTION_KEY)")
    serve.add_argument("--dask-scheduler", help="tcp://host:8786: hand large pricing requests to this Dask cluster")
    serve.add_argument("--dask-min-paths", type=int, help="paths from which pricing goes to Dask (default 1000000)")
    serve.add_argument("--log-level", help="level of the JSON logs (default: the scicomp config)")
    serve.add_argument("--log-file", help="also write the JSON logs to this file")
    serve.set_defaults(func=cmd_serve)

    token = sub.add_parser("token", help="create a JWT for the service")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_sub.add_parser("create", help="print a signed token")
    create.add_argument("--user", required=True, help="the token's subject")
    create.add_argument("--permissions", required=True, help="comma-separated: signal,stochastic,optimize,linalg,admin")
    create.add_argument("--ttl", default="24h", help="lifetime: seconds or 30m, 24h, 7d (default 24h)")
    create.add_argument("--jwt-secret-file", help="file holding the secret (else SCICOMP_JWT_SECRET)")
    create.set_defaults(func=cmd_token)

    store = sub.add_parser("store", help="result store: stats, clear, vacuum")
    store.add_argument("action", choices=("stats", "clear", "vacuum"))
    store.add_argument("--store", help="store path (default: SCICOMP_SERVICE_STORE_PATH or the user data dir)")
    store.add_argument("--json", action="store_true", help="machine-readable stats")
    store.set_defaults(func=cmd_store)


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

    calibrate = sub.add_parser("calibrate", help="measure the fastest backend per size; 'auto' then follows it")
    calibrate.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    calibrate.add_argument("--families", help="comma-separated subset of fft,paths,bfgs,linalg")
    calibrate.add_argument("--out", help="write the profile here instead of the user cache directory")
    calibrate.set_defaults(func=cmd_calibrate)

    bench = sub.add_parser("bench", help="run the benchmarks and write an HTML dashboard (from the source checkout)")
    bench.add_argument("--quick", action="store_true", help="small sizes and few rounds (under 2 minutes)")
    bench.add_argument("--out", default="benchmark-dashboard", help="output folder (default: ./benchmark-dashboard)")
    bench.add_argument("--suite", help="the benchmarks/ folder (default: found from the current directory)")
    bench.set_defaults(func=cmd_bench)
    _add_service_parsers(sub)
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
