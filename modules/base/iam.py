"""IAM policy documents as structured data sources.

Policies are built with `aws_iam_policy_document` rather than JSON strings: the
plan shows them field by field and checkov's IAM checks can read them (they skip
JSON strings silently). The generated struct classes are used for nested lists
because plain dicts inside lists lose multi-word keys in the Python bindings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.eks_pod_identity_association import EksPodIdentityAssociation
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct


@dataclass(frozen=True)
class Condition:
    test: str
    variable: str
    values: Sequence[str]


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: Sequence[str]
    # Empty for trust policies, which name no resource.
    resources: Sequence[str] = ("*",)
    effect: str = "Allow"
    # (principal type, identifiers), e.g. ("Service", ["logs.amazonaws.com"])
    principals: Sequence[tuple[str, Sequence[str]]] = ()
    conditions: Sequence[Condition] = field(default_factory=tuple)


def policy_document(scope: Construct, id_: str, statements: Sequence[Statement]) -> DataAwsIamPolicyDocument:
    return DataAwsIamPolicyDocument(
        scope,
        id_,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                sid=s.sid,
                effect=s.effect,
                actions=list(s.actions),
                resources=list(s.resources) or None,
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(type=kind, identifiers=list(ids))
                    for kind, ids in s.principals
                ]
                or None,
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(test=c.test, variable=c.variable, values=list(c.values))
                    for c in s.conditions
                ]
                or None,
            )
            for s in statements
        ],
    )


def deny_insecure_transport(resources: Sequence[str], actions: Sequence[str]) -> Statement:
    """The TLS-only statement every resource policy here carries."""
    return Statement(
        sid="DenyInsecureTransport",
        effect="Deny",
        actions=actions,
        resources=resources,
        principals=[("*", ["*"])],
        conditions=[Condition("Bool", "aws:SecureTransport", ["false"])],
    )


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


@dataclass(frozen=True)
class ServiceRole:
    role: IamRole
    # What uses the role depends on these too: Terraform then destroys the user
    # before the permissions (an EKS cluster or node group cannot be deleted cleanly
    # once its role has lost them).
    attachments: Sequence[IamRolePolicyAttachment]

    @property
    def with_permissions(self) -> list[ITerraformDependable]:
        return [self.role, *self.attachments]


def service_role(
    scope: Construct,
    id_: str,
    *,
    name: str,
    service: str,
    partition: str,
    managed_policies: Sequence[str] = (),
    actions: Sequence[str] = ("sts:AssumeRole",),
    source_account: str | None = None,
) -> ServiceRole:
    """A role that one AWS service principal may assume, with AWS managed policies
    attached by name; with `source_account`, only on behalf of that account."""
    conditions = [Condition("StringEquals", "aws:SourceAccount", [source_account])] if source_account else []
    trust = policy_document(
        scope,
        f"{id_}-trust",
        [
            Statement(
                sid="ServiceAssumes",
                actions=actions,
                resources=(),
                principals=[("Service", [service])],
                conditions=conditions,
            )
        ],
    )
    role = IamRole(scope, id_, name=name, assume_role_policy=trust.json)
    attachments = [
        IamRolePolicyAttachment(
            scope, f"{id_}-{policy}", role=role.name, policy_arn=managed_policy_arn(partition, policy)
        )
        for policy in managed_policies
    ]
    return ServiceRole(role, attachments)


POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


@dataclass(frozen=True)
class ServiceAccount:
    cluster: str  # the cluster resource's name attribute
    namespace: str
    name: str


def pod_identity_role(
    scope: Construct,
    id_: str,
    *,
    name: str,
    partition: str,
    managed_policies: Sequence[str] = (),
    bind_to: ServiceAccount | None = None,
) -> IamRole:
    """A role that EKS Pod Identity hands to a service account: through an
    association here (`bind_to`), or through an add-on's `pod_identity_association`."""
    role = service_role(
        scope,
        id_,
        name=name,
        service=POD_IDENTITY_SERVICE,
        partition=partition,
        managed_policies=managed_policies,
        actions=["sts:AssumeRole", "sts:TagSession"],
    ).role
    if bind_to is not None:
        EksPodIdentityAssociation(
            scope,
            f"{id_}-pod-identity",
            cluster_name=bind_to.cluster,
            namespace=bind_to.namespace,
            service_account=bind_to.name,
            role_arn=role.arn,
        )
    return role
