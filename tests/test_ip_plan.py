"""The IP planner with hand-checked numbers, and the CNI settings it drives."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from planning.instances import FACTS_BY_VCPU, INSTANCE_FACTS
from planning.ip_capacity import (
    CniMode,
    NodeKind,
    max_pods_capacity,
    node_addresses,
    plan_ip_capacity,
)
from tests.conftest import ENV_NAMES, UPSTREAM, Synth
from tests.upstream import chart_values, unknown_value_paths

SECONDARY = CniMode(prefix_delegation=False, custom_networking=False)
PREFIX = CniMode(prefix_delegation=True, custom_networking=False, warm_prefix_target=1)
SECONDARY_CUSTOM = CniMode(prefix_delegation=False, custom_networking=True)
PREFIX_CUSTOM = CniMode(prefix_delegation=True, custom_networking=True, warm_prefix_target=1)


@pytest.mark.parametrize(
    ("instance", "mode", "expected"),
    [
        # ENIs x (IPv4 per ENI - 1) + 2
        ("t3.large", SECONDARY, 3 * 11 + 2),  # 35
        ("m7i.large", SECONDARY, 3 * 9 + 2),  # 29
        ("m7i.xlarge", SECONDARY, 4 * 14 + 2),  # 58
        # custom networking: the primary ENI carries no pods
        ("t3.large", SECONDARY_CUSTOM, 2 * 11 + 2),  # 24
        ("m7i.xlarge", SECONDARY_CUSTOM, 3 * 14 + 2),  # 44
        # prefixes: x16, then capped at 110 below 30 vCPUs (raw: 530, 434, 898)
        ("t3.large", PREFIX, 110),
        ("m7i.large", PREFIX, 110),
        ("m7i.xlarge", PREFIX, 110),
    ],
)
def test_max_pods_per_instance_type(instance: str, mode: CniMode, expected: int) -> None:
    assert max_pods_capacity(INSTANCE_FACTS[instance], mode) == expected


def test_large_instances_are_capped_at_250() -> None:
    facts = FACTS_BY_VCPU[32]  # 8 ENIs x 30 IPs
    assert max_pods_capacity(facts, SECONDARY) == 8 * 29 + 2  # 234, below the cap
    assert max_pods_capacity(facts, PREFIX) == 250


@pytest.mark.parametrize(
    ("instance", "max_pods", "node_ips"),
    [
        # whole ENIs: min(ENIs, ceil((pods + one warm ENI) / slots)) x IPs per ENI
        ("t3.large", 35, 3 * 12),  # ceil(46/11) = 5 -> 3 ENIs
        ("m7i.large", 29, 3 * 10),  # ceil(38/9) = 5 -> 3 ENIs
        ("m7i.xlarge", 58, 4 * 15),  # ceil(72/14) = 6 -> 4 ENIs
        ("m7i.xlarge", 20, 3 * 15),  # ceil(34/14) = 3 ENIs
    ],
)
def test_secondary_ip_mode_node_addresses(instance: str, max_pods: int, node_ips: int) -> None:
    addresses = node_addresses(INSTANCE_FACTS[instance], SECONDARY, max_pods)
    assert (addresses.node_subnet_individual, addresses.prefixes) == (node_ips, 0)


@pytest.mark.parametrize("instance", ["t3.large", "m7i.large", "m7i.xlarge"])
def test_prefix_mode_node_addresses(instance: str) -> None:
    addresses = node_addresses(INSTANCE_FACTS[instance], PREFIX, 110)
    # ceil(110 / 16) = 7 prefixes + 1 warm; one ENI holds them (8 <= IPs per ENI - 1)
    assert (addresses.node_subnet_individual, addresses.prefixes) == (1, 8)
    custom = node_addresses(INSTANCE_FACTS[instance], PREFIX_CUSTOM, 110)
    assert (custom.node_subnet_individual, custom.pod_subnet_individual, custom.prefixes) == (1, 1, 8)


def test_warm_ip_target_in_secondary_mode() -> None:
    mode = CniMode(prefix_delegation=False, custom_networking=False, warm_ip_target=5, minimum_ip_target=10)
    # pods 20 + warm 5 = 25 addresses on ceil(25/11) = 3 ENIs: 3 primaries + 25
    assert node_addresses(INSTANCE_FACTS["t3.large"], mode, 20).node_subnet_individual == 28


def test_shipped_prod_plan_worked_example() -> None:
    # docs/ip-planning.md: 3 AZs, custom networking, prefix mode, max pods 110.
    kinds = [
        NodeKind("system", 6, INSTANCE_FACTS["m7i.xlarge"]),
        NodeKind("on-demand", 200, FACTS_BY_VCPU[4]),  # 800 vCPU / 4
        NodeKind("spot", 50, FACTS_BY_VCPU[4]),  # 200 vCPU / 4
    ]
    plan = plan_ip_capacity(
        node_subnets=["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"],
        pod_subnets=["100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18"],
        kinds=kinds,
        mode=PREFIX_CUSTOM,
        max_pods=110,
        reserved_ips=32,
    )
    node, pod = plan.subnets[0], plan.subnets[3]
    assert node.max_nodes == 2 + 67 + 17 == 86
    assert node.needed == 86 + 32  # one primary address per node, plus load balancers
    assert pod.needed == 16 * (86 * 8 + 86 * 1) + 27 == 12411
    assert pod.usable == 16384 - 5 and pod.headroom == 3968
    assert plan.shortfalls() == [] and plan.above(80) == []


def test_a_plan_that_cannot_fit() -> None:
    kinds = [NodeKind("pool", 200, FACTS_BY_VCPU[4])]
    plan = plan_ip_capacity(
        node_subnets=["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        pod_subnets=[],
        kinds=kinds,
        mode=PREFIX,
        max_pods=110,
        reserved_ips=32,
    )
    short = plan.shortfalls()
    assert len(short) == 3
    # ceil(200/3) = 67 nodes: 16 x (67 x 8 prefixes + 67 primaries + 32 reserved) + 27
    assert short[0].needed == 16 * (67 * 8 + 67 + 32) + 27 == 10187
    assert short[0].headroom == 251 - 10187


# --- the settings in the stacks ---


@pytest.mark.parametrize("env", ENV_NAMES)
def test_vpc_cni_addon_configuration(synth: Synth, env: str) -> None:
    config = json.loads(synth.resources(f"{env}-cluster", "aws_eks_addon")["vpc-cni"]["configuration_values"])
    assert config["enableNetworkPolicy"] == "true"
    assert config["env"]["ENABLE_PREFIX_DELEGATION"] == "true" and config["env"]["WARM_PREFIX_TARGET"] == "1"
    custom = env == "prod"
    assert ("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG" in config["env"]) is custom
    if custom:
        assert config["env"]["ENI_CONFIG_LABEL_DEF"] == "topology.kubernetes.io/zone"


def test_eni_configs_come_with_the_vpc_cni_addon_before_the_nodes(synth: Synth) -> None:
    """With custom networking a node whose zone has no ENIConfig never gets ready:
    the add-on creates one per AZ, and the node group waits for the add-on."""

    def cni(env: str) -> dict[str, Any]:
        values: dict[str, Any] = json.loads(
            synth.resources(f"{env}-cluster", "aws_eks_addon")["vpc-cni"]["configuration_values"]
        )
        return values

    config = cni("prod")
    assert config["env"]["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true"
    eni = config["eniConfig"]
    assert eni["create"] is True and eni["region"] == "eu-west-1" and len(eni["subnets"]) == 3
    for index, (zone, subnet) in enumerate(sorted(eni["subnets"].items())):
        assert f"network_pod-{index}_" in zone and zone.endswith("availability_zone}")
        assert f"network_pod-{index}_" in subnet["id"] and subnet["id"].endswith("id}")
        assert "cluster_security_group_id" in subnet["securityGroups"][0]
    (group,) = synth.resources("prod-cluster", "aws_eks_node_group").values()
    assert "aws_eks_addon.vpc-cni" in group["depends_on"]
    for env in ("dev", "staging"):
        assert "eniConfig" not in cni(env)
    for env in ENV_NAMES:  # none left in a later stack, where they would arrive too late
        kinds = {m["manifest"]["kind"] for m in synth.resources(f"{env}-platform", "kubernetes_manifest").values()}
        assert "ENIConfig" not in kinds


@pytest.mark.parametrize("env", ENV_NAMES)
def test_max_pods_is_the_same_for_node_group_and_karpenter(synth: Synth, env: str) -> None:
    (template,) = synth.resources(f"{env}-cluster", "aws_launch_template").values()
    user_data = base64.b64decode(template["user_data"]).decode()
    assert "kind: NodeConfig" in user_data and "      maxPods: 110" in user_data
    (node_class,) = [
        m["manifest"]
        for m in synth.resources(f"{env}-platform", "kubernetes_manifest").values()
        if m["manifest"]["kind"] == "EC2NodeClass"
    ]
    assert node_class["spec"]["kubelet"] == {"maxPods": 110}


def test_cni_metrics_helper(synth: Synth) -> None:
    upstream = chart_values(UPSTREAM / "cni-metrics-helper" / "1.22.4")
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
        assert unknown_value_paths(values, upstream) == []
        assert values["env"] == {"USE_CLOUDWATCH": "true", "AWS_CLUSTER_ID": f"{env}-platform"}
        assert values["nodeSelector"] == {"eks-platform/node-group": "system"}
        assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]


def test_cni_metrics_helper_iam_and_alarms(synth: Synth) -> None:
    from tests.conftest import resolve_policy

    stack = "prod-cluster"
    associations = {
        a["service_account"]: a for a in synth.resources(stack, "aws_eks_pod_identity_association").values()
    }
    helper = associations["cni-metrics-helper"]
    assert helper["namespace"] == "kube-system"
    role_key = helper["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
    (policy,) = [
        p
        for p in synth.resources(stack, "aws_iam_role_policy").values()
        if p["role"] == f"${{aws_iam_role.{role_key}.id}}"
    ]
    (statement,) = resolve_policy(synth, stack, policy["policy"])["statement"]
    assert statement["actions"] == ["cloudwatch:PutMetricData"]
    assert statement["condition"] == [
        {"test": "StringEquals", "variable": "cloudwatch:namespace", "values": ["Kubernetes"]}
    ]
    alarms = {a["alarm_name"]: a for a in synth.resources(stack, "aws_cloudwatch_metric_alarm").values()}
    utilisation = alarms["prod-platform-ip-utilisation"]
    assert utilisation["threshold"] == 80
    queries = {q["id"]: q for q in utilisation["metric_query"]}
    assert queries["utilisation"]["expression"] == "100 * used / total"
    assert queries["used"]["metric"]["metric_name"] == "assignIPAddresses"
    assert queries["total"]["metric"]["dimensions"] == {"CLUSTER_ID": "prod-platform"}
    assert queries["total"]["metric"]["namespace"] == "Kubernetes"
    assert alarms["prod-platform-ipamd-errors"]["metric_name"] == "ipamdErr"
    assert alarms["prod-platform-ipamd-errors"]["threshold"] == 0
    assert {
        q["metric"]["metric_name"] for q in alarms["prod-platform-eni-exhaustion"]["metric_query"] if "metric" in q
    } == {
        "eniAllocated",
        "eniMaxAvailable",
    }
    topic = next(iter(synth.resources(stack, "aws_sns_topic")))
    for name in ("prod-platform-ip-utilisation", "prod-platform-ipamd-errors", "prod-platform-eni-exhaustion"):
        assert alarms[name]["alarm_actions"] == [f"${{aws_sns_topic.{topic}.arn}}"]
    (dashboard,) = synth.resources(stack, "aws_cloudwatch_dashboard").values()
    titles = [w["properties"].get("title") for w in json.loads(dashboard["dashboard_body"])["widgets"]]
    assert "VPC CNI: assigned vs total IPs" in titles


def test_utilisation_warning(tmp_path: object) -> None:
    from pathlib import Path

    from envs import load_environment
    from tests.conftest import ROOT
    from tools.ip_plan import report

    assert isinstance(tmp_path, Path)
    text = (ROOT / "envs" / "dev.yaml").read_text().replace("private: 19", "private: 21")
    (tmp_path / "dev.yaml").write_text(text + "\ncni: {reserved_ips_per_subnet: 60}\n")
    env = load_environment(tmp_path / "dev.yaml", {})
    tables, warnings = report([env])
    # 16 x (6 nodes x 8 prefixes + 6 primaries + 60 reserved) + 27 = 1851 of 2043 usable
    assert "  1851 " in tables
    assert len(warnings) == 3
    assert warnings[0] == "warning: dev: node subnet 10.10.0.0/21 (AZ 0) would be 91% used at maximum scale (above 80%)"
