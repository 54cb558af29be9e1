"""Karpenter's AWS side (in `E-cluster`): the controller's IAM role for EKS Pod
Identity with the six policies of Karpenter's getting-started template, the
node role and its access entry, and the interruption queue with the five
EventBridge rules that feed it.

The policy statements follow Karpenter 1.14.1's `cloudformation.yaml` statement
by statement (tests/conformance/test_karpenter_iam.py compares them), written as
structured documents instead of JSON strings.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.ec2_tag import Ec2Tag
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.iam import (
    ServiceAccount,
    Statement,
    deny_insecure_transport,
    pod_identity_role,
    policy_document,
    service_role,
)
from modules.conventions import KARPENTER_DISCOVERY_TAG, NODE_POLICIES
from modules.karpenter.policies import PolicyContext, controller_policies

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"

# EventBridge rules of the upstream template: (rule id, source, detail-type).
INTERRUPTION_EVENTS: tuple[tuple[str, str, str], ...] = (
    ("health", "aws.health", "AWS Health Event"),
    ("spot-interruption", "aws.ec2", "EC2 Spot Instance Interruption Warning"),
    ("rebalance", "aws.ec2", "EC2 Instance Rebalance Recommendation"),
    ("instance-state-change", "aws.ec2", "EC2 Instance State-change Notification"),
    ("capacity-reservation-interruption", "aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"),
)


class KarpenterAws(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        cluster: ClusterHandle,
    ) -> None:
        super().__init__(scope, id_)
        # EC2NodeClasses select security groups by this tag: the cluster security
        # group EKS creates is the one nodes need.
        Ec2Tag(
            self,
            "cluster-sg-discovery",
            resource_id=cluster.security_group_id,
            key=KARPENTER_DISCOVERY_TAG,
            value=cluster.name,
        )
        self.node_role = service_role(
            self,
            "node-role",
            name=f"KarpenterNodeRole-{cluster.name}",
            service="ec2.amazonaws.com",
            partition=cluster.account.partition,
            managed_policies=NODE_POLICIES,
        ).role
        # Nodes Karpenter launches join the cluster through this access entry.
        EksAccessEntry(
            self, "node-access", cluster_name=cluster.name_ref, principal_arn=self.node_role.arn, type="EC2_LINUX"
        )

        self.queue = SqsQueue(
            self,
            "interruption-queue",
            name=cluster.name,
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
        )
        queue_policy = policy_document(
            self,
            "interruption-queue-policy-document",
            [
                Statement(
                    sid="EventBridgeAndSqsSend",
                    actions=["sqs:SendMessage"],
                    resources=[self.queue.arn],
                    principals=[("Service", ["events.amazonaws.com", "sqs.amazonaws.com"])],
                ),
                deny_insecure_transport([self.queue.arn], ["sqs:*"]),
            ],
        )
        SqsQueuePolicy(self, "interruption-queue-policy", queue_url=self.queue.url, policy=queue_policy.json)
        for rule_id, source, detail_type in INTERRUPTION_EVENTS:
            rule = CloudwatchEventRule(
                self,
                f"rule-{rule_id}",
                name=f"{cluster.name}-karpenter-{rule_id}",
                description=f"Karpenter interruption handling: {detail_type}",
                event_pattern=json.dumps({"source": [source], "detail-type": [detail_type]}),
            )
            CloudwatchEventTarget(
                self,
                f"target-{rule_id}",
                rule=rule.name,
                arn=self.queue.arn,
                target_id="KarpenterInterruptionQueueTarget",
            )

        self.controller_role = pod_identity_role(
            self,
            "controller-role",
            name=f"KarpenterController-{cluster.name}",
            partition=cluster.account.partition,
            bind_to=ServiceAccount(cluster.name_ref, NAMESPACE, SERVICE_ACCOUNT),
        )
        context = PolicyContext(
            partition=cluster.account.partition,
            region=cluster.account.region,
            account_id=cluster.account.account_id,
            cluster_name=cluster.name,
            node_role_arn=self.node_role.arn,
            queue_arn=self.queue.arn,
        )
        for policy_name, statements in controller_policies(context).items():
            document = policy_document(self, f"{policy_name}-document", statements)
            policy = IamPolicy(
                self, policy_name, name=f"KarpenterController{policy_name}-{cluster.name}", policy=document.json
            )
            IamRolePolicyAttachment(
                self, f"{policy_name}-attachment", role=self.controller_role.name, policy_arn=policy.arn
            )
        self.queue_name = self.queue.name
        self.node_role_name = self.node_role.name
