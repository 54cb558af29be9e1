"""modules/observability: control-plane metric filters, alarms, saved queries, dashboard and
the encrypted alarm topic; the CNI Metrics Helper's role and IP alarms; Container Insights;
the VPA recommender's values; as cdktf unit tests."""

from __future__ import annotations

import json

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.observability.cni_metrics import CniAlarmSettings, CniMetricsHelperAws, dashboard_widgets, helper_values
from modules.observability.container_insights import ContainerInsights, ContainerInsightsSettings
from modules.observability.control_plane import ControlPlaneObservability, ObservabilitySettings, active_filters
from modules.observability.right_sizing import VpaRecommenderSettings, vpa_recommender_values
from planning.control_plane_filters import FILTERS
from tests.modules.helpers import CLUSTER, REGION, Doc, cluster_handle, named, only, parse, ref, resources, statements

LOG_GROUP = "/aws/eks/demo/cluster"
LOG_TYPES = ["api", "audit"]
LOGS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/logs"
EXTRA_WIDGET = {"type": "text", "x": 0, "y": 50, "width": 6, "height": 2, "properties": {"markdown": "runbook"}}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> str:
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("observability"))), "observability")
    AwsProvider(stack, "aws", region=REGION)
    cluster = cluster_handle(stack)
    settings = ObservabilitySettings(
        log_group_name=LOG_GROUP,
        log_types=LOG_TYPES,
        thresholds={"Forbidden403": 7},
        period_seconds=300,
        evaluation_periods=2,
        alarm_email="oncall@example.com",
        protect=True,
        extra_widgets=[EXTRA_WIDGET],
    )
    observability = ControlPlaneObservability(stack, "observability", settings, cluster=cluster)
    alarms = CniAlarmSettings(
        topic_arn=observability.topic_arn, utilisation_percent=80, period_seconds=300, evaluation_periods=2
    )
    CniMetricsHelperAws(stack, "cni-metrics-helper", alarms, cluster=cluster)
    return Testing.synth(stack)


def topic_arn(doc: Doc) -> str:
    name, _ = only(doc, "aws_sns_topic")
    return ref("aws_sns_topic", name, "arn")


def test_alarm_topic_encrypted_publishable_by_cloudwatch_only_over_tls(synthesized: str) -> None:
    doc = parse(synthesized)
    key_name, key = only(doc, "aws_kms_key")
    assert Testing.to_have_resource_with_properties(
        synthesized, "aws_sns_topic", {"name": "demo-alarms", "kms_master_key_id": ref("aws_kms_key", key_name, "arn")}
    )
    assert key["enable_key_rotation"] is True and key["lifecycle"] == {"prevent_destroy": True}
    key_users = statements(doc, key["policy"])["CloudWatchAlarmsPublish"]
    assert key_users["principals"] == [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}]
    assert key_users["actions"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    _, topic_policy = only(doc, "aws_sns_topic_policy")
    granted = statements(doc, topic_policy["policy"])
    publish = granted["CloudWatchAlarmsPublish"]
    assert publish["actions"] == ["sns:Publish"] and publish["resources"] == [topic_arn(doc)]
    assert publish["condition"][0]["variable"] == "aws:SourceAccount"
    assert granted["DenyInsecureTransport"]["effect"] == "Deny"
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_sns_topic_subscription",
        {"protocol": "email", "endpoint": "oncall@example.com", "topic_arn": topic_arn(doc)},
    )


def test_one_filter_alarm_and_query_per_filter_of_a_shipped_log_type(synthesized: str) -> None:
    expected = active_filters(LOG_TYPES)
    assert 0 < len(expected) < len(FILTERS)  # authenticator filters left out: that log type is not shipped
    doc = parse(synthesized)
    filters = {
        f["metric_transformation"]["name"]: f for f in resources(doc, "aws_cloudwatch_log_metric_filter").values()
    }
    alarms = {
        a["metric_name"]: a
        for a in resources(doc, "aws_cloudwatch_metric_alarm").values()
        if a.get("namespace") == "EKS/ControlPlane/demo"
    }
    queries = {q["name"]: q for q in resources(doc, "aws_cloudwatch_query_definition").values()}
    assert set(filters) == set(alarms) == {f.name for f in expected}
    assert set(queries) == {f"demo/{f.name}" for f in expected}
    for f in expected:
        assert filters[f.name]["log_group_name"] == LOG_GROUP and filters[f.name]["pattern"] == f.pattern
        assert filters[f.name]["metric_transformation"] == {
            "name": f.name,
            "namespace": "EKS/ControlPlane/demo",
            "value": "1",
            "default_value": "0",
            "unit": "Count",
        }
        alarm = alarms[f.name]
        assert alarm["threshold"] == (7 if f.name == "Forbidden403" else f.default_threshold)
        assert (alarm["statistic"], alarm["period"], alarm["evaluation_periods"]) == ("Sum", 300, 2)
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [topic_arn(doc)]
        assert alarm["treat_missing_data"] == "notBreaching"
        filter_name, _ = named(doc, "aws_cloudwatch_log_metric_filter", f"filter-{f.name}")
        assert alarm["depends_on"] == [f"aws_cloudwatch_log_metric_filter.{filter_name}"]
        assert queries[f"demo/{f.name}"]["log_group_names"] == [LOG_GROUP]
        assert queries[f"demo/{f.name}"]["query_string"] == f.query


