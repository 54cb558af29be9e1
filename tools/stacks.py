"""Lists synthesized stacks from cdktf.out/manifest.json in dependency order.

Used by `make plan`, and by the pull-request and deploy workflows:
  python -m tools.stacks [--env dev] [--skip-bootstrap] [--json]
`--json` prints a GitHub Actions matrix: [{"stack": ..., "env": ..., "region": ...}].
The bootstrap stacks keep local state (see README), so CI skips them.
"""

from __future__ import annotations

import argparse
import json
import sys
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any


def ordered_stacks(manifest: dict[str, Any]) -> list[str]:
    graph = {name: set(entry.get("dependencies", [])) for name, entry in manifest["stacks"].items()}
    # static_order is deterministic for a given insertion order; sort the input first.
    return list(TopologicalSorter(dict(sorted(graph.items()))).static_order())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outdir", default="cdktf.out")
    parser.add_argument("--env", help="only this environment's stacks")
    parser.add_argument("--skip-bootstrap", action="store_true")
    parser.add_argument("--json", action="store_true", help="print a GitHub Actions matrix")
    args = parser.parse_args(argv)
    outdir = Path(args.outdir)
    manifest = json.loads((outdir / "manifest.json").read_text())
    rows = []
    for name in ordered_stacks(manifest):
        env, _, layer = name.partition("-")
        if args.env and env != args.env:
            continue
        if args.skip_bootstrap and layer == "bootstrap":
            continue
        doc = json.loads((outdir / manifest["stacks"][name]["synthesizedStackPath"]).read_text())
        backend = doc["terraform"]["backend"]
        region = backend["s3"]["region"] if "s3" in backend else doc["provider"]["aws"][0]["region"]
        rows.append({"stack": name, "env": env, "region": region})
    if args.env and not rows:
        print(f"no synthesized stack for environment '{args.env}' in {outdir}", file=sys.stderr)
        return 1
    print(json.dumps(rows) if args.json else "\n".join(r["stack"] for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
