"""`E-addons` on the shared synth: the Karpenter, CNI Metrics Helper, Load Balancer
Controller and VPA recommender Helm releases and the Helm provider's exec authentication."""

from __future__ import annotations

import json
from typing import Any

import pytest

from planning.pins import KARPENTER, KARPENTER_CRD, VPA
from tests.conftest import ENV_NAMES, Synth


def releases(synth: Synth, env: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in synth.resources(f"{env}-addons", "helm_release").values()}


@pytest.mark.parametrize("env", ENV_NAMES)
def test_karpenter_releases(synth: Synth, env: str) -> None:
    by_name = releases(synth, env)
    assert {"karpenter-crd", "karpenter"} <= set(by_name)
    crd, controller = by_name["karpenter-crd"], by_name["karpenter"]
    for release, chart in ((crd, KARPENTER_CRD), (controller, KARPENTER)):
        assert (release["repository"], release["chart"], release["version"]) == (
            "oci://public.ecr.aws/karpenter",
            chart.name,
            "1.14.1",
        )
        assert release["namespace"] == "kube-system" and release["atomic"] is True
    assert controller["skip_crds"] is True
    crd_address = next(
        k for k, r in synth.resources(f"{env}-addons", "helm_release").items() if r["name"] == "karpenter-crd"
    )
    assert controller["depends_on"] == [f"helm_release.{crd_address}"]
    values = json.loads(controller["values"][0])
    assert values["settings"]["clusterName"] == f"{env}-platform"
    queue = values["settings"]["interruptionQueue"]
    assert (
        queue.startswith("${data.terraform_remote_state.cross-stack-reference-input-")
        and "aws_sqs_queue" in queue
        and queue.endswith("name}")
    )
    assert values["replicas"] == 2 and values["podDisruptionBudget"] == {"name": "karpenter", "maxUnavailable": 1}
    assert values["nodeSelector"]["eks-platform/node-group"] == "system"
    assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    assert values["controller"]["resources"]["requests"] == values["controller"]["resources"]["limits"]


@pytest.mark.parametrize(("stack", "kind"), [("addons", "helm"), ("platform", "kubernetes")])
def test_providers_use_exec_auth_from_cluster_outputs(synth: Synth, stack: str, kind: str) -> None:
    (provider,) = synth.stack(f"prod-{stack}")["provider"][kind]
    config = provider["kubernetes"] if kind == "helm" else provider
    exec_block = config["exec"] if kind == "helm" else config["exec"][0]
    assert exec_block["command"] == "aws"
    assert exec_block["args"][:4] == ["eks", "get-token", "--cluster-name", "prod-platform"]
    assert "token" not in config
    assert config["host"].startswith("${data.terraform_remote_state.cross-stack-reference-input-prod-cluster.")
    assert config["cluster_ca_certificate"].startswith("${base64decode(data.terraform_remote_state.")


def test_cni_metrics_helper_release(synth: Synth) -> None:
    for env in ENV_NAMES:
        (release,) = [
            r for r in synth.resources(f"{env}-addons", "helm_release").values() if r["name"] == "cni-metrics-helper"
        ]
        assert (release["repository"], release["version"], release["namespace"]) == (
            "https://aws.github.io/eks-charts",
            "1.22.4",
            "kube-system",
        )
        values = json.loads(release["values"][0])
        assert values["env"] == {"USE_CLOUDWATCH": "true", "AWS_CLUSTER_ID": f"{env}-platform"}
        assert values["nodeSelector"] == {"eks-platform/node-group": "system"}
        assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]


@pytest.mark.parametrize("env", ENV_NAMES)
def test_load_balancer_controller_release(synth: Synth, env: str) -> None:
    release = releases(synth, env)["aws-load-balancer-controller"]
    assert (release["repository"], release["chart"], release["version"], release["namespace"]) == (
        "https://aws.github.io/eks-charts",
        "aws-load-balancer-controller",
        "3.5.0",
        "kube-system",
    )
    values = json.loads(release["values"][0])
    assert values["clusterName"] == f"{env}-platform"
    assert values["serviceAccount"] == {"create": True, "name": "aws-load-balancer-controller"}
    assert values["nodeSelector"]["eks-platform/node-group"] == "system"
    assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    # Its Service webhook refuses Services while no replica answers: two, and one at most drained.
    assert values["replicaCount"] == 2 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert "depends_on" not in release  # first in the stack: the other releases wait for it
    # The VPC travels from the network stack as a cross-stack reference.
    assert values["vpcId"].startswith(f"${{data.terraform_remote_state.cross-stack-reference-input-{env}-network.")
    region = synth.stack(f"{env}-cluster")["provider"]["aws"][0]["region"]
    assert values["region"] == region


@pytest.mark.parametrize("env", ENV_NAMES)
def test_vpa_recommender_release(synth: Synth, env: str) -> None:
    release = releases(synth, env)["vpa"]
    assert (release["repository"], release["chart"], release["version"], release["namespace"]) == (
        "https://charts.fairwinds.com/stable",
        "vpa",
        VPA.version,
        "kube-system",
    )
    values = json.loads(release["values"][0])
    # Recommendations only: no updater evicting pods, no webhook on pod creation.
    assert values["updater"] == {"enabled": False} and values["admissionController"] == {"enabled": False}
    assert values["metrics-server"] == {"enabled": False}  # the EKS add-on serves the metrics API
    recommender = values["recommender"]
    assert recommender["enabled"] is True
    assert recommender["nodeSelector"] == {"eks-platform/node-group": "system"}
    assert recommender["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
