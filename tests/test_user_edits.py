"""What a platform team does to make the project theirs, tried on a copy of
the fixture environments: each edit keeps every invariant (tests/invariants.py),
so `make test` passes unchanged; the mistakes fail with one line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from envs import ConfigError, load_environments
from tests.conftest import FIXTURE_ENVS, Synth
from tests.invariants import Outcome, checkov_problems, synthesize
from tools.cost import PRICES, by_environment, estimate, load_prices
from tools.new_env import create
from tools.stacks import stack_rows

DIGEST = "sha256:" + "a" * 64


def edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def team_edits(env: dict[str, Any]) -> None:
    for pool in env["karpenter"]["node_pools"]:  # raise NodePool limits
        pool["limits"] = {"cpu": pool["limits"]["cpu"] + 8, "memory_gib": pool["limits"]["memory_gib"] + 32}
    env["cluster"]["log_retention_days"] = 14  # another retention CloudWatch accepts
    quota = {"requests_cpu": "4", "requests_memory": "8Gi", "limits_cpu": "8", "limits_memory": "16Gi", "pods": 20}
    env["teams"].append({"name": "search", "quota": quota})  # a new team and its workload
    sample = dict(env["workloads"][0])
    image = sample["image"].rsplit(":", 1)[0]
    env["workloads"].append({**sample, "name": "indexer", "team": "search", "image": f"{image}@{DIGEST}"})
    env.setdefault("observability", {})["right_sizing_advice"] = False  # no VPA recommender, no VPA objects
    env["cluster"]["support_type"] = "EXTENDED"  # stays on a version past standard support (paid)


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    envs_dir = tmp_path_factory.mktemp("envs")
    for path in FIXTURE_ENVS.glob("*.yaml"):
        shutil.copy(path, envs_dir)
    create("qa", "10.40.0.0/16", "dev", envs_dir)  # make new-env NAME=qa CIDR=10.40.0.0/16
    (envs_dir / "qa.yaml").rename(envs_dir / "eu-prod.yaml")  # renamed: a name with '-'
    edit(envs_dir / "eu-prod.yaml", lambda env: env["state"].update(bucket="example-platform-eu-prod-tfstate"))
    # Its bootstrap state moved into the bucket (make migrate-bootstrap): the synth keeps it there.
    edit(envs_dir / "eu-prod.yaml", lambda env: env["state"].update(bootstrap_backend="s3"))
    edit(envs_dir / "eu-prod.yaml", team_edits)
    # Every file is loaded and checked against the others; only the new one is synthesized.
    return synthesize(envs_dir, tmp_path_factory.mktemp("edited") / "cdktf.out", {"PLATFORM_ENVS": "eu-prod"})


def test_a_new_environment_with_the_usual_edits_keeps_every_invariant(
    edited: Outcome, synth: Synth, tmp_path: Path
) -> None:
    assert edited.problems == []
    assert len([name for name in edited.stacks if name.startswith("eu-prod-")]) == 7
    images = [
        container["image"]
        for m in edited.stacks["eu-prod-apps"]["resource"]["kubernetes_manifest"].values()
        for container in m["manifest"]["spec"].get("template", {}).get("spec", {}).get("containers", [])
    ]
    assert any(image.endswith(DIGEST) for image in images)
    kinds = {m["manifest"]["kind"] for m in edited.stacks["eu-prod-apps"]["resource"]["kubernetes_manifest"].values()}
    assert "Deployment" in kinds and "VerticalPodAutoscaler" not in kinds
    assert "vpa" not in {r["chart"] for r in edited.stacks["eu-prod-addons"]["resource"]["helm_release"].values()}
    assert checkov_problems(edited, tmp_path, synth.stacks) == []


def test_extended_support_is_written_and_priced(edited: Outcome) -> None:
    (cluster,) = edited.stacks["eu-prod-cluster"]["resource"]["aws_eks_cluster"].values()
    assert cluster["upgrade_policy"] == {"support_type": "EXTENDED"}
    prices = yaml.safe_load(PRICES.read_text())["regions"]["eu-west-1"]
    lines = {line.item: line for line in estimate(by_environment(edited.outdir)["eu-prod"], load_prices("eu-west-1"))}
    assert lines["EKS control plane"].detail == "EXTENDED"
    assert lines["EKS control plane"].monthly == pytest.approx(prices["eks_cluster_hour"]["EXTENDED"] * 730)


def test_bootstrap_state_in_the_bucket_once_the_config_says_so(edited: Outcome, synth: Synth) -> None:
    backend = edited.stacks["eu-prod-bootstrap"]["terraform"]["backend"]
    assert backend["s3"]["key"] == "eu-prod-bootstrap/terraform.tfstate"
    assert backend["s3"]["bucket"] == "example-platform-eu-prod-tfstate" and backend["s3"]["use_lockfile"] is True
    assert "local" in synth.stack("dev-bootstrap")["terraform"]["backend"]  # the default for a new environment


def test_every_stack_requires_terraform_1_10(edited: Outcome, synth: Synth) -> None:
    for doc in [*edited.stacks.values(), *synth.stacks.values()]:
        assert doc["terraform"]["required_version"] == ">= 1.10"


def test_tools_read_an_environment_name_with_a_dash(edited: Outcome) -> None:
    rows = [r for r in stack_rows(edited.outdir) if r.env == "eu-prod"]
    assert sorted(r.layer for r in rows) == sorted(
        ["bootstrap", "network", "storage", "cluster", "addons", "platform", "apps"]
    )
    assert {r.variable for r in rows} == {"EU_PROD"}
    assert not [r for r in stack_rows(edited.outdir) if r.env == "eu"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda env: env["aws"].update(region="eu-wset-1"), "aws.region", "did you mean eu-west-1?"),
        (
            lambda env: env["workloads"][0]["replicas"].update(max=500),
            "workloads.0.replicas.max",
            "exceeds team web's quota pods",
        ),
    ],
)
def test_mistakes_fail_with_one_line(tmp_path: Path, change: Any, field: str, reason: str) -> None:
    for path in FIXTURE_ENVS.glob("*.yaml"):
        shutil.copy(path, tmp_path)
    edit(tmp_path / "dev.yaml", change)
    with pytest.raises(ConfigError) as err:
        load_environments({"PLATFORM_ENVS_DIR": str(tmp_path), "PLATFORM_ENVS": "prod"})
    (line,) = str(err.value).splitlines()
    assert "dev.yaml" in line and field in line and reason in line
