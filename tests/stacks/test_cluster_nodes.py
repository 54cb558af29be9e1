"""`E-cluster`: the system node group, IAM, add-ons, CSI drivers, the VPC CNI and its metrics."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import ENV_NAMES, Synth, resolve_policy
from tests.stacks.cluster_helpers import one, ref_of


@pytest.mark.parametrize(
    ("env", "sizes", "instance"), [("dev", (2, 2, 3), "t3.large"), ("prod", (3, 3, 6), "m7i.xlarge")]
)
def test_system_node_group(synth: Synth, env: str, sizes: tuple[int, int, int], instance: str) -> None:
    stack = f"{env}-cluster"
    group = one(synth, stack, "aws_eks_node_group")
    assert [group["scaling_config"][k] for k in ("min_size", "desired_size", "max_size")] == list(sizes)
    assert group["instance_types"] == [instance] and group["ami_type"] == "AL2023_x86_64_STANDARD"
    assert all("network_private-" in s for s in group["subnet_ids"]) and len(group["subnet_ids"]) == 3
    assert group["taint"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group["labels"] == {"eks-platform/node-group": "system"}
    # It follows the control plane's version (updated after it) instead of keeping its first one.
    assert group["version"] == one(synth, stack, "aws_eks_cluster")["version"] == "1.34"
    assert group["node_repair_config"] == {"enabled": True}
    assert "remote_access" not in group
    template = one(synth, stack, "aws_launch_template")
    assert template["metadata_options"] == {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
    }
    (device,) = template["block_device_mappings"]
    assert device["ebs"]["volume_type"] == "gp3" and device["ebs"]["encrypted"] == "true"
    assert "key_name" not in template
    assert group["launch_template"]["id"] == ref_of(synth, stack, "aws_launch_template", "launch-template", "id")


def test_iam_roles(synth: Synth) -> None:
    stack = "prod-cluster"
    roles = {
        f"${{aws_iam_role.{k}.name}}"
        for k, r in synth.resources(stack, "aws_iam_role").items()
        if r["name"] in ("prod-platform-cluster", "prod-platform-system-node")
    }
    assert len(roles) == 2
    attachments = [
        a["policy_arn"].rsplit("/", 1)[1]
        for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
        if a["role"] in roles
    ]
    assert sorted(attachments) == sorted(
        [
            "AmazonEKSClusterPolicy",
            "AmazonEKSWorkerNodePolicy",
            "AmazonEKS_CNI_Policy",
            "AmazonEC2ContainerRegistryPullOnly",
            "AmazonSSMManagedInstanceCore",
        ]
    )
    for role in synth.resources(stack, "aws_iam_role").values():
        trust = resolve_policy(synth, stack, role["assume_role_policy"])
        (statement,) = trust["statement"]
        assert "resources" not in statement  # trust policies name no resource
        assert statement["principals"][0]["type"] == "Service"


def test_addons_order_and_conflicts(synth: Synth) -> None:
    stack = "prod-cluster"
    addons = synth.resources(stack, "aws_eks_addon")
    # The CSI drivers (see test_storage.py) and Container Insights (test_cluster.py) are constructs of their own.
    own = ("aws-ebs-csi-driver", "aws-efs-csi-driver", "amazon-cloudwatch-observability")
    addons = {k: a for k, a in addons.items() if a["addon_name"] not in own}
    assert set(addons) == {"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "metrics-server"}
    for addon in addons.values():
        assert (
            addon["resolve_conflicts_on_create"] == "OVERWRITE" and addon["resolve_conflicts_on_update"] == "OVERWRITE"
        )
        assert addon["addon_version"].startswith("${data.aws_eks_addon_version.")
    group_name = next(iter(synth.resources(stack, "aws_eks_node_group")))
    group = synth.resources(stack, "aws_eks_node_group")[group_name]
    addon_dependencies = {d for d in group["depends_on"] if d.startswith("aws_eks_addon.")}
    assert addon_dependencies == {
        "aws_eks_addon.vpc-cni",
        "aws_eks_addon.kube-proxy",
        "aws_eks_addon.eks-pod-identity-agent",
    }
    for name in ("coredns", "metrics-server"):
        assert addons[name]["depends_on"] == [f"aws_eks_node_group.{group_name}"]
    assert json.loads(addons["vpc-cni"]["configuration_values"])["enableNetworkPolicy"] == "true"
    tolerations = json.loads(addons["metrics-server"]["configuration_values"])["tolerations"]
    assert tolerations == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    # DNS stays on the system nodes, which Karpenter consolidation never removes.
    assert json.loads(addons["coredns"]["configuration_values"]) == {
        "nodeSelector": {"eks-platform/node-group": "system"},
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
    }
    versions = synth.data(stack, "aws_eks_addon_version")
    assert {v["addon_name"] for v in versions.values()} == set(addons) | set(own)  # prod has all three
    assert all(v["kubernetes_version"] == "1.34" for v in versions.values())


def test_outputs_for_later_stacks(synth: Synth) -> None:
    outputs = synth.stack("prod-cluster")["output"]
    for name in (
        "cluster_name",
        "cluster_endpoint",
        "cluster_certificate_authority_data",
        "cluster_security_group_id",
        "system_node_role_arn",
        "alarm_topic_arn",
        "dashboard_name",
    ):
        assert name in outputs


@pytest.mark.parametrize("env", ENV_NAMES)
def test_csi_drivers(synth: Synth, env: str) -> None:
    stack = f"{env}-cluster"
    addons = synth.resources(stack, "aws_eks_addon")
    drivers = {a["addon_name"]: a for a in addons.values() if a["addon_name"].endswith("csi-driver")}
    assert set(drivers) == ({"aws-ebs-csi-driver", "aws-efs-csi-driver"} if env == "prod" else {"aws-ebs-csi-driver"})
    ebs = drivers["aws-ebs-csi-driver"]
    (association,) = ebs["pod_identity_association"]
    assert association["service_account"] == "ebs-csi-controller-sa"
    role_key = association["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
    role = synth.resources(stack, "aws_iam_role")[role_key]
    attached = [
        a["policy_arn"]
        for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
        if a["role"] == f"${{aws_iam_role.{role_key}.name}}"
    ]
    assert [a.rsplit("/", 1)[1] for a in attached] == ["AmazonEBSCSIDriverPolicy"]
    assert role["name"] == f"{env}-platform-aws-ebs-csi-driver"
    (kms,) = [
        p
        for p in synth.resources(stack, "aws_iam_role_policy").values()
        if p["role"] == f"${{aws_iam_role.{role_key}.id}}"
    ]
    statements = {s["sid"]: s for s in resolve_policy(synth, stack, kms["policy"])["statement"]}
    data_key = statements["UseDataKey"]["resources"][0]
    assert data_key.startswith(f"${{data.terraform_remote_state.cross-stack-reference-input-{env}-storage.")
    assert statements["GrantDataKeyToAwsResources"]["condition"][0]["variable"] == "kms:GrantIsForAWSResource"
    if env == "prod":
        # EFS encrypts with the file system's own key: the EFS driver gets no KMS rights.
        efs = drivers["aws-efs-csi-driver"]
        efs_role = efs["pod_identity_association"][0]["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
        inline = [p for p in synth.resources(stack, "aws_iam_role_policy").values() if efs_role in p["role"]]
        assert inline == []


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
    cni = ("ip-utilisation", "ipamd-errors", "eni-exhaustion", "cni-metrics-helper-heartbeat")
    for name in cni:
        assert alarms[f"prod-platform-{name}"]["alarm_actions"] == [f"${{aws_sns_topic.{topic}.arn}}"]
    assert alarms["prod-platform-cni-metrics-helper-heartbeat"]["treat_missing_data"] == "breaching"
    (dashboard,) = synth.resources(stack, "aws_cloudwatch_dashboard").values()
    titles = [w["properties"].get("title") for w in json.loads(dashboard["dashboard_body"])["widgets"]]
    assert "VPC CNI: assigned vs total IPs" in titles
