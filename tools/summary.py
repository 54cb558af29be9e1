"""The synth summary `make synth` ends with: one row per stack (resources, and
what changed since the previous summary), and totals.

  python -m tools.summary [OUTDIR] [--snapshot FILE] [--by-type]

main.py replaces OUTDIR wholesale on every synth, so the previous synth's
resources are remembered beside it, in FILE (default .tools/last-synth.json,
git-ignored): one fingerprint per resource, rewritten on every run. Without
FILE every stack is "new". `--by-type` adds the resources counted by type.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SNAPSHOT = ROOT / ".tools" / "last-synth.json"
SNAPSHOT_VERSION = 1


def stack_documents(outdir: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: json.loads((outdir / entry["synthesizedStackPath"]).read_text())
        for name, entry in sorted(manifest["stacks"].items())
    }


def resources_of(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Resources by address (`type.name`), without cdktf's `//` block: it holds
    construct paths and stack traces, which change without the resource changing."""
    return {
        f"{kind}.{name}": {k: v for k, v in body.items() if k != "//"}
        for kind, items in doc.get("resource", {}).items()
        for name, body in items.items()
    }


def fingerprint(body: Any) -> str:
    # Only equality matters; 16 hex digits keep the snapshot small.
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Change:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def counts(self) -> str:
        return f"+{len(self.added)} -{len(self.removed)} ~{len(self.changed)}"


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Change:
    """Addresses added, removed and changed (value differs) from old to new, sorted."""
    return Change(
        added=sorted(new.keys() - old.keys()),
        removed=sorted(old.keys() - new.keys()),
        changed=sorted(a for a in old.keys() & new.keys() if old[a] != new[a]),
    )


Fingerprints = dict[str, dict[str, str]]  # stack -> address -> fingerprint


def fingerprints(docs: Mapping[str, Mapping[str, Any]]) -> Fingerprints:
    return {stack: {a: fingerprint(b) for a, b in resources_of(doc).items()} for stack, doc in docs.items()}


def load_snapshot(path: Path) -> tuple[Fingerprints, str] | None:
    """The previous run's fingerprints and when they were written; None when
    there is none, or it is unreadable (a first run: every stack is new)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
        return None
    return data["stacks"], str(data.get("written", "?"))


def save_snapshot(path: Path, stacks: Fingerprints) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    data = {"version": SNAPSHOT_VERSION, "written": written, "stacks": stacks}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    tmp.replace(path)  # a reader never sees half a file


def table(current: Fingerprints, previous: Fingerprints | None) -> list[str]:
    """One row per stack (and per stack gone since the previous run), then totals.
    In the totals a new stack counts as added, a stack gone as removed."""
    rows: list[tuple[str, str, str]] = []
    total = Change()
    for stack in sorted(current.keys() | (previous or {}).keys()):
        now = current.get(stack, {})
        if previous is None or stack not in previous:
            change, label = Change(added=sorted(now)), "new"
        elif stack not in current:
            change = Change(removed=sorted(previous[stack]))
            label = f"gone ({change.counts()})"
        else:
            change = compare(previous[stack], now)
            label = "unchanged" if change.empty else change.counts()
        total = Change(total.added + change.added, total.removed + change.removed, total.changed + change.changed)
        rows.append((stack, str(len(now)), label))
    resources = sum(len(r) for r in current.values())
    total_label = "new" if previous is None else ("unchanged" if total.empty else total.counts())
    rows.append((f"total ({len(current)} stacks)", str(resources), total_label))
    width = max(len("stack"), *(len(r[0]) for r in rows))
    header = f"{'stack':<{width}}  resources  since last synth"
    lines = [header, "-" * len(header)]
    lines += [f"{s:<{width}}  {n:>9}  {c}" for s, n, c in rows[:-1]]
    lines += ["-" * len(header), "{:<{w}}  {:>9}  {}".format(*rows[-1], w=width)]
    return lines


def by_type(docs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = []
    for name, doc in docs.items():
        counts = Counter({kind: len(items) for kind, items in doc.get("resource", {}).items()})
        lines.append(f"{name}: {sum(counts.values())} resources")
        lines.extend(f"  {count:4d}  {kind}" for kind, count in sorted(counts.items()))
    return lines


def summarize(outdir: Path, snapshot: Path | None, *, types: bool = False) -> str:
    """The table (and, with types, the per-type counts); rewrites the snapshot."""
    docs = stack_documents(outdir)
    current = fingerprints(docs)
    loaded = load_snapshot(snapshot) if snapshot else None
    previous, written = loaded if loaded else (None, "")
    since = f"compared with the synth summarized {written}" if loaded else "no previous synth: every stack is new"
    lines = [*by_type(docs), ""] if types else []
    lines += [f"Synth summary ({since})", *table(current, previous)]
    if snapshot:
        save_snapshot(snapshot, current)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", nargs="?", default="cdktf.out")
    parser.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT, help="the previous run's resources")
    parser.add_argument("--no-snapshot", action="store_true", help="neither read nor write the snapshot")
    parser.add_argument("--by-type", action="store_true", help="also list each stack's resources by type")
    args = parser.parse_args(argv)
    snapshot = None if args.no_snapshot else args.snapshot
    print(summarize(Path(args.outdir), snapshot, types=args.by_type))
    return 0


if __name__ == "__main__":
    sys.exit(main())
