"""The review view: the synth summary table (tools/summary.py), the resource
diff between two synths (tools/diff.py), the stack graph (tools/graph.py) and
their place in the pull-request comment (tools/plan_summary.py)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Synth
from tools import diff, graph, summary
from tools.plan_summary import render

STACK = "dev-network"  # the stack the tests edit


def copy_outdir(synth: Synth, dest: Path) -> Path:
    """A private copy: the fixture's output is shared by every test."""
    shutil.copytree(synth.outdir, dest)
    return dest


def stack_file(outdir: Path, stack: str) -> Path:
    manifest = json.loads((outdir / "manifest.json").read_text())
    return outdir / str(manifest["stacks"][stack]["synthesizedStackPath"])


def edit_stack(outdir: Path, stack: str) -> tuple[str, str, str]:
    """Adds one resource, removes one, changes one, and sets the terraform
    block's required_version; touches only the `//` metadata of another resource
    and of the stack, which is no change. Returns (added, removed, changed)."""
    path = stack_file(outdir, stack)
    doc = json.loads(path.read_text())
    addresses = sorted(f"{kind}.{name}" for kind, items in doc["resource"].items() for name in items)
    removed, changed, metadata_only = addresses[:3]

    def body(address: str) -> dict[str, Any]:
        kind, name = address.split(".", 1)
        found: dict[str, Any] = doc["resource"][kind][name]
        return found

    del doc["resource"][removed.split(".", 1)[0]][removed.split(".", 1)[1]]
    body(changed)["count"] = 2
    body(changed)["//"] = {"metadata": {"path": "moved/elsewhere"}}
    body(metadata_only)["//"] = {"metadata": {"path": "moved/elsewhere"}}
    doc["resource"].setdefault("aws_cloudwatch_log_group", {})["review_added"] = {"name": "added"}
    doc["terraform"]["required_version"] = ">= 9.9"
    doc["//"] = {"metadata": {"version": "0.0.0"}}
    path.write_text(json.dumps(doc))
    return "aws_cloudwatch_log_group.review_added", removed, changed


def table_rows(text: str) -> dict[str, tuple[int, str]]:
    """stack -> (resources, change) from the summary table."""
    rows = {}
    for line in text.splitlines():
        match = re.fullmatch(r"(\S+(?: \(\d+ stacks\))?)\s+(\d+)  (.+)", line)
        if match:
            rows[match[1]] = (int(match[2]), match[3])
    return rows


def resource_count(doc: dict[str, Any]) -> int:
    return sum(len(items) for items in doc.get("resource", {}).values())


def test_summary_table_has_one_row_per_stack_with_its_resources_and_totals(synth: Synth, tmp_path: Path) -> None:
    text = summary.summarize(synth.outdir, tmp_path / "last-synth.json")
    lines = text.splitlines()
    assert lines[0] == "Synth summary (no previous synth: every stack is new)"
    assert lines[1].split() == ["stack", "resources", "since", "last", "synth"]
    rows = table_rows(text)
    total = rows.pop(f"total ({len(synth.stacks)} stacks)")
    assert rows == {name: (resource_count(doc), "new") for name, doc in synth.stacks.items()}
    assert total == (sum(resource_count(doc) for doc in synth.stacks.values()), "new")
    assert len(lines) == 2 + len(synth.stacks) + 3  # title, header, rule, rows, rule, total
    assert (tmp_path / "last-synth.json").is_file()


def test_summary_second_run_shows_the_one_changed_stack(synth: Synth, tmp_path: Path) -> None:
    outdir = copy_outdir(synth, tmp_path / "out")
    snapshot = tmp_path / "last-synth.json"
    summary.summarize(outdir, snapshot)
    edit_stack(outdir, STACK)
    rows = table_rows(summary.summarize(outdir, snapshot))
    total = rows.pop(f"total ({len(synth.stacks)} stacks)")
    assert rows[STACK] == (resource_count(synth.stacks[STACK]), "+1 -1 ~1")  # one added, one removed
    assert {s: c for s, (_, c) in rows.items() if s != STACK} == {s: "unchanged" for s in synth.stacks if s != STACK}
    assert total[1] == "+1 -1 ~1"
    # The snapshot now holds the edited synth: a third run sees nothing new.
    assert table_rows(summary.summarize(outdir, snapshot))[STACK][1] == "unchanged"