def test_dashboard_shows_every_alarm_and_the_extra_widgets(synthesized: str) -> None:
    doc = parse(synthesized)
    _, dashboard = only(doc, "aws_cloudwatch_dashboard")
    assert dashboard["dashboard_name"] == "demo-control-plane"
    widgets = json.loads(dashboard["dashboard_body"])["widgets"]
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    control_plane_alarms = {
        ref("aws_cloudwatch_metric_alarm", n, "arn")
        for n, a in resources(doc, "aws_cloudwatch_metric_alarm").items()
        if a.get("namespace") == "EKS/ControlPlane/demo"
    }
    assert set(alarm_widget["properties"]["alarms"]) == control_plane_alarms
    metrics = [w["properties"]["metrics"] for w in widgets if w["type"] == "metric"]
    assert metrics == [[["EKS/ControlPlane/demo", f.name]] for f in active_filters(LOG_TYPES)]
    assert widgets[-1] == EXTRA_WIDGET


def test_cni_metrics_helper_may_only_put_metrics_in_its_namespace(synthesized: str) -> None:
    doc = parse(synthesized)
    role_name, role = named(doc, "aws_iam_role", "role")
    assert role["name"] == "demo-cni-metrics-helper"
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_eks_pod_identity_association",
        {
            "cluster_name": CLUSTER,
            "namespace": "kube-system",
            "service_account": "cni-metrics-helper",
            "role_arn": ref("aws_iam_role", role_name, "arn"),
        },
    )
    _, policy = only(doc, "aws_iam_role_policy")
    assert policy["role"] == ref("aws_iam_role", role_name, "id")
    (statement,) = statements(doc, policy["policy"]).values()
    assert statement["actions"] == ["cloudwatch:PutMetricData"]
    assert statement["condition"] == [
        {"test": "StringEquals", "variable": "cloudwatch:namespace", "values": ["Kubernetes"]}
    ]


def test_ip_alarms_on_the_alarm_topic(synthesized: str) -> None:
    doc = parse(synthesized)
    alarms = {a["alarm_name"]: a for a in resources(doc, "aws_cloudwatch_metric_alarm").values()}
    for name in ("demo-ip-utilisation", "demo-eni-exhaustion", "demo-ipamd-errors"):
        assert alarms[name]["alarm_actions"] == alarms[name]["ok_actions"] == [topic_arn(doc)]
    utilisation = alarms["demo-ip-utilisation"]
    assert utilisation["threshold"] == 80 and utilisation["comparison_operator"] == "GreaterThanThreshold"
    queries = {q["id"]: q for q in utilisation["metric_query"]}
    assert queries["utilisation"] == {
        "id": "utilisation",
        "expression": "100 * used / total",
        "label": "assignIPAddresses / totalIPAddresses (%)",
        "return_data": True,
    }
    assert queries["used"]["metric"] == {
        "namespace": "Kubernetes",
        "metric_name": "assignIPAddresses",
        "dimensions": {"CLUSTER_ID": CLUSTER},
        "period": 300,
        "stat": "Maximum",
    }
    assert queries["total"]["metric"]["metric_name"] == "totalIPAddresses"
    assert queries["used"]["return_data"] is False
    errors = alarms["demo-ipamd-errors"]
    assert (errors["metric_name"], errors["threshold"], errors["dimensions"]) == (
        "ipamdErr",
        0,
        {"CLUSTER_ID": CLUSTER},
    )


