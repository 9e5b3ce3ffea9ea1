#!/usr/bin/env python
"""Print each performance target's measured ratio and PASS/FAIL for a benchmark run.

Usage: python benchmarks/check_targets.py RUN.json [MORE.json ...]
Exits 1 when any target FAILs (SKIP, for benchmarks absent from the run, does not fail).
"""

from __future__ import annotations

import sys

from scicomp.benchmarking.targets import evaluate, load_run


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    data = {"benchmarks": []}
    for path in argv:
        data["benchmarks"].extend(load_run(path)["benchmarks"])
    failed = False
    print(f"{'target':<16} {'status':<6} {'measured':>10} {'target':>10}  description")
    for r in evaluate(data):
        value = "-" if r.value is None else f"{r.value:.3g}"
        print(
            f"{r.target:<16} {r.status:<6} {value:>10} {r.direction + format(r.threshold, 'g'):>10}  {r.description}"
            + (f"  [{r.note}]" if r.note else "")
        )
        failed |= r.status == "FAIL"
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
