"""modules/karpenter: Karpenter's AWS side (roles, node access, interruption queue and
rules), the controller's Helm releases, and the EC2NodeClass and NodePools, as cdktf
unit tests. Their conformance to upstream: tests/conformance/test_karpenter_*.py."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_helm.provider import HelmProvider
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

from modules.conventions import NODE_POLICIES
from modules.karpenter.aws import INTERRUPTION_EVENTS, KarpenterAws
from modules.karpenter.controller import ControllerSettings, KarpenterController
from modules.karpenter.nodes import Budget, KarpenterNodes, NodeClassSettings, NodePoolSettings
from modules.karpenter.spot import spot_service_linked_role
from tests.modules.helpers import (
    CLUSTER,
    CLUSTER_SG,
    REGION,
    Doc,
    cluster_handle,
    named,
    only,
    parse,
    ref,
    resources,
    statements,
)

POLICIES = {
    "NodeLifecyclePolicy",
    "IAMIntegrationPolicy",
    "EKSIntegrationPolicy",
    "InterruptionPolicy",
    "ResourceDiscoveryPolicy",
    "ZonalShiftPolicy",
}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The AWS side, as the cluster stack holds it."""
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("karpenter"))), "karpenter")
    AwsProvider(stack, "aws", region=REGION)
    KarpenterAws(stack, "karpenter", cluster=cluster_handle(stack))
    return Testing.synth(stack)


def pool(name: str, capacity_type: str, **extra: Any) -> NodePoolSettings:
    settings = NodePoolSettings(
        name=name,
        node_class="default",
        capacity_types=[capacity_type],
        instance_categories=["c", "m"],
        min_generation=6,
        min_vcpu=2,
        architectures=["amd64"],
        cpu_limit=64,
        memory_limit_gib=256,
        consolidation_policy="WhenEmptyOrUnderutilized",
        consolidate_after="1m",
        expire_after="720h",
        termination_grace_period="48h",
        budgets=[Budget("10%")],
    )
    return dataclasses.replace(settings, **extra)


