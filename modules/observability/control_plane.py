"""Control-plane logs turned into metrics, alarms, saved queries and a dashboard.

One metric filter per entry of planning/control_plane_filters.py whose log type
is enabled (a filter on a log type that is not shipped would alarm on nothing),
each with an alarm to a KMS-encrypted SNS topic and a Logs Insights query.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.cloudwatch_query_definition import CloudwatchQueryDefinition
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.iam import Condition, Statement, deny_insecure_transport, policy_document
from modules.base.kms import EncryptionKey
from planning.control_plane_filters import FILTERS, ControlPlaneFilter

NAMESPACE_PREFIX = "EKS/ControlPlane"


@dataclass(frozen=True)
class ObservabilitySettings:
    """Configuration of the control plane's metric filters, alarms, saved queries and dashboard."""

    log_group_name: str
    """The control-plane log group the metric filters and saved queries read."""
    log_types: Sequence[str]
    """The control-plane log types EKS ships: only filters on these are created."""
    thresholds: Mapping[str, int]
    """Alarm thresholds by filter name; a filter not named keeps its default threshold."""
    period_seconds: int
    """Alarm (and dashboard) period, in seconds."""
    evaluation_periods: int
    """Periods an alarm evaluates."""
    alarm_email: str | None = None
    """Address subscribed to the alarm topic. Default: None (no subscription)."""
    protect: bool = False
    """`prevent_destroy` on the alarm topic's KMS key. Default: False."""
    extra_widgets: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    """Dashboard widgets other modules contribute (CloudWatch dashboard body JSON). Default: none."""


def active_filters(log_types: Sequence[str]) -> list[ControlPlaneFilter]:
    return [f for f in FILTERS if f.log_type in log_types]


def metric_namespace(cluster_name: str) -> str:
    return f"{NAMESPACE_PREFIX}/{cluster_name}"


class ControlPlaneObservability(Construct):
    def __init__(self, scope: Construct, id_: str, settings: ObservabilitySettings, *, cluster: ClusterHandle) -> None:
        super().__init__(scope, id_)
        s, account = settings, cluster.account
        key = EncryptionKey(
            self,
            "alarms-kms",
            account=account,
            alias=f"{cluster.name}-alarms",
            description=f"Alarm notifications of {cluster.name}",
            service_statements=[
                Statement(
                    sid="CloudWatchAlarmsPublish",
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[("Service", ["cloudwatch.amazonaws.com"])],
                    conditions=[Condition("StringEquals", "aws:SourceAccount", [account.account_id])],
                )
            ],
            protect=s.protect,
        )
        self.topic = SnsTopic(self, "alarms", name=f"{cluster.name}-alarms", kms_master_key_id=key.arn)
        topic_policy = policy_document(
            self,
            "alarms-policy",
            [
                Statement(
                    sid="CloudWatchAlarmsPublish",
                    actions=["sns:Publish"],
                    resources=[self.topic.arn],
                    principals=[("Service", ["cloudwatch.amazonaws.com"])],
                    conditions=[Condition("StringEquals", "aws:SourceAccount", [account.account_id])],
                ),
                deny_insecure_transport([self.topic.arn], ["sns:Publish"]),
            ],
        )
        SnsTopicPolicy(self, "alarms-topic-policy", arn=self.topic.arn, policy=topic_policy.json)
        if s.alarm_email:
            SnsTopicSubscription(
                self, "alarms-email", topic_arn=self.topic.arn, protocol="email", endpoint=s.alarm_email
            )

        namespace = metric_namespace(cluster.name)
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        for f in active_filters(s.log_types):
            metric_filter = CloudwatchLogMetricFilter(
                self,
                f"filter-{f.name}",
                name=f"{cluster.name}-{f.name}",
                log_group_name=s.log_group_name,
                pattern=f.pattern,
                metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                    name=f.name, namespace=namespace, value="1", default_value="0", unit="Count"
                ),
            )
            self.alarms[f.name] = CloudwatchMetricAlarm(
                self,
                f"alarm-{f.name}",
                alarm_name=f"{cluster.name}-{f.name}",
                alarm_description=f"{f.catches}. Investigate with the saved query {cluster.name}/{f.name}.",
                namespace=namespace,
                metric_name=f.name,
                statistic="Sum",
                period=s.period_seconds,
                evaluation_periods=s.evaluation_periods,
                threshold=s.thresholds.get(f.name, f.default_threshold),
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                depends_on=[metric_filter],
            )
            CloudwatchQueryDefinition(
                self,
                f"query-{f.name}",
                name=f"{cluster.name}/{f.name}",
                log_group_names=[s.log_group_name],
                query_string=f.query,
            )

        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=f"{cluster.name}-control-plane",
            dashboard_body=json.dumps({"widgets": self._widgets(s, namespace, cluster.region)}, sort_keys=True),
        )
        self.topic_arn = self.topic.arn
        self.dashboard_name = self.dashboard.dashboard_name

    def _widgets(self, s: ObservabilitySettings, namespace: str, region: str) -> list[Mapping[str, Any]]:
        widgets: list[Mapping[str, Any]] = [
            {
                "type": "alarm",
                "x": 0,
                "y": 0,
                "width": 24,
                "height": 4,
                "properties": {"title": "Control-plane alarms", "alarms": [a.arn for a in self.alarms.values()]},
            }
        ]
        for index, name in enumerate(self.alarms):
            widgets.append(
                {
                    "type": "metric",
                    "x": (index % 3) * 8,
                    "y": 4 + (index // 3) * 6,
                    "width": 8,
                    "height": 6,
                    "properties": {
                        "title": name,
                        "region": region,
                        "stat": "Sum",
                        "period": s.period_seconds,
                        "metrics": [[namespace, name]],
                    },
                }
            )
        return widgets + list(s.extra_widgets)
