"""The EKS control plane with secure defaults, in one place:

- authentication through access entries only (`API` mode); the identity that
  creates the cluster gets no implicit admin; admins are listed in config;
- private endpoint always on; the public one only with an allow-list;
- Kubernetes secrets envelope-encrypted with a dedicated, rotating KMS key whose
  policy names the cluster role as its only user;
- control-plane ENIs in the intra subnets (no route out of the VPC);
- the control-plane log group created by us *before* the cluster, with retention
  and KMS, so EKS never creates an unencrypted, never-expiring one itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import (
    EksAccessPolicyAssociation,
    EksAccessPolicyAssociationAccessScope,
)
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksCluster,
    EksClusterAccessConfig,
    EksClusterEncryptionConfig,
    EksClusterEncryptionConfigProvider,
    EksClusterUpgradePolicy,
    EksClusterVpcConfig,
    EksClusterZonalShiftConfig,
)
from constructs import Construct

from modules.base.iam import Statement, service_role
from modules.base.kms import AccountContext, EncryptionKey, logs_service_statement
from modules.base.log_groups import encrypted_log_group
from modules.conventions import CLUSTER_ADMIN_POLICY, CLUSTER_VIEWER_POLICY, access_policy_arn


@dataclass(frozen=True)
class ClusterSettings:
    """Configuration of the EKS control plane, its keys, log group and access entries."""

    name: str
    """The cluster's name; its role's, keys' and log group's names derive from it."""
    kubernetes_version: str
    """The Kubernetes version, e.g. "1.34"."""
    control_plane_subnet_ids: Sequence[str]
    """Subnets of the control-plane ENIs: the intra subnets (no route out of the VPC)."""
    endpoint_public_access: bool
    """Whether the API has a public endpoint besides the private one."""
    public_access_cidrs: Sequence[str]
    """The public endpoint's allow-list (used only with `endpoint_public_access`)."""
    admin_principal_arns: Sequence[str]
    """Principals that get cluster admin (people, and the CI deploy role)."""
    log_types: Sequence[str]
    """Control-plane log types EKS ships to the log group."""
    log_retention_days: int
    """Days the control-plane logs are kept."""
    support_type: str = "STANDARD"
    """EKS upgrade policy: STANDARD (auto-upgrade at the end of standard support) or EXTENDED (paid
    extended support). Default: STANDARD (EKS's own default is EXTENDED)."""
    adopt_existing_log_group: bool = False
    """Import the log group, which EKS may recreate as a deleted cluster's last logs flush. Default: False."""
    protect: bool = False
    """`prevent_destroy` on cluster, keys and log group; EKS deletion protection. Default: False."""
    admin_role_names: Sequence[str] = ()
    """Roles of this account, by name (their ARNs need the account id, known at plan time), that get
    cluster admin: the CI deploy role. Default: none."""
    viewer_role_names: Sequence[str] = ()
    """Roles of this account, by name, that may read everything, Secrets included: the CI plan role.
    Default: none."""
    zonal_shift: bool = False
    """EKS zonal shift: ARC may shift traffic away from an impaired AZ. Default: False."""


class Cluster(Construct):
    def __init__(self, scope: Construct, id_: str, settings: ClusterSettings) -> None:
        super().__init__(scope, id_)
        s = settings
        self.account = account = AccountContext(self, "account")
        protect = TerraformResourceLifecycle(prevent_destroy=True) if s.protect else None

        cluster_role = service_role(
            self,
            "cluster-role",
            name=f"{s.name}-cluster",
            service="eks.amazonaws.com",
            partition=account.partition,
            managed_policies=["AmazonEKSClusterPolicy"],
            actions=["sts:AssumeRole", "sts:TagSession"],
        )
        self.role = cluster_role.role
        self.secrets_key = EncryptionKey(
            self,
            "secrets-kms",
            account=account,
            alias=f"{s.name}-eks-secrets",
            description=f"Envelope encryption of Kubernetes secrets in {s.name}",
            service_statements=[
                Statement(
                    sid="ClusterRoleUsesKey",
                    actions=["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
                    principals=[("AWS", [self.role.arn])],
                )
            ],
            protect=s.protect,
        )
        self.logs_key = EncryptionKey(
            self,
            "logs-kms",
            account=account,
            alias=f"{s.name}-eks-logs",
            description=f"Control-plane logs of {s.name}",
            service_statements=[logs_service_statement(account)],
            protect=s.protect,
        )
        self.log_group = encrypted_log_group(
            self,
            "control-plane-logs",
            name=f"/aws/eks/{s.name}/cluster",
            retention_days=s.log_retention_days,
            kms_key_arn=self.logs_key.arn,
            protect=s.protect,
        )
        if s.adopt_existing_log_group:
            # EKS can recreate this group while a deleted cluster's last logs flush;
            # a later create then fails with "already exists". Import it instead.
            self.log_group.import_from(f"/aws/eks/{s.name}/cluster")

        self.cluster = EksCluster(
            self,
            "cluster",
            name=s.name,
            version=s.kubernetes_version,
            role_arn=self.role.arn,
            vpc_config=EksClusterVpcConfig(
                subnet_ids=list(s.control_plane_subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=s.endpoint_public_access,
                public_access_cidrs=list(s.public_access_cidrs) if s.endpoint_public_access else None,
            ),
            access_config=EksClusterAccessConfig(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            encryption_config=EksClusterEncryptionConfig(
                resources=["secrets"],
                provider=EksClusterEncryptionConfigProvider(key_arn=self.secrets_key.arn),
            ),
            enabled_cluster_log_types=list(s.log_types),
            upgrade_policy=EksClusterUpgradePolicy(support_type=s.support_type),
            deletion_protection=s.protect,
            zonal_shift_config=EksClusterZonalShiftConfig(enabled=s.zonal_shift),
            # Our log group, with retention and KMS, must exist first; the role's
            # policy must outlive the cluster on destroy.
            depends_on=[self.log_group, *cluster_role.attachments],
            lifecycle=protect,
        )

        def role_arn(name: str) -> str:
            return f"arn:{account.partition}:iam::{account.account_id}:role/{name}"

        grants = [(f"admin-{i}", arn, CLUSTER_ADMIN_POLICY) for i, arn in enumerate(s.admin_principal_arns)]
        grants += [(f"admin-role-{n}", role_arn(n), CLUSTER_ADMIN_POLICY) for n in s.admin_role_names]
        grants += [(f"viewer-role-{n}", role_arn(n), CLUSTER_VIEWER_POLICY) for n in s.viewer_role_names]
        self.access_entries: list[EksAccessEntry] = []
        self.access_policies: list[EksAccessPolicyAssociation] = []
        for id_prefix, principal, policy in grants:
            entry = EksAccessEntry(self, id_prefix, cluster_name=self.cluster.name, principal_arn=principal)
            self.access_entries.append(entry)
            self.access_policies.append(
                EksAccessPolicyAssociation(
                    self,
                    f"{id_prefix}-policy",
                    cluster_name=self.cluster.name,
                    principal_arn=entry.principal_arn,
                    policy_arn=access_policy_arn(account.partition, policy),
                    access_scope=EksAccessPolicyAssociationAccessScope(type="cluster"),
                )
            )

        self.name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.certificate_authority_data = self.cluster.certificate_authority.get(0).data
        self.cluster_security_group_id = self.cluster.vpc_config.cluster_security_group_id