def test_summary_by_type_keeps_the_per_type_counts(synth: Synth, capsys: pytest.CaptureFixture[str]) -> None:
    assert summary.main([str(synth.outdir), "--no-snapshot", "--by-type"]) == 0
    out = capsys.readouterr().out
    doc = synth.stacks[STACK]
    assert f"{STACK}: {resource_count(doc)} resources" in out
    for kind, items in doc["resource"].items():
        assert f"  {len(items):4d}  {kind}\n" in out
    assert "Synth summary" in out
    summary.main([str(synth.outdir), "--no-snapshot"])
    assert f"{STACK}: " not in capsys.readouterr().out  # the listing only behind the flag


def test_diff_of_two_synth_folders_lists_each_resource(synth: Synth, tmp_path: Path) -> None:
    new = copy_outdir(synth, tmp_path / "new")
    added, removed, changed = edit_stack(new, STACK)
    diffs = diff.diff_outdirs(synth.outdir, new)
    others = len(synth.stacks) - 1
    assert diff.render_text(diffs, "old", "new", len(synth.stacks)).splitlines() == [
        "Resources, old -> new:",
        "stack        added  removed  changed  other blocks",
        "-" * 50,
        "dev-network      1        1        1  terraform",
        "-" * 50,
        "total            1        1        1",
        f"{others} other stacks unchanged.",
        "",
        "dev-network:",
        f"  + {added}",
        f"  - {removed}",
        f"  ~ {changed} (count)",
        "  ~ terraform block (required_version)",
    ]
    markdown = diff.render_markdown(diffs, "main", "working tree", len(synth.stacks))
    assert "| `dev-network` | 1 | 1 | 1 | terraform |" in markdown
    assert f"```diff\n@@ dev-network @@\n+ {added}\n- {removed}\n~ {changed} (count)\n~ terraform block" in markdown
    assert diff.diff_outdirs(synth.outdir, synth.outdir) == []


def test_diff_names_new_and_removed_stacks_and_those_with_no_resource_change(synth: Synth, tmp_path: Path) -> None:
    new = copy_outdir(synth, tmp_path / "new")
    manifest = json.loads((new / "manifest.json").read_text())
    del manifest["stacks"][STACK]
    (new / "manifest.json").write_text(json.dumps(manifest))
    provider_only = stack_file(new, "dev-cluster")
    doc = json.loads(provider_only.read_text())
    doc["provider"]["aws"][0]["region"] = "eu-north-1"
    provider_only.write_text(json.dumps(doc))
    cluster, gone = diff.diff_outdirs(synth.outdir, new)
    assert (gone.stack, gone.status, len(gone.change.removed)) == (
        STACK,
        "removed stack",
        resource_count(synth.stacks[STACK]),
    )
    assert (cluster.stack, cluster.change.empty, cluster.blocks) == ("dev-cluster", True, {"provider": ["aws"]})
    assert diff.detail(cluster) == ["~ provider block (aws)"]
    back = {d.stack: d for d in diff.diff_outdirs(new, synth.outdir)}
    assert (back[STACK].status, len(back[STACK].change.added)) == ("new stack", resource_count(synth.stacks[STACK]))


