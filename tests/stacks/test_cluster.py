"""`E-cluster` on the shared synth: EKS, logging, filters, alarms, node group, add-ons
(VPC CNI, CSI drivers), the CI runner, Karpenter's and the CNI Metrics Helper's IAM, outputs."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from planning.control_plane_filters import FILTERS
from tests.conftest import ENV_NAMES, Synth, resolve_policy

ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def one(synth: Synth, stack: str, kind: str) -> dict[str, Any]:
    (item,) = synth.resources(stack, kind).values()
    return item


def ref_of(synth: Synth, stack: str, kind: str, suffix: str, attribute: str) -> str:
    for name, res in synth.resources(stack, kind).items():
        if res["//"]["metadata"]["path"].endswith(suffix):
            return f"${{{kind}.{name}.{attribute}}}"
    raise AssertionError(f"no {kind} ending in {suffix}")


@pytest.mark.parametrize(
    ("env", "log_types", "retention"),
    [("dev", ["api", "audit", "authenticator"], 7), ("staging", ALL_LOG_TYPES, 30), ("prod", ALL_LOG_TYPES, 365)],
)
def test_cluster_logging(synth: Synth, env: str, log_types: list[str], retention: int) -> None:
    stack = f"{env}-cluster"
    cluster = one(synth, stack, "aws_eks_cluster")
    assert cluster["enabled_cluster_log_types"] == log_types
    group = synth.resource_by_path(stack, "aws_cloudwatch_log_group", "/control-plane-logs")
    assert group["name"] == f"/aws/eks/{env}-platform/cluster"
    assert group["retention_in_days"] == retention
    assert group["kms_key_id"] == ref_of(synth, stack, "aws_kms_key", "logs-kms/key", "arn")
    # Created by us, before the cluster: otherwise EKS creates it unencrypted and never expiring.
    log_group_address = ref_of(synth, stack, "aws_cloudwatch_log_group", "/control-plane-logs", "x")
    assert cluster["depends_on"][0] == log_group_address.removeprefix("${").removesuffix(".x}")


@pytest.mark.parametrize("env", ENV_NAMES)
def test_cluster_secure_defaults(synth: Synth, env: str) -> None:
    stack = f"{env}-cluster"
    cluster = one(synth, stack, "aws_eks_cluster")
    assert cluster["name"] == f"{env}-platform" and cluster["version"] == "1.34"
    assert cluster["access_config"] == {
        "authentication_mode": "API",
        "bootstrap_cluster_creator_admin_permissions": False,
    }
    assert cluster["vpc_config"]["endpoint_private_access"] is True
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    secrets_key_arn = ref_of(synth, stack, "aws_kms_key", "secrets-kms/key", "arn")
    assert cluster["encryption_config"]["provider"]["key_arn"] == secrets_key_arn
    secrets_key = synth.resource_by_path(stack, "aws_kms_key", "secrets-kms/key")
    assert secrets_key["enable_key_rotation"] is True
    users = [
        s for s in resolve_policy(synth, stack, secrets_key["policy"])["statement"] if s["sid"] == "ClusterRoleUsesKey"
    ]
    assert users[0]["principals"] == [
        {"type": "AWS", "identifiers": [ref_of(synth, stack, "aws_iam_role", "eks/cluster-role", "arn")]}
    ]
    # Control-plane ENIs in the intra subnets, read from the network stack.
    assert all("network_intra-" in s for s in cluster["vpc_config"]["subnet_ids"])
    assert len(cluster["vpc_config"]["subnet_ids"]) == 3


def test_endpoint_access_per_environment(synth: Synth) -> None:
    prod = one(synth, "prod-cluster", "aws_eks_cluster")["vpc_config"]
    assert prod["endpoint_public_access"] is False and "public_access_cidrs" not in prod
    dev = one(synth, "dev-cluster", "aws_eks_cluster")["vpc_config"]
    assert dev["endpoint_public_access"] is True and dev["public_access_cidrs"] == ["203.0.113.0/24"]


def access_grants(synth: Synth, stack: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Principal ARN -> (access policy name, scope) of the stack's access entries."""
    entries = synth.resources(stack, "aws_eks_access_entry")
    grants = {}
    for association in synth.resources(stack, "aws_eks_access_policy_association").values():
        entry = association["principal_arn"].removeprefix("${aws_eks_access_entry.").removesuffix(".principal_arn}")
        policy = association["policy_arn"].rsplit("/", 1)[1]
        grants[entries[entry]["principal_arn"]] = (policy, association["access_scope"])
    return grants


