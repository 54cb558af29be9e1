"""The Karpenter controller's IAM policies: the six documents of Karpenter
1.14.1's getting-started `cloudformation.yaml`, statement by statement
(tests/conformance/test_karpenter_iam.py compares them with upstream), as structured
statements instead of JSON strings."""

from __future__ import annotations

from dataclasses import dataclass

from modules.base.iam import Condition, Statement


@dataclass(frozen=True)
class PolicyContext:
    partition: str
    region: str
    account_id: str
    cluster_name: str
    node_role_arn: str
    queue_arn: str


def _owned(prefix: str, cluster: str) -> Condition:
    return Condition("StringEquals", f"aws:{prefix}/kubernetes.io/cluster/{cluster}", ["owned"])


def controller_policies(c: PolicyContext) -> dict[str, list[Statement]]:
    """The six controller policies, by the upstream template's policy name."""
    ec2 = f"arn:{c.partition}:ec2:{c.region}"
    profile = f"arn:{c.partition}:iam::{c.account_id}:instance-profile/*"
    cluster_arn = f"arn:{c.partition}:eks:{c.region}:{c.account_id}:cluster/{c.cluster_name}"
    tagged_resources = [
        f"{ec2}:*:{kind}/*"
        for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")
    ]
    nodepool_on_resource = Condition("StringLike", "aws:ResourceTag/karpenter.sh/nodepool", ["*"])
    nodepool_in_request = Condition("StringLike", "aws:RequestTag/karpenter.sh/nodepool", ["*"])
    cluster_name_in_request = Condition("StringEquals", "aws:RequestTag/eks:eks-cluster-name", [c.cluster_name])
    region_on_resource = Condition("StringEquals", "aws:ResourceTag/topology.kubernetes.io/region", [c.region])
    region_in_request = Condition("StringEquals", "aws:RequestTag/topology.kubernetes.io/region", [c.region])
    nodeclass_on_resource = Condition("StringLike", "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass", ["*"])
    nodeclass_in_request = Condition("StringLike", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass", ["*"])
    return {
        "NodeLifecyclePolicy": [
            Statement(
                sid="AllowScopedEC2InstanceAccessActions",
                actions=["ec2:RunInstances", "ec2:CreateFleet"],
                resources=[
                    f"{ec2}::image/*",
                    f"{ec2}::snapshot/*",
                    f"{ec2}:*:security-group/*",
                    f"{ec2}:*:subnet/*",
                    f"{ec2}:*:capacity-reservation/*",
                    f"{ec2}:*:placement-group/*",
                ],
            ),
            Statement(
                sid="AllowScopedEC2LaunchTemplateAccessActions",
                actions=["ec2:RunInstances", "ec2:CreateFleet"],
                resources=[f"{ec2}:*:launch-template/*"],
                conditions=[_owned("ResourceTag", c.cluster_name), nodepool_on_resource],
            ),
            Statement(
                sid="AllowScopedEC2InstanceActionsWithTags",
                actions=["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                resources=tagged_resources,
                conditions=[_owned("RequestTag", c.cluster_name), cluster_name_in_request, nodepool_in_request],
            ),
            Statement(
                sid="AllowScopedResourceCreationTagging",
                actions=["ec2:CreateTags"],
                resources=tagged_resources,
                conditions=[
                    _owned("RequestTag", c.cluster_name),
                    cluster_name_in_request,
                    Condition(
                        "StringEquals", "ec2:CreateAction", ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]
                    ),
                    nodepool_in_request,
                ],
            ),
            Statement(
                sid="AllowScopedResourceTagging",
                actions=["ec2:CreateTags"],
                resources=[f"{ec2}:*:instance/*"],
                conditions=[
                    _owned("ResourceTag", c.cluster_name),
                    nodepool_on_resource,
                    Condition("StringEqualsIfExists", "aws:RequestTag/eks:eks-cluster-name", [c.cluster_name]),
                    Condition(
                        "ForAllValues:StringEquals",
                        "aws:TagKeys",
                        ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"],
                    ),
                ],
            ),
            Statement(
                sid="AllowScopedDeletion",
                actions=["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                resources=[f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
                conditions=[_owned("ResourceTag", c.cluster_name), nodepool_on_resource],
            ),
        ],
        "IAMIntegrationPolicy": [
            Statement(
                sid="AllowPassingInstanceRole",
                actions=["iam:PassRole"],
                resources=[c.node_role_arn],
                conditions=[
                    Condition("StringEquals", "iam:PassedToService", ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"])
                ],
            ),
            Statement(
                sid="AllowScopedInstanceProfileCreationActions",
                actions=["iam:CreateInstanceProfile"],
                resources=[profile],
                conditions=[
                    _owned("RequestTag", c.cluster_name),
                    cluster_name_in_request,
                    region_in_request,
                    nodeclass_in_request,
                ],
            ),
            Statement(
                sid="AllowScopedInstanceProfileTagActions",
                actions=["iam:TagInstanceProfile"],
                resources=[profile],
                conditions=[
                    _owned("ResourceTag", c.cluster_name),
                    region_on_resource,
                    _owned("RequestTag", c.cluster_name),
                    cluster_name_in_request,
                    region_in_request,
                    nodeclass_on_resource,
                    nodeclass_in_request,
                ],
            ),
            Statement(
                sid="AllowScopedInstanceProfileActions",
                actions=[
                    "iam:AddRoleToInstanceProfile",
                    "iam:RemoveRoleFromInstanceProfile",
                    "iam:DeleteInstanceProfile",
                ],
                resources=[profile],
                conditions=[_owned("ResourceTag", c.cluster_name), region_on_resource, nodeclass_on_resource],
            ),
        ],
        "EKSIntegrationPolicy": [
            Statement(sid="AllowAPIServerEndpointDiscovery", actions=["eks:DescribeCluster"], resources=[cluster_arn]),
        ],
        "InterruptionPolicy": [
            Statement(
                sid="AllowInterruptionQueueActions",
                actions=["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                resources=[c.queue_arn],
            ),
        ],
        "ResourceDiscoveryPolicy": [
            Statement(
                sid="AllowRegionalReadActions",
                actions=[
                    "ec2:DescribeCapacityReservations",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceStatus",
                    "ec2:DescribeInstanceTypeOfferings",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribePlacementGroups",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                conditions=[Condition("StringEquals", "aws:RequestedRegion", [c.region])],
            ),
            Statement(
                sid="AllowSSMReadActions",
                actions=["ssm:GetParameter"],
                resources=[f"arn:{c.partition}:ssm:{c.region}::parameter/aws/service/*"],
            ),
            Statement(sid="AllowPricingReadActions", actions=["pricing:GetProducts"]),
            Statement(sid="AllowUnscopedInstanceProfileListAction", actions=["iam:ListInstanceProfiles"]),
            Statement(sid="AllowInstanceProfileReadActions", actions=["iam:GetInstanceProfile"], resources=[profile]),
        ],
        "ZonalShiftPolicy": [
            Statement(
                sid="AllowZonalShiftStatusReadOnly",
                actions=["arc-zonal-shift:GetManagedResource"],
                conditions=[Condition("StringEquals", "arc-zonal-shift:ResourceIdentifier", [cluster_arn])],
            ),
        ],
    }