@pytest.fixture(scope="module")
def kubernetes(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The controller's releases (as the addons stack holds them) and the node class and
    pools (as the platform stack does)."""
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("karpenter-k8s"))), "karpenter-k8s")
    HelmProvider(stack, "helm")
    KubernetesProvider(stack, "kubernetes")
    KarpenterController(stack, "controller", ControllerSettings(cluster_name=CLUSTER, interruption_queue="demo-queue"))
    node_class = NodeClassSettings(
        name="default",
        cluster_name=CLUSTER,
        node_role_name="KarpenterNodeRole-demo",
        ami_alias="al2023@v20261015",
        max_pods=110,
        tags={"Team": "platform"},
    )
    on_demand = pool(
        "on-demand",
        "on-demand",
        weight=10,
        labels={"workload": "general"},
        budgets=[Budget("10%"), Budget("0", "0 9 * * mon-fri", "8h", ["Drifted"])],
    )
    KarpenterNodes(stack, "nodes", node_class, [on_demand, pool("spot", "spot")])
    return Testing.synth(stack)


def manifests(doc: Doc, kind: str) -> dict[str, Doc]:
    return {n: r for n, r in resources(doc, "kubernetes_manifest").items() if r["manifest"]["kind"] == kind}


# --- the AWS side ---


def test_spot_service_linked_role(tmp_path_factory: pytest.TempPathFactory) -> None:
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("spot"))), "spot")
    AwsProvider(stack, "aws", region=REGION)
    spot_service_linked_role(stack, "spot")
    _, role = only(parse(Testing.synth(stack)), "aws_iam_service_linked_role")
    assert role["aws_service_name"] == "spot.amazonaws.com"
    assert role["lifecycle"] == {"prevent_destroy": True}  # every Spot launch of the account uses it


def test_cluster_security_group_tagged_for_discovery(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized, "aws_ec2_tag", {"resource_id": CLUSTER_SG, "key": "karpenter.sh/discovery", "value": CLUSTER}
    )


def test_node_role_joins_through_an_access_entry(synthesized: str) -> None:
    doc = parse(synthesized)
    role_name, role = named(doc, "aws_iam_role", "node-role")
    assert role["name"] == "KarpenterNodeRole-demo"
    (trust,) = statements(doc, role["assume_role_policy"]).values()
    assert trust["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]
    attached = [
        a["policy_arn"].rsplit("/", 1)[1]
        for a in resources(doc, "aws_iam_role_policy_attachment").values()
        if a["role"] == ref("aws_iam_role", role_name, "name")
    ]
    assert sorted(attached) == sorted(NODE_POLICIES)
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_eks_access_entry",
        {"cluster_name": CLUSTER, "type": "EC2_LINUX", "principal_arn": ref("aws_iam_role", role_name, "arn")},
    )


def test_interruption_queue_encrypted_fed_by_five_rules_tls_only(synthesized: str) -> None:
    doc = parse(synthesized)
    queue_name, _ = only(doc, "aws_sqs_queue")
    queue_arn = ref("aws_sqs_queue", queue_name, "arn")
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_sqs_queue",
        {"name": CLUSTER, "message_retention_seconds": 300, "sqs_managed_sse_enabled": True},
    )
    rules = resources(doc, "aws_cloudwatch_event_rule")
    patterns = {(p["source"][0], p["detail-type"][0]) for p in (json.loads(r["event_pattern"]) for r in rules.values())}
    assert patterns == {(source, detail) for _, source, detail in INTERRUPTION_EVENTS} and len(rules) == 5
    targets = resources(doc, "aws_cloudwatch_event_target").values()
    assert sorted(t["rule"] for t in targets) == sorted(ref("aws_cloudwatch_event_rule", n, "name") for n in rules)
    assert {t["arn"] for t in targets} == {queue_arn}
    _, queue_policy = only(doc, "aws_sqs_queue_policy")
    granted = statements(doc, queue_policy["policy"])
    assert granted["EventBridgeAndSqsSend"]["resources"] == [queue_arn]
    deny = granted["DenyInsecureTransport"]
    assert deny["effect"] == "Deny" and deny["resources"] == [queue_arn]
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_controller_role_for_pod_identity_with_six_policies(synthesized: str) -> None:
    doc = parse(synthesized)
    role_name, role = named(doc, "aws_iam_role", "controller-role")
    assert role["name"] == "KarpenterController-demo"
    (trust,) = statements(doc, role["assume_role_policy"]).values()
    assert trust["principals"] == [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}]
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_eks_pod_identity_association",
        {
            "cluster_name": CLUSTER,
            "namespace": "kube-system",
            "service_account": "karpenter",
            "role_arn": ref("aws_iam_role", role_name, "arn"),
        },
    )
    policies = resources(doc, "aws_iam_policy")
    assert {p["name"] for p in policies.values()} == {f"KarpenterController{p}-demo" for p in POLICIES}
    attached = {
        a["policy_arn"]
        for a in resources(doc, "aws_iam_role_policy_attachment").values()
        if a["role"] == ref("aws_iam_role", role_name, "name")
    }
    assert attached == {ref("aws_iam_policy", n, "arn") for n in policies}
    # The interruption policy reads the queue this construct created, nothing else.
    queue_name, _ = only(doc, "aws_sqs_queue")
    (interruption,) = [p for p in policies.values() if p["name"] == "KarpenterControllerInterruptionPolicy-demo"]
    (statement,) = statements(doc, interruption["policy"]).values()
    assert statement["resources"] == [ref("aws_sqs_queue", queue_name, "arn")]


# --- the controller ---


def test_crds_in_their_own_release_first(kubernetes: str) -> None:
    releases = {r["name"]: (n, r) for n, r in resources(parse(kubernetes), "helm_release").items()}
    crd_name, crds = releases["karpenter-crd"]
    _, controller = releases["karpenter"]
    for release in (crds, controller):
        assert (release["repository"], release["version"], release["namespace"]) == (
            "oci://public.ecr.aws/karpenter",
            "1.14.1",
            "kube-system",
        )
        assert release["atomic"] is True and release["wait"] is True
    assert "values" not in crds
    assert controller["skip_crds"] is True and controller["depends_on"] == [f"helm_release.{crd_name}"]


def test_controller_runs_on_the_system_nodes_with_a_budget(kubernetes: str) -> None:
    (controller,) = [r for r in resources(parse(kubernetes), "helm_release").values() if r["name"] == "karpenter"]
    (values_json,) = controller["values"]
    values = json.loads(values_json)
    assert values["settings"] == {"clusterName": CLUSTER, "interruptionQueue": "demo-queue"}
    assert values["replicas"] == 2 and values["podDisruptionBudget"] == {"name": "karpenter", "maxUnavailable": 1}
    assert values["serviceAccount"] == {"name": "karpenter"}
    assert values["nodeSelector"] == {"kubernetes.io/os": "linux", "eks-platform/node-group": "system"}
    assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    resources_ = values["controller"]["resources"]
    assert resources_["requests"] == resources_["limits"] == {"cpu": "1", "memory": "1Gi"}


# --- node class and pools ---


def test_node_class_imdsv2_hop_limit_1_encrypted_gp3_discovery(kubernetes: str) -> None:
    assert Testing.to_have_resource_with_properties(
        kubernetes,
        "kubernetes_manifest",
        {"manifest": {"kind": "EC2NodeClass", "spec": {"metadataOptions": {"httpPutResponseHopLimit": 1}}}},
    )
    (node_class,) = manifests(parse(kubernetes), "EC2NodeClass").values()
    spec = node_class["manifest"]["spec"]
    assert spec["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpProtocolIPv6": "disabled",
        "httpPutResponseHopLimit": 1,
        "httpTokens": "required",
    }
    (device,) = spec["blockDeviceMappings"]
    assert device["ebs"] == {"volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}
    discovery = [{"tags": {"karpenter.sh/discovery": CLUSTER}}]
    assert spec["subnetSelectorTerms"] == discovery and spec["securityGroupSelectorTerms"] == discovery
    assert spec["role"] == "KarpenterNodeRole-demo" and spec["amiSelectorTerms"] == [{"alias": "al2023@v20261015"}]
    assert spec["kubelet"] == {"maxPods": 110} and spec["tags"] == {"Team": "platform"}


def test_node_pools_after_their_class(kubernetes: str) -> None:
    doc = parse(kubernetes)
    (class_name,) = manifests(doc, "EC2NodeClass")
    pools = {r["manifest"]["metadata"]["name"]: r for r in manifests(doc, "NodePool").values()}
    assert set(pools) == {"on-demand", "spot"}
    for pool_resource in pools.values():
        assert pool_resource["depends_on"] == [f"kubernetes_manifest.{class_name}"]
        template = pool_resource["manifest"]["spec"]["template"]["spec"]
        assert template["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}
        assert template["expireAfter"] == "720h"
        assert template["terminationGracePeriod"] == "48h"


def test_node_pool_requirements_limits_and_budgets(kubernetes: str) -> None:
    pools = {
        r["manifest"]["metadata"]["name"]: r["manifest"]["spec"]
        for r in manifests(parse(kubernetes), "NodePool").values()
    }
    on_demand, spot = pools["on-demand"], pools["spot"]
    assert on_demand["template"]["spec"]["requirements"] == [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
        {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m"]},
        {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["5"]},
        {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": ["1"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    assert spot["template"]["spec"]["requirements"][0]["values"] == ["spot"]
    assert on_demand["limits"] == {"cpu": "64", "memory": "256Gi"}
    assert on_demand["disruption"] == {
        "consolidationPolicy": "WhenEmptyOrUnderutilized",
        "consolidateAfter": "1m",
        "budgets": [
            {"nodes": "10%"},
            {"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "8h", "reasons": ["Drifted"]},
        ],
    }
    assert on_demand["weight"] == 10 and "weight" not in spot
    assert on_demand["template"]["metadata"] == {"labels": {"workload": "general"}}
    assert spot["template"]["metadata"] == {}