@pytest.mark.parametrize("env", ENV_NAMES)
def test_access_entries_ci_roles_and_admins(synth: Synth, env: str) -> None:
    """The CI deploy role is cluster admin and the plan role may read everything,
    Secrets included (Helm keeps releases in Secrets); the human admin is optional."""
    grants = access_grants(synth, f"{env}-cluster")

    def ci_role(purpose: str) -> tuple[str, dict[str, Any]]:
        # This account's role, by name: arn:<partition>:iam::<caller account>:role/<name>
        (arn,) = [a for a in grants if a.endswith(f":role/{env}-platform-ci-{purpose}")]
        assert arn.startswith("arn:${data.aws_partition.") and "${data.aws_caller_identity." in arn
        return grants[arn]

    assert ci_role("deploy") == ("AmazonEKSClusterAdminPolicy", {"type": "cluster"})
    assert ci_role("plan") == ("AmazonEKSAdminViewPolicy", {"type": "cluster"})
    humans = {arn: grant for arn, grant in grants.items() if ":role/" + env + "-platform-ci-" not in arn}
    expected = {"arn:aws:iam::333333333333:role/PlatformAdmin"} if env == "prod" else set()
    assert set(humans) == expected
    assert all(grant == ("AmazonEKSClusterAdminPolicy", {"type": "cluster"}) for grant in humans.values())


@pytest.mark.parametrize("env", ENV_NAMES)
def test_metric_filters_alarms_queries_dashboard(synth: Synth, env: str) -> None:
    stack = f"{env}-cluster"
    log_types = one(synth, stack, "aws_eks_cluster")["enabled_cluster_log_types"]
    expected = [f for f in FILTERS if f.log_type in log_types]
    assert len(expected) >= 8
    log_group_name = ref_of(synth, stack, "aws_cloudwatch_log_group", "/control-plane-logs", "name")
    topic_arn = ref_of(synth, stack, "aws_sns_topic", "/alarms", "arn")
    filters = {
        f["metric_transformation"]["name"]: f
        for f in synth.resources(stack, "aws_cloudwatch_log_metric_filter").values()
    }
    alarms = {
        a["metric_name"]: a
        for a in synth.resources(stack, "aws_cloudwatch_metric_alarm").values()
        if a.get("namespace", "").startswith("EKS/ControlPlane/")
    }
    queries = {q["name"]: q for q in synth.resources(stack, "aws_cloudwatch_query_definition").values()}
    assert set(filters) == set(alarms) == {f.name for f in expected}
    thresholds = {"prod": {"Forbidden403": 100, "Unauthorized401": 50}}.get(env, {})
    for f in expected:
        metric_filter = filters[f.name]
        assert metric_filter["log_group_name"] == log_group_name
        assert metric_filter["pattern"] == f.pattern
        assert metric_filter["metric_transformation"]["namespace"] == f"EKS/ControlPlane/{env}-platform"
        assert metric_filter["metric_transformation"]["value"] == "1"
        alarm = alarms[f.name]
        assert alarm["namespace"] == f"EKS/ControlPlane/{env}-platform"
        assert alarm["alarm_actions"] == [topic_arn] and alarm["ok_actions"] == [topic_arn]
        assert alarm["threshold"] == thresholds.get(f.name, f.default_threshold)
        assert alarm["period"] == 300 and alarm["statistic"] == "Sum"
        assert alarm["treat_missing_data"] == "notBreaching"
        assert queries[f"{env}-platform/{f.name}"]["query_string"] == f.query
        assert queries[f"{env}-platform/{f.name}"]["log_group_names"] == [log_group_name]
    dashboard = one(synth, stack, "aws_cloudwatch_dashboard")
    body = json.loads(dashboard["dashboard_body"])
    metrics = [
        w["properties"]["metrics"][0][1]
        for w in body["widgets"]
        if w["type"] == "metric" and w["properties"]["metrics"][0][0].startswith("EKS/ControlPlane/")
    ]
    assert metrics == [f.name for f in expected]
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert len(alarm_widget["properties"]["alarms"]) == len(expected)
    assert all(a.startswith("${aws_cloudwatch_metric_alarm.") for a in alarm_widget["properties"]["alarms"])


