"""`python -m tools.validate`: see tools/validate/__init__.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import tools.validate
from tools.validate.batch import validate_stacks
from tools.validate.mirror import CannotValidate
from tools.validate.run import StackResult
from tools.validate.versions import REWRITES


def report(results: list[StackResult], mirror: Path | None, total: float) -> Iterator[str]:
    yield f"providers: {f'mirror {mirror}, others direct' if mirror else 'installed directly (no mirror used)'}"
    relaxed = sorted({f"{p} {v}" for r in results for p, v in r.providers.items()})
    if relaxed:
        yield f"pinned versions relaxed to the mirror's: {', '.join(relaxed)}"
    for rewrite in REWRITES:
        used = [r for r in results if rewrite.name in r.rewrites]
        if used:
            places = sum(r.rewrites[rewrite.name] for r in used)
            yield f"rewrite {rewrite.name}: {places} place(s) in {len(used)} stack(s): {rewrite.reason}"
    for result in results:
        yield from result.diagnostics
        if result.reason:
            yield f"{result.stack}: skipped: {result.reason}"
    width = max(len(r.stack) for r in results)
    yield ""
    yield f"{'stack'.ljust(width)}  result   seconds"
    for r in results:
        warnings = f"  ({len(r.warnings)} warning(s))" if r.warnings else ""
        yield f"{r.stack.ljust(width)}  {r.result.ljust(7)}  {r.seconds:7.1f}{'*' if r.together else ' '}{warnings}"
    if any(r.together for r in results):
        yield "* validated together, in one terraform run (the seconds are that run's)"
    counts = {outcome: sum(r.result == outcome for r in results) for outcome in ("valid", "invalid", "skipped")}
    yield f"{counts['valid']} valid, {counts['invalid']} invalid, {counts['skipped']} skipped in {total:.0f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=tools.validate.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--outdir", default="cdktf.out", type=Path)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--real-providers", action="store_true", help="ignore any mirror: install providers directly")
    parser.add_argument(
        "--require-all", action="store_true", help="a skipped stack fails the run (CI: every provider must install)"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="stacks validated in parallel")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def progress(result: StackResult) -> None:
        print(f"  {result.stack}: {result.result} ({result.seconds:.1f} s)", file=sys.stderr, flush=True)

    try:
        results, mirror = validate_stacks(
            args.outdir, real_providers=args.real_providers, jobs=args.jobs, progress=None if args.json else progress
        )
    except CannotValidate as err:
        print(err, file=sys.stderr)
        return 2
    total = time.monotonic() - started
    if args.json:
        rewrites = {r.name: r.reason for r in REWRITES}
        document = {"mirror": str(mirror) if mirror else None, "rewrites": rewrites, "seconds": round(total, 1)}
        print(json.dumps(document | {"results": [asdict(r) for r in results]}, indent=2))
    else:
        print("\n".join(report(results, mirror, total)))
    failing = ("invalid", "skipped") if args.require_all else ("invalid",)
    return 1 if any(r.result in failing for r in results) else 0


sys.exit(main())
