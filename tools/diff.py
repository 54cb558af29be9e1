"""Resources added, removed and changed per stack between two synths (and
the other top-level blocks that differ: terraform, provider, data, output).

  python -m tools.diff OLD_OUTDIR NEW_OUTDIR [--markdown] [--output FILE]
  python -m tools.diff --ref REF [--markdown] [--output FILE]   (what `make diff` runs)

A resource is `type.name` in its stack; it changed when its JSON differs,
cdktf's `//` metadata block aside. With --ref, REF is checked out into a
temporary git worktree and synthesized beside the working tree (both with this
project's .venv), and the two are compared. Exit 2 when REF does not exist.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.summary import ROOT, Change, compare, resources_of, stack_documents


@dataclass(frozen=True)
class StackDiff:
    stack: str
    change: Change
    keys: dict[str, list[str]]  # changed address -> its top-level keys that differ
    status: str = ""  # "new stack", "removed stack" or ""
    # Other top-level blocks that differ (terraform, provider, data, output) -> their keys that
    # differ: a backend or a required_version changes what a plan does without touching a resource.
    blocks: dict[str, list[str]] = field(default_factory=dict)


def changed_keys(old: Any, new: Any) -> list[str]:
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return []
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def other_blocks(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    names = (old.keys() | new.keys()) - {"resource", "//"}  # `//`: cdktf's metadata
    return {b: changed_keys(old.get(b, {}), new.get(b, {})) for b in sorted(names) if old.get(b) != new.get(b)}


def diff_outdirs(old_dir: Path, new_dir: Path) -> list[StackDiff]:
    """Every stack that differs, in name order. Pure: reads two cdktf.out folders."""
    old_docs, new_docs = stack_documents(old_dir), stack_documents(new_dir)
    diffs = []
    for stack in sorted(old_docs.keys() | new_docs.keys()):
        old = resources_of(old_docs.get(stack, {}))
        new = resources_of(new_docs.get(stack, {}))
        change = compare(old, new)
        status = "new stack" if stack not in old_docs else "removed stack" if stack not in new_docs else ""
        blocks = other_blocks(old_docs[stack], new_docs[stack]) if not status else {}
        if change.empty and not status and not blocks:
            continue
        keys = {a: changed_keys(old[a], new[a]) for a in change.changed}
        diffs.append(StackDiff(stack, change, keys, status, blocks))
    return diffs


def detail(diff: StackDiff) -> list[str]:
    lines = [f"+ {a}" for a in diff.change.added] + [f"- {a}" for a in diff.change.removed]
    lines += [f"~ {a} ({', '.join(diff.keys[a])})" for a in diff.change.changed]
    for block, keys in diff.blocks.items():
        shown = ", ".join(keys[:4]) + (f", {len(keys) - 4} more" if len(keys) > 4 else "")
        lines.append(f"~ {block} block" + (f" ({shown})" if shown else ""))
    return lines


Row = tuple[str, int, int, int, str]  # stack, added, removed, changed, other blocks


def rows(diffs: list[StackDiff]) -> list[Row]:
    """One row per stack, then the totals."""
    body = [
        (
            d.stack + (f" ({d.status})" if d.status else ""),
            len(d.change.added),
            len(d.change.removed),
            len(d.change.changed),
            ", ".join(d.blocks),
        )
        for d in diffs
    ]
    return [*body, ("total", sum(r[1] for r in body), sum(r[2] for r in body), sum(r[3] for r in body), "")]


def stack_names(outdir: Path) -> set[str]:
    return set(json.loads((outdir / "manifest.json").read_text())["stacks"])


def render_text(diffs: list[StackDiff], old_label: str, new_label: str, stacks: int) -> str:
    if not diffs:
        return f"No stack differs between {old_label} and {new_label} ({stacks} stacks)."
    table = rows(diffs)
    width = max(len("stack"), *(len(r[0]) for r in table))
    header = f"{'stack':<{width}}  added  removed  changed  other blocks"
    lines = [f"Resources, {old_label} -> {new_label}:", header, "-" * len(header)]
    for i, (stack, added, removed, changed, other) in enumerate(table):
        if i == len(table) - 1:
            lines.append("-" * len(header))
        lines.append(f"{stack:<{width}}  {added:>5}  {removed:>7}  {changed:>7}  {other}".rstrip())
    lines.append(f"{stacks - len(diffs)} other stacks unchanged.")
    for d in diffs:
        lines += ["", f"{d.stack}:", *(f"  {line}" for line in detail(d))]
    return "\n".join(lines)


def render_markdown(diffs: list[StackDiff], old_label: str, new_label: str, stacks: int) -> str:
    title = f"### Synthesized stacks: `{old_label}` → `{new_label}`"
    if not diffs:
        return f"{title}\n\nNo stack differs ({stacks} stacks)."
    table = rows(diffs)
    lines = [title, "", "| stack | added | removed | changed | other blocks |", "|---|---:|---:|---:|---|"]
    lines += [f"| `{s}` | {a} | {r} | {c} | {o} |" for s, a, r, c, o in table[:-1]]
    lines += ["| **total** | {} | {} | {} | |".format(*table[-1][1:4])]
    lines += ["", f"{stacks - len(diffs)} other stacks unchanged.", "", "<details><summary>Resources</summary>", ""]
    lines += ["```diff"]
    for d in diffs:
        lines += [f"@@ {d.stack} @@", *detail(d)]
    return "\n".join([*lines, "```", "</details>"])


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S607


def synth(project: Path, outdir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir)}
    python = ROOT / ".venv" / "bin" / "python"
    return subprocess.Popen(
        [str(python), "main.py"], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def diff_ref(ref: str, work: Path) -> tuple[Path, Path]:
    """Synthesize REF (in a temporary worktree) and the working tree, side by side.
    Returns (old outdir, new outdir) under `work`; raises SystemExit on failure."""
    tree = work / "ref"
    added = git("worktree", "add", "--detach", "--quiet", str(tree), ref)
    if added.returncode != 0:
        raise SystemExit(f"make diff: could not check out {ref}: {added.stderr.strip()}")
    try:
        # The worktree holds only tracked files: borrow the project's installed packages.
        (tree / ".venv").symlink_to(ROOT / ".venv")
        # Both synths at once: each is mostly a single-threaded Node.js process.
        runs = {ref: synth(tree, work / "old.out"), "the working tree": synth(ROOT, work / "new.out")}
        for label, run in runs.items():
            output, _ = run.communicate()
            if run.returncode != 0:
                raise SystemExit(f"make diff: synth of {label} failed:\n{output.strip()}")
    finally:
        git("worktree", "remove", "--force", str(tree))
    return work / "old.out", work / "new.out"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdirs", nargs="*", type=Path, help="OLD_OUTDIR NEW_OUTDIR (without --ref)")
    parser.add_argument("--ref", help="compare the synth of this git ref with the working tree's")
    parser.add_argument("--markdown", action="store_true", help="a table and a diff block, for a PR comment")
    parser.add_argument("--output", type=Path, help="write here instead of printing")
    args = parser.parse_args(argv)
    if (args.ref is None) != (len(args.outdirs) == 2) or (args.ref and args.outdirs):
        parser.error("give either OLD_OUTDIR NEW_OUTDIR or --ref REF")
    render = render_markdown if args.markdown else render_text
    with tempfile.TemporaryDirectory(prefix="platform-diff-") as work:
        if args.ref:
            commit = git("rev-parse", "--verify", "--quiet", f"{args.ref}^{{commit}}").stdout.strip()
            if not commit:
                print(f"make diff: ref '{args.ref}' does not exist here (fetch it, or pass REF=...)", file=sys.stderr)
                return 2
            old_dir, new_dir = diff_ref(args.ref, Path(work))
            labels = (f"{args.ref} ({commit[:8]})", "working tree")
        else:
            old_dir, new_dir = args.outdirs
            labels = (str(old_dir), str(new_dir))
        diffs = diff_outdirs(old_dir, new_dir)
        stacks = len(stack_names(old_dir) | stack_names(new_dir))
    text = render(diffs, *labels, stacks)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
        print(f"wrote {args.output}: {len(diffs)} stacks differ")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