def test_alarm_topic_encrypted_and_subscribed_where_configured(synth: Synth) -> None:
    for env in ENV_NAMES:
        stack = f"{env}-cluster"
        topic = one(synth, stack, "aws_sns_topic")
        assert topic["kms_master_key_id"] == ref_of(synth, stack, "aws_kms_key", "alarms-kms/key", "arn")
        policy = resolve_policy(synth, stack, one(synth, stack, "aws_sns_topic_policy")["policy"])
        publish = next(s for s in policy["statement"] if s["sid"] == "CloudWatchAlarmsPublish")
        assert publish["principals"] == [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}]
    (subscription,) = synth.resources("prod-cluster", "aws_sns_topic_subscription").values()
    assert subscription["protocol"] == "email" and subscription["endpoint"] == "platform-oncall@example.com"
    assert synth.resources("dev-cluster", "aws_sns_topic_subscription") == {}


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
    addons = {k: a for k, a in addons.items() if not a["addon_name"].endswith("csi-driver")}  # see test_storage.py
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
    versions = synth.data(stack, "aws_eks_addon_version")
    csi = {"aws-ebs-csi-driver"} | ({"aws-efs-csi-driver"} if stack.startswith("prod") else set())
    assert {v["addon_name"] for v in versions.values()} == set(addons) | csi
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


def test_protection_follows_the_environment(synth: Synth) -> None:
    def protected(stack: str) -> list[bool]:
        kinds = ("aws_eks_cluster", "aws_kms_key", "aws_cloudwatch_log_group")
        return [
            r.get("lifecycle", {}).get("prevent_destroy") is True
            for k in kinds
            for r in synth.resources(stack, k).values()
        ]

    assert all(protected("prod-cluster")) and not any(protected("dev-cluster"))
    assert one(synth, "prod-cluster", "aws_eks_cluster")["deletion_protection"] is True
    assert one(synth, "dev-cluster", "aws_eks_cluster")["deletion_protection"] is False


@pytest.mark.parametrize("env", ENV_NAMES)
def test_cross_stack_wiring(synth: Synth, env: str) -> None:
    cluster_stack, network_stack = synth.stack(f"{env}-cluster"), synth.stack(f"{env}-network")
    assert synth.manifest["stacks"][f"{env}-cluster"]["dependencies"] == [f"{env}-network", f"{env}-storage"]
    remote = cluster_stack["data"]["terraform_remote_state"][f"cross-stack-reference-input-{env}-network"]
    backend = network_stack["terraform"]["backend"]["s3"]
    assert remote["backend"] == "s3"
    assert remote["config"] == {k: backend[k] for k in ("bucket", "key", "region", "encrypt", "kms_key_id")}
    # Every output the cluster reads exists in the network stack and points at the right subnet.
    subnets = network_stack["resource"]["aws_subnet"]
    for subnet_ref in one(synth, f"{env}-cluster", "aws_eks_node_group")["subnet_ids"]:
        output = subnet_ref.split(".outputs.")[1].rstrip("}")
        value = network_stack["output"][output]["value"]
        subnet_name = value.removeprefix("${aws_subnet.").removesuffix(".id}")
        assert subnets[subnet_name]["tags"]["platform/subnet-tier"] == "private"


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
    for name in ("prod-platform-ip-utilisation", "prod-platform-ipamd-errors", "prod-platform-eni-exhaustion"):
        assert alarms[name]["alarm_actions"] == [f"${{aws_sns_topic.{topic}.arn}}"]
    (dashboard,) = synth.resources(stack, "aws_cloudwatch_dashboard").values()
    titles = [w["properties"].get("title") for w in json.loads(dashboard["dashboard_body"])["widgets"]]
    assert "VPC CNI: assigned vs total IPs" in titles


def by_name(synth: Synth, stack: str, kind: str, name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, r) for k, r in synth.resources(stack, kind).items() if r.get("name") == name]
    return found


