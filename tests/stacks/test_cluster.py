"""`E-cluster`: the control plane, its access entries, logging, alarms and protection."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modules.observability.container_insights import ADDON
from planning.control_plane_filters import FILTERS
from tests.conftest import ENV_NAMES, Synth, resolve_policy
from tests.stacks.cluster_helpers import ALL_LOG_TYPES, one, ref_of


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


@pytest.mark.parametrize("env", ENV_NAMES)
def test_upgrade_policy_is_explicit(synth: Synth, env: str) -> None:
    """EKS's own default is EXTENDED (paid); the default here, STANDARD, is written out
    (EXTENDED where the config asks: tests/test_user_edits.py)."""
    cluster = one(synth, f"{env}-cluster", "aws_eks_cluster")
    assert cluster["upgrade_policy"] == {"support_type": "STANDARD"}


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


def test_zonal_shift_on_in_production_or_where_configured(synth: Synth) -> None:
    enabled = {env: one(synth, f"{env}-cluster", "aws_eks_cluster")["zonal_shift_config"] for env in ENV_NAMES}
    assert enabled == {"dev": {"enabled": False}, "staging": {"enabled": True}, "prod": {"enabled": True}}


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
def test_container_insights_only_where_switched_on(synth: Synth, env: str) -> None:
    stack = f"{env}-cluster"
    addons = [a for a in synth.resources(stack, "aws_eks_addon").values() if a["addon_name"] == ADDON]
    groups = [
        g for g in synth.resources(stack, "aws_cloudwatch_log_group").values() if "/containerinsights/" in g["name"]
    ]
    if env != "prod":
        assert addons == [] and groups == []
        return
    (addon,) = addons
    (association,) = addon["pod_identity_association"]
    assert association["service_account"] == "cloudwatch-agent"
    role_key = association["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
    assert synth.resources(stack, "aws_iam_role")[role_key]["name"] == "prod-platform-container-insights"
    attached = [
        a["policy_arn"].rsplit("/", 1)[1]
        for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
        if a["role"] == f"${{aws_iam_role.{role_key}.name}}"
    ]
    assert sorted(attached) == ["AWSXrayWriteOnlyAccess", "CloudWatchAgentServerPolicy"]
    # Our groups, encrypted and expiring, exist before the agent could create its own.
    logs_key = ref_of(synth, stack, "aws_kms_key", "logs-kms/key", "arn")
    assert sorted(g["name"] for g in groups) == [
        f"/aws/containerinsights/prod-platform/{kind}" for kind in ("application", "dataplane", "host", "performance")
    ]
    assert all(g["retention_in_days"] == 365 and g["kms_key_id"] == logs_key for g in groups)
    group_addresses = {
        f"aws_cloudwatch_log_group.{name}"
        for name, g in synth.resources(stack, "aws_cloudwatch_log_group").items()
        if "/containerinsights/" in g["name"]
    }
    assert group_addresses <= set(addon["depends_on"])
    assert any(d.startswith("aws_eks_node_group.") for d in addon["depends_on"])
