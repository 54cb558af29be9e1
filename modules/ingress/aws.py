"""The AWS Load Balancer Controller's AWS side (in `E-cluster`): a role for EKS
Pod Identity bound to the controller's service account, with upstream's policy
(modules/ingress/policies.py) as a managed policy. It lives in the cluster stack
so the identity exists before the addons stack starts the controller's pods."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.iam import ServiceAccount, pod_identity_role, policy_document
from modules.ingress.policies import controller_statements

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"


class LoadBalancerControllerAws(Construct):
    def __init__(self, scope: Construct, id_: str, *, cluster: ClusterHandle) -> None:
        super().__init__(scope, id_)
        self.role = pod_identity_role(
            self,
            "controller-role",
            name=f"AWSLoadBalancerController-{cluster.name}",
            partition=cluster.account.partition,
            bind_to=ServiceAccount(cluster.name_ref, NAMESPACE, SERVICE_ACCOUNT),
        )
        document = policy_document(self, "policy-document", controller_statements(cluster.account.partition))
        self.policy = IamPolicy(
            self, "policy", name=f"AWSLoadBalancerControllerIAMPolicy-{cluster.name}", policy=document.json
        )
        IamRolePolicyAttachment(self, "policy-attachment", role=self.role.name, policy_arn=self.policy.arn)
