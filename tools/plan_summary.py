"""Counts adds, changes and destroys in `terraform show -json` plan files and
renders the pull-request comment (one row per stack).

  python -m tools.plan_summary PLANS_DIR [REVIEW_DIR] > comment.md
PLANS_DIR holds one `<stack>.json` per planned stack, and optionally
`<stack>.failed` (the plan's error output) for stacks whose plan failed.
REVIEW_DIR (the verify job's `review` artifact) may hold `diff.md` (`make diff
DIFF_ARGS=--markdown` against the base branch) and `graph.mmd` (`tools.graph`):
both follow the plan table.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "<!-- eks-platform-plan -->"
# GitHub refuses comments over 65,536 characters; a longer diff keeps its table only.
MAX_DIFF = 40_000
DETAILS = "<details>"


@dataclass(frozen=True)
class Counts:
    add: int = 0
    change: int = 0
    destroy: int = 0

    @property
    def empty(self) -> bool:
        return not (self.add or self.change or self.destroy)


def count_changes(plan: dict[str, Any]) -> Counts:
    add = change = destroy = 0
    for rc in plan.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if actions in (["create", "delete"], ["delete", "create"]):  # replace
            add, destroy = add + 1, destroy + 1
        elif actions == ["create"]:
            add += 1
        elif actions == ["update"]:
            change += 1
        elif actions == ["delete"]:
            destroy += 1
    return Counts(add, change, destroy)


def review_section(review_dir: Path) -> list[str]:
    diff, graph = review_dir / "diff.md", review_dir / "graph.mmd"
    lines = [""]
    if diff.is_file():
        text = diff.read_text().strip()
        if len(text) > MAX_DIFF and DETAILS in text:
            text = (
                text[: text.index(DETAILS)] + "The resource list is too long for a comment: see the `review` artifact."
            )
        lines.append(text)
    else:
        lines.append("The resource diff against the base branch is missing: see the verify job's log.")
    if graph.is_file():
        lines += ["", "### Stacks and the values each reads from the others", "", "```mermaid"]
        lines += [graph.read_text().strip(), "```"]
    return lines


def render(plans_dir: Path, review_dir: Path | None = None) -> str:
    lines = [MARKER, "### Terraform plan per stack", "", "| stack | add | change | destroy |", "|---|---:|---:|---:|"]
    stacks = sorted({p.stem for p in plans_dir.glob("*.json")} | {p.stem for p in plans_dir.glob("*.failed")})
    for stack in stacks:
        failed = plans_dir / f"{stack}.failed"
        if failed.exists():
            lines.append(f"| `{stack}` | plan failed | | |")
            continue
        counts = count_changes(json.loads((plans_dir / f"{stack}.json").read_text()))
        flag = " :warning:" if counts.destroy else ""
        lines.append(f"| `{stack}`{flag} | {counts.add} | {counts.change} | {counts.destroy} |")
    lines += ["", "Plans are attached to the workflow run as artifacts (`plan-<stack>`)."]
    if review_dir is not None:
        lines += review_section(review_dir)
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None))
