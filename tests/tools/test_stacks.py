"""tools/stacks.py: the stack order and the matrix the workflows read."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Synth
from tools.stacks import ordered_stacks


def test_stack_order_follows_dependencies() -> None:
    manifest = {
        "stacks": {"e-b": {"dependencies": ["e-a"]}, "e-a": {"dependencies": []}, "e-c": {"dependencies": ["e-b"]}}
    }
    assert ordered_stacks(manifest) == ["e-a", "e-b", "e-c"]


def test_stack_matrix_of_the_synth(synth: Synth, capsys: pytest.CaptureFixture[str]) -> None:
    from tools.stacks import main

    assert main(["--outdir", str(synth.outdir), "--skip-bootstrap", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["stack"] for r in rows} == {n for n in synth.stacks if not n.endswith("-bootstrap")}
    assert all(r["region"] == "eu-west-1" and r["stack"] == f"{r['env']}-{r['layer']}" for r in rows)
    for row in rows:
        kubernetes = row["layer"] in ("addons", "platform", "apps")
        assert row["kubernetes"] is kubernetes
        # Every shipped environment runs its Kubernetes jobs on its CodeBuild runner.
        assert row["runner"] == (f"codebuild-{row['env']}-platform-ci-runner" if kubernetes else "")


def test_stack_names_split_at_the_last_dash() -> None:
    from tools.stacks import split_stack_name

    assert split_stack_name("eu-prod-cluster") == ("eu-prod", "cluster")
    assert split_stack_name("dev-apps") == ("dev", "apps")