def test_cni_alarms_never_read_a_silent_helper_as_healthy(synthesized: str) -> None:
    doc = parse(synthesized)
    alarms = {a["alarm_name"]: a for a in resources(doc, "aws_cloudwatch_metric_alarm").values()}
    heartbeat = alarms["demo-cni-metrics-helper-heartbeat"]
    assert {k: heartbeat[k] for k in ("metric_name", "statistic", "comparison_operator", "threshold")} == {
        "metric_name": "totalIPAddresses",
        "statistic": "SampleCount",
        "comparison_operator": "LessThanThreshold",
        "threshold": 1,
    }
    assert heartbeat["treat_missing_data"] == "breaching"
    assert heartbeat["namespace"] == "Kubernetes" and heartbeat["dimensions"] == {"CLUSTER_ID": CLUSTER}
    assert heartbeat["alarm_actions"] == heartbeat["ok_actions"] == [topic_arn(doc)]
    for name in ("demo-ip-utilisation", "demo-eni-exhaustion", "demo-ipamd-errors"):
        assert alarms[name]["treat_missing_data"] == "missing", name


def test_cni_metrics_helper_values_and_widgets() -> None:
    values = helper_values(CLUSTER, REGION)
    # Set, or the helper asks instance metadata, which IMDSv2 with hop limit 1 denies to pods.
    assert values["env"] == {"USE_CLOUDWATCH": "true", "AWS_CLUSTER_ID": CLUSTER}
    assert values["nodeSelector"] == {"eks-platform/node-group": "system"}
    assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    assert values["resources"]["requests"] == {"cpu": "50m", "memory": "64Mi"}
    widgets = dashboard_widgets(CLUSTER, REGION, 300)
    assert [w["properties"]["title"] for w in widgets] == [
        "VPC CNI: assigned vs total IPs",
        "VPC CNI: ENIs and ipamd errors",
    ]
    assert widgets[0]["properties"]["metrics"][0] == ["Kubernetes", "assignIPAddresses", "CLUSTER_ID", CLUSTER]


def test_vpa_recommender_only_advises_from_the_system_nodes() -> None:
    values = vpa_recommender_values(VpaRecommenderSettings(memory="1Gi"))
    assert values["updater"] == {"enabled": False}
    assert values["admissionController"] == {"enabled": False}
    recommender = values["recommender"]
    assert recommender["nodeSelector"] == {"eks-platform/node-group": "system"}
    assert recommender["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    assert recommender["resources"] == {
        "requests": {"cpu": "50m", "memory": "1Gi"},
        "limits": {"cpu": "200m", "memory": "1Gi"},
    }
    assert recommender["extraArgs"] == {"v": "2"}
    security = recommender["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}


@pytest.fixture(scope="module")
def insights(tmp_path_factory: pytest.TempPathFactory) -> str:
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("insights"))), "insights")
    AwsProvider(stack, "aws", region=REGION)
    settings = ContainerInsightsSettings(
        kubernetes_version="1.34", pinned_versions={}, log_retention_days=90, kms_key_arn=LOGS_KEY, protect=True
    )
    ContainerInsights(stack, "container-insights", settings, cluster=cluster_handle(stack), depends_on=[])
    return Testing.synth(stack)


def test_container_insights_logs_in_our_encrypted_expiring_groups_first(insights: str) -> None:
    doc = parse(insights)
    groups = resources(doc, "aws_cloudwatch_log_group")
    assert sorted(g["name"] for g in groups.values()) == [
        f"/aws/containerinsights/{CLUSTER}/{kind}" for kind in ("application", "dataplane", "host", "performance")
    ]
    for group in groups.values():
        assert group["retention_in_days"] == 90 and group["kms_key_id"] == LOGS_KEY
        assert group["lifecycle"] == {"prevent_destroy": True}
    _, addon = only(doc, "aws_eks_addon")
    assert addon["depends_on"] == [f"aws_cloudwatch_log_group.{name}" for name in groups]


def test_container_insights_agent_bound_by_pod_identity(insights: str) -> None:
    doc = parse(insights)
    role_name, role = only(doc, "aws_iam_role")
    association = {"service_account": "cloudwatch-agent", "role_arn": ref("aws_iam_role", role_name, "arn")}
    addon = {"addon_name": "amazon-cloudwatch-observability", "cluster_name": CLUSTER}
    assert Testing.to_have_resource_with_properties(
        insights, "aws_eks_addon", {**addon, "pod_identity_association": [association]}
    )
    trust = statements(doc, role["assume_role_policy"])["ServiceAssumes"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}]
    attached = [a["policy_arn"].rsplit("/", 1)[1] for a in resources(doc, "aws_iam_role_policy_attachment").values()]
    assert sorted(attached) == ["AWSXrayWriteOnlyAccess", "CloudWatchAgentServerPolicy"]
