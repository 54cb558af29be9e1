"""`python -m tools.first_deploy [cdktf.out]`: one line per finding, exit 1 if any."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tools.first_deploy import check


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0] if args else "cdktf.out")
    findings = check(outdir)
    for finding in findings:
        print(finding, file=sys.stderr)
    stacks = len(json.loads((outdir / "manifest.json").read_text())["stacks"])
    print(f"first-deploy model: {stacks} stacks walked in deploy order, {len(findings)} finding(s)")
    return 1 if findings else 0


sys.exit(main())
