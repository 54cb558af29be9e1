"""The CNI Metrics Helper: publishes the VPC CNI's IP inventory to CloudWatch
(namespace `Kubernetes`, dimension `CLUSTER_ID`), and the alarms that warn
before subnets run out of addresses.

AWS side (`E-cluster`): a Pod Identity role whose only permission is
`cloudwatch:PutMetricData` into that namespace, the alarms and dashboard panels.
Kubernetes side (`E-addons`): the Helm release, on the system node group.

Missing data: the helper publishes every metric at each interval, so no data means
the helper stopped. The heartbeat alarm turns that into ALARM (missing counts as
breaching); the other alarms go to INSUFFICIENT_DATA then ("missing"), never to a
healthy-looking OK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from modules.base.charts import helm_release
from modules.base.cluster import ClusterHandle
from modules.base.iam import Condition, ServiceAccount, Statement, pod_identity_role, policy_document
from modules.conventions import CRITICAL_ADDONS_TAINT, SYSTEM_NODE_LABEL
from planning.pins import CNI_METRICS_HELPER

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cni-metrics-helper"
METRICS_NAMESPACE = "Kubernetes"


def helper_values(cluster_name: str, region: str) -> dict[str, Any]:
    return {
        # AWS_CLUSTER_ID left empty makes the helper ask instance metadata, which
        # IMDSv2 with hop limit 1 denies to pods: it must be set.
        "env": {"USE_CLOUDWATCH": "true", "AWS_CLUSTER_ID": cluster_name},
        "image": {"region": region},
        "serviceAccount": {"name": SERVICE_ACCOUNT},
        "nodeSelector": {SYSTEM_NODE_LABEL[0]: SYSTEM_NODE_LABEL[1]},
        "tolerations": [{"key": CRITICAL_ADDONS_TAINT, "operator": "Exists"}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
    }


def cni_metrics_helper_release(
    scope: Construct, cluster_name: str, region: str, *, after: Sequence[ITerraformDependable] = ()
) -> Release:
    return helm_release(
        scope,
        "cni-metrics-helper",
        CNI_METRICS_HELPER,
        NAMESPACE,
        helper_values(cluster_name, region),
        after=after,
    )


@dataclass(frozen=True)
class CniAlarmSettings:
    """Configuration of the alarms on the VPC CNI's IP inventory."""

    topic_arn: str
    """The SNS topic the alarms notify."""
    utilisation_percent: int
    """Utilisation, in %, above which the IP and ENI alarms fire."""
    period_seconds: int
    """Alarm period, in seconds."""
    evaluation_periods: int
    """Periods an alarm evaluates."""


def _metric(query_id: str, name: str, s: CniAlarmSettings, cluster_name: str) -> CloudwatchMetricAlarmMetricQuery:
    return CloudwatchMetricAlarmMetricQuery(
        id=query_id,
        metric=CloudwatchMetricAlarmMetricQueryMetric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions={"CLUSTER_ID": cluster_name},
            period=s.period_seconds,
            stat="Maximum",
        ),
        return_data=False,
    )


def _ratio_alarm(
    scope: Construct, id_: str, s: CniAlarmSettings, cluster_name: str, used: str, total: str, description: str
) -> CloudwatchMetricAlarm:
    return CloudwatchMetricAlarm(
        scope,
        id_,
        alarm_name=f"{cluster_name}-{id_}",
        alarm_description=description,
        comparison_operator="GreaterThanThreshold",
        threshold=s.utilisation_percent,
        evaluation_periods=s.evaluation_periods,
        # No data: the helper stopped (the heartbeat alarms); not "utilisation is fine".
        treat_missing_data="missing",
        alarm_actions=[s.topic_arn],
        ok_actions=[s.topic_arn],
        metric_query=[
            _metric("used", used, s, cluster_name),
            _metric("total", total, s, cluster_name),
            CloudwatchMetricAlarmMetricQuery(
                id="utilisation", expression="100 * used / total", label=f"{used} / {total} (%)", return_data=True
            ),
        ],
    )