def test_diff_command(synth: Synth, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = copy_outdir(synth, tmp_path / "new")
    edit_stack(new, STACK)
    assert diff.main([str(synth.outdir), str(new), "--markdown", "--output", str(tmp_path / "diff.md")]) == 0
    assert "| **total** | 1 | 1 | 1 |" in (tmp_path / "diff.md").read_text()
    capsys.readouterr()
    # An unknown ref: one line, exit 2, before any worktree or synth.
    assert diff.main(["--ref", "refs/heads/no-such-branch-for-review"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-branch-for-review" in err and "does not exist" in err


def parse_mermaid(text: str) -> tuple[dict[str, tuple[str, int]], set[tuple[str, str, str]]]:
    """(node id -> (stack, resources), {(producer, consumer, label)})."""
    nodes = {m[1]: (m[2], int(m[3])) for m in re.finditer(r'^\s+(\w+)\["([^"<]+)<br/>(\d+) resources"\]$', text, re.M)}
    edges = {
        (nodes[m[1]][0], nodes[m[3]][0], m[2])
        for m in re.finditer(r"^\s+(\w+) -(?:-|\.-)>\|([^|]+)\| (\w+)$", text, re.M)
    }
    return nodes, edges


def values_read(synth: Synth, producer: str, consumer: str) -> int:
    """The producer's cross-stack outputs that appear in the consumer's JSON."""
    text = json.dumps(synth.stacks[consumer])
    return sum(
        bool(re.search(rf"\.outputs\.{re.escape(name)}(?![\w-])", text))
        for name in synth.stacks[producer].get("output", {})
    )


def test_graph_mermaid_has_every_stack_and_every_dependency(synth: Synth) -> None:
    nodes, edges = parse_mermaid(graph.mermaid(graph.build(synth.outdir)))
    assert sorted(nodes.values()) == sorted((s, resource_count(d)) for s, d in synth.stacks.items())
    expected = set()
    for consumer, entry in synth.manifest["stacks"].items():
        for producer in entry["dependencies"]:
            n = values_read(synth, producer, consumer)
            expected.add((producer, consumer, f"{n} value{'s' if n != 1 else ''}" if n else "order"))
    assert edges == expected
    assert ("dev-network", "dev-cluster", "order") not in edges  # the cluster reads the subnets


def test_graph_svg_draws_one_box_per_stack_in_dependency_columns(synth: Synth, tmp_path: Path) -> None:
    outdir = copy_outdir(synth, tmp_path / "out")
    assert graph.main([str(outdir)]) == 0
    assert (outdir / "graph.mmd").read_text().startswith("flowchart LR\n")
    root = ET.fromstring((outdir / "graph.svg").read_text())  # noqa: S314 (our own output)
    ns = "{http://www.w3.org/2000/svg}"
    boxes = {r.get("data-stack", ""): r for r in root.iter(f"{ns}rect") if r.get("class") == "stack"}
    assert sorted(boxes) == sorted(synth.stacks) and len(boxes) == len(synth.stacks)
    at = {
        s: (float(r.get("x", 0)), float(r.get("y", 0)), float(r.get("width", 0)), float(r.get("height", 0)))
        for s, r in boxes.items()
    }
    for consumer, entry in synth.manifest["stacks"].items():
        for producer in entry["dependencies"]:
            assert at[producer][0] + at[producer][2] < at[consumer][0], f"{producer} is not left of {consumer}"
    for a in at:  # no two boxes overlap
        for b in at:
            ax, ay, aw, ah = at[a]
            bx, by, bw, bh = at[b]
            assert a == b or ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    edges = sum(len(e["dependencies"]) for e in synth.manifest["stacks"].values())
    assert len([p for p in root.iter(f"{ns}path") if p.get("class") == "edge"]) == edges


def test_plan_comment_carries_the_diff_and_the_graph(tmp_path: Path) -> None:
    (tmp_path / "plans").mkdir()
    review = tmp_path / "review"
    review.mkdir()
    (review / "graph.mmd").write_text("flowchart LR\n  a --> b\n")
    comment = render(tmp_path / "plans", review)
    assert "diff against the base branch is missing" in comment
    assert "```mermaid\nflowchart LR\n  a --> b\n```" in comment
    (review / "diff.md").write_text("### table\n\n<details>\n```diff\n+ aws_x.y\n```\n</details>\n")
    assert "### table\n\n<details>\n```diff\n+ aws_x.y\n```\n</details>" in render(tmp_path / "plans", review)
    (review / "diff.md").write_text("### table\n\n<details>\n" + "+ aws_x.y\n" * 10_000)
    long = render(tmp_path / "plans", review)
    assert "### table" in long and "aws_x.y" not in long and "too long for a comment" in long
    assert "mermaid" not in render(tmp_path / "plans")  # without a review folder: the plan table only
