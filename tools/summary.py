"""Prints, per synthesized stack, its resources counted by type."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def stack_documents(outdir: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: json.loads((outdir / entry["synthesizedStackPath"]).read_text())
        for name, entry in sorted(manifest["stacks"].items())
    }


def summarize(outdir: Path) -> str:
    lines = []
    for name, doc in stack_documents(outdir).items():
        resources = doc.get("resource", {})
        assert isinstance(resources, dict)
        counts = Counter({kind: len(items) for kind, items in resources.items()})
        lines.append(f"{name}: {sum(counts.values())} resources")
        lines.extend(f"  {count:4d}  {kind}" for kind, count in sorted(counts.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1] if len(sys.argv) > 1 else "cdktf.out")))