class CniMetricsHelperAws(Construct):
    def __init__(self, scope: Construct, id_: str, settings: CniAlarmSettings, *, cluster: ClusterHandle) -> None:
        super().__init__(scope, id_)
        s = settings
        role = pod_identity_role(
            self,
            "role",
            name=f"{cluster.name}-cni-metrics-helper",
            partition=cluster.partition,
            bind_to=ServiceAccount(cluster.name_ref, NAMESPACE, SERVICE_ACCOUNT),
        )
        put_metrics = policy_document(
            self,
            "put-metrics",
            [
                Statement(
                    sid="PutCniMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    # PutMetricData has no resource ARN; the namespace condition is the limit.
                    conditions=[Condition("StringEquals", "cloudwatch:namespace", [METRICS_NAMESPACE])],
                )
            ],
        )
        IamRolePolicy(self, "policy", role=role.id, policy=put_metrics.json)
        self.alarms = [
            _ratio_alarm(
                self,
                "ip-utilisation",
                s,
                cluster.name,
                "assignIPAddresses",
                "totalIPAddresses",
                f"Pods hold more than {s.utilisation_percent}% of the IPs the CNI has allocated: nodes or subnets are running out",
            ),
            _ratio_alarm(
                self,
                "eni-exhaustion",
                s,
                cluster.name,
                "eniAllocated",
                "eniMaxAvailable",
                f"More than {s.utilisation_percent}% of the ENIs nodes can attach are in use: IP capacity is nearly exhausted",
            ),
            CloudwatchMetricAlarm(
                self,
                "ipamd-errors",
                alarm_name=f"{cluster.name}-ipamd-errors",
                alarm_description="The CNI's IP address manager reports errors (failed allocations, EC2 API errors)",
                namespace=METRICS_NAMESPACE,
                metric_name="ipamdErr",
                dimensions={"CLUSTER_ID": cluster.name},
                statistic="Maximum",
                period=s.period_seconds,
                evaluation_periods=s.evaluation_periods,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
                # Published (0 included) at every interval: no data is a dead helper, not "no errors".
                treat_missing_data="missing",
                alarm_actions=[s.topic_arn],
                ok_actions=[s.topic_arn],
            ),
            CloudwatchMetricAlarm(
                self,
                "helper-heartbeat",
                alarm_name=f"{cluster.name}-cni-metrics-helper-heartbeat",
                alarm_description="The CNI Metrics Helper stopped publishing (totalIPAddresses has no data): the IP "
                "alarms are blind",
                namespace=METRICS_NAMESPACE,
                metric_name="totalIPAddresses",
                dimensions={"CLUSTER_ID": cluster.name},
                statistic="SampleCount",
                period=s.period_seconds,
                evaluation_periods=s.evaluation_periods,
                threshold=1,
                comparison_operator="LessThanThreshold",
                # The heartbeat: published at every interval, so missing data is the failure.
                treat_missing_data="breaching",
                alarm_actions=[s.topic_arn],
                ok_actions=[s.topic_arn],
            ),
        ]


def dashboard_widgets(cluster_name: str, region: str, period: int) -> list[Mapping[str, Any]]:
    def metric(title: str, names: list[str], y: int, x: int) -> Mapping[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "stat": "Maximum",
                "period": period,
                "metrics": [[METRICS_NAMESPACE, n, "CLUSTER_ID", cluster_name] for n in names],
            },
        }

    return [
        metric("VPC CNI: assigned vs total IPs", ["assignIPAddresses", "totalIPAddresses", "maxIPAddresses"], 100, 0),
        metric("VPC CNI: ENIs and ipamd errors", ["eniAllocated", "eniMaxAvailable", "ipamdErr"], 100, 12),
    ]
