"""The AWS Load Balancer Controller's IAM policy: upstream 3.5.0's `iam_policy.json`,
statement by statement and in its order (tests/conformance/test_ingress_iam.py
compares them), as structured statements instead of a JSON string. Upstream's
statements have no Sid; ours name what each allows. `arn:aws:` becomes the
cluster's partition."""

from __future__ import annotations

from modules.base.iam import Condition, Statement

CLUSTER_TAG = "elbv2.k8s.aws/cluster"


def _null(kind: str, value: str) -> Condition:
    return Condition("Null", f"aws:{kind}/{CLUSTER_TAG}", [value])


def controller_statements(partition: str) -> list[Statement]:
    sg = f"arn:{partition}:ec2:*:*:security-group/*"
    elb = f"arn:{partition}:elasticloadbalancing:*:*"
    balancers = [f"{elb}:targetgroup/*/*", f"{elb}:loadbalancer/net/*/*", f"{elb}:loadbalancer/app/*/*"]
    untagged_request, tagged_request = _null("RequestTag", "true"), _null("RequestTag", "false")
    tagged_resource = _null("ResourceTag", "false")
    return [
        Statement(
            sid="CreateElbServiceLinkedRole",
            actions=["iam:CreateServiceLinkedRole"],
            conditions=[Condition("StringEquals", "iam:AWSServiceName", ["elasticloadbalancing.amazonaws.com"])],
        ),
        Statement(
            sid="Describe",
            actions=[
                *(
                    f"ec2:{a}"
                    for a in (
                        "DescribeAccountAttributes",
                        "DescribeAddresses",
                        "DescribeAvailabilityZones",
                        "DescribeInternetGateways",
                        "DescribeVpcs",
                        "DescribeVpcPeeringConnections",
                        "DescribeSubnets",
                        "DescribeSecurityGroups",
                        "DescribeInstances",
                        "DescribeNetworkInterfaces",
                        "DescribeTags",
                        "GetCoipPoolUsage",
                        "DescribeCoipPools",
                        "GetSecurityGroupsForVpc",
                        "DescribeIpamPools",
                        "DescribeRouteTables",
                    )
                ),
                *(
                    f"elasticloadbalancing:{a}"
                    for a in (
                        "DescribeLoadBalancers",
                        "DescribeLoadBalancerAttributes",
                        "DescribeListeners",
                        "DescribeListenerCertificates",
                        "DescribeSSLPolicies",
                        "DescribeRules",
                        "DescribeTargetGroups",
                        "DescribeTargetGroupAttributes",
                        "DescribeTargetHealth",
                        "DescribeTags",
                        "DescribeTrustStores",
                        "DescribeListenerAttributes",
                        "DescribeCapacityReservation",
                    )
                ),
            ],
        ),
        Statement(
            sid="CertificatesWafShield",
            actions=[
                "cognito-idp:DescribeUserPoolClient",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "iam:ListServerCertificates",
                "iam:GetServerCertificate",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "shield:GetSubscriptionState",
                "shield:DescribeProtection",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
        ),
        Statement(
            sid="SecurityGroupIngress",
            actions=["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
        ),
        Statement(sid="CreateSecurityGroup", actions=["ec2:CreateSecurityGroup"]),
        Statement(
            sid="TagNewSecurityGroup",
            actions=["ec2:CreateTags"],
            resources=[sg],
            conditions=[Condition("StringEquals", "ec2:CreateAction", ["CreateSecurityGroup"]), tagged_request],
        ),
        Statement(
            sid="TagOwnSecurityGroups",
            actions=["ec2:CreateTags", "ec2:DeleteTags"],
            resources=[sg],
            conditions=[untagged_request, tagged_resource],
        ),
        Statement(
            sid="ManageOwnSecurityGroups",
            actions=[
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            conditions=[tagged_resource],
        ),
        Statement(
            sid="CreateTaggedBalancers",
            actions=["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            conditions=[tagged_request],
        ),
        Statement(
            sid="ListenersAndRules",
            actions=[
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
        ),
        Statement(
            sid="TagOwnBalancers",
            actions=["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            resources=balancers,
            conditions=[untagged_request, tagged_resource],
        ),
        Statement(
            sid="TagListenersAndRules",
            actions=["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            resources=[
                f"{elb}:listener/net/*/*/*",
                f"{elb}:listener/app/*/*/*",
                f"{elb}:listener-rule/net/*/*/*",
                f"{elb}:listener-rule/app/*/*/*",
            ],
        ),
        Statement(
            sid="ModifyOwnBalancers",
            actions=[
                *(
                    f"elasticloadbalancing:{a}"
                    for a in (
                        "ModifyLoadBalancerAttributes",
                        "SetIpAddressType",
                        "SetSecurityGroups",
                        "SetSubnets",
                        "DeleteLoadBalancer",
                        "ModifyTargetGroup",
                        "ModifyTargetGroupAttributes",
                        "DeleteTargetGroup",
                        "ModifyListenerAttributes",
                        "ModifyCapacityReservation",
                        "ModifyIpPools",
                    )
                )
            ],
            conditions=[tagged_resource],
        ),
        Statement(
            sid="TagOnCreate",
            actions=["elasticloadbalancing:AddTags"],
            resources=balancers,
            conditions=[
                Condition(
                    "StringEquals", "elasticloadbalancing:CreateAction", ["CreateTargetGroup", "CreateLoadBalancer"]
                ),
                tagged_request,
            ],
        ),
        Statement(
            sid="RegisterTargets",
            actions=["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            resources=[f"{elb}:targetgroup/*/*"],
        ),
        Statement(
            sid="ListenerSettings",
            actions=[
                "elasticloadbalancing:SetWebAcl",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
        ),
    ]
