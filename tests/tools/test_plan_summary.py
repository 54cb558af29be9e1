"""tools/plan_summary.py: the pull-request plan comment."""

from __future__ import annotations

import json
from pathlib import Path

from tools.plan_summary import MARKER, count_changes, render


def test_plan_comment_counts(tmp_path: Path) -> None:
    plan = {
        "resource_changes": [
            {"change": {"actions": ["create"]}},
            {"change": {"actions": ["create"]}},
            {"change": {"actions": ["update"]}},
            {"change": {"actions": ["delete", "create"]}},
            {"change": {"actions": ["delete"]}},
            {"change": {"actions": ["no-op"]}},
            {"change": {"actions": ["read"]}},
        ]
    }
    counts = count_changes(plan)
    assert (counts.add, counts.change, counts.destroy) == (3, 1, 2)
    (tmp_path / "dev-network.json").write_text(json.dumps(plan))
    (tmp_path / "dev-cluster.failed").write_text("Error: no remote state")
    comment = render(tmp_path)
    assert comment.startswith(MARKER)
    assert "| `dev-network` :warning: | 3 | 1 | 2 |" in comment
    assert "| `dev-cluster` | plan failed | | |" in comment