@pytest.mark.parametrize("env", ENV_NAMES)
def test_runner_in_the_private_subnets_may_reach_the_api_and_nothing_reaches_it(synth: Synth, env: str) -> None:
    stack = f"{env}-cluster"
    project_key, project = by_name(synth, stack, "aws_codebuild_project", f"{env}-platform-ci-runner")
    assert project["source"] == {"type": "GITHUB", "location": "https://github.com/example-org/eks-platform.git"}
    assert project["environment"]["privileged_mode"] is False
    vpc = project["vpc_config"]
    assert all("network_private-" in s for s in vpc["subnets"]) and len(vpc["subnets"]) == 3
    (group_ref,) = vpc["security_group_ids"]
    group_key = group_ref.removeprefix("${aws_security_group.").removesuffix(".id}")
    group = synth.resources(stack, "aws_security_group")[group_key]
    assert "ingress" not in group and "egress" not in group
    (egress,) = [
        r
        for r in synth.resources(stack, "aws_vpc_security_group_egress_rule").values()
        if group_key in r["security_group_id"]
    ]
    assert (egress["ip_protocol"], egress["from_port"], egress["to_port"]) == ("tcp", 443, 443)
    ingress = [r for r in synth.resources(stack, "aws_vpc_security_group_ingress_rule").values() if group_key in str(r)]
    (api,) = ingress  # the only rule naming the runner: into the cluster security group, never into the runner
    assert "cluster_security_group_id" in api["security_group_id"]
    assert (api["ip_protocol"], api["from_port"], api["to_port"]) == ("tcp", 443, 443)
    (hook,) = synth.resources(stack, "aws_codebuild_webhook").values()
    assert hook["project_name"] == f"${{aws_codebuild_project.{project_key}.name}}"
    assert hook["filter_group"] == [{"filter": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}]
    assert synth.stack(stack)["output"]["ci_runner_project"]["value"] == f"{env}-platform-ci-runner"
    log_group = synth.resources(stack, "aws_cloudwatch_log_group")
    assert any(
        g["name"] == f"/aws/codebuild/{env}-platform-ci-runner" and g.get("kms_key_id") for g in log_group.values()
    )


def test_runner_role_may_only_create_interfaces_in_its_subnets(synth: Synth) -> None:
    stack = "prod-cluster"
    _, role = by_name(synth, stack, "aws_iam_role", "prod-platform-ci-runner")
    (trust,) = resolve_policy(synth, stack, role["assume_role_policy"])["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["codebuild.amazonaws.com"]}]
    (policy,) = [p for p in synth.resources(stack, "aws_iam_role_policy").values() if "ci-runner" in p["role"]]
    statements = {s["sid"]: s for s in resolve_policy(synth, stack, policy["policy"])["statement"]}
    permission = statements["AttachToRunnerSubnets"]
    conditions = {c["variable"]: c["values"] for c in permission["condition"]}
    assert conditions["ec2:AuthorizedService"] == ["codebuild.amazonaws.com"]
    assert len(conditions["ec2:Subnet"]) == 3 and all("network_private-" in s for s in conditions["ec2:Subnet"])
    assert statements["RunnerNetworkInterfaces"]["resources"] != ["*"]
    assert json.dumps(statements["DescribeVpc"]["actions"]).count("Create") == 0


def test_controller_role_is_for_pod_identity(synth: Synth) -> None:
    stack = "prod-cluster"
    associations = synth.resources(stack, "aws_eks_pod_identity_association").values()
    (association,) = [a for a in associations if a["service_account"] == "karpenter"]
    assert (association["namespace"], association["service_account"]) == ("kube-system", "karpenter")
    role_name = association["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
    role = synth.resources(stack, "aws_iam_role")[role_name]
    (trust,) = resolve_policy(synth, stack, role["assume_role_policy"])["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}]
    assert sorted(trust["actions"]) == ["sts:AssumeRole", "sts:TagSession"]
    entries = [e for e in synth.resources(stack, "aws_eks_access_entry").values() if e.get("type") == "EC2_LINUX"]
    assert len(entries) == 1 and entries[0]["principal_arn"].startswith("${aws_iam_role.karpenter_node-role_")
