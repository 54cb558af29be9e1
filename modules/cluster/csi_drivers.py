"""The EBS CSI driver (always) and the EFS CSI driver (with EFS) as EKS add-ons,
each bound through EKS Pod Identity to a role with the AWS managed policy for
the driver. The EBS driver's role may also use the data KMS key (it creates and
attaches encrypted volumes); the EFS driver's needs no key (EFS encrypts with
the file system's key itself). Their StorageClasses: modules/storage/classes.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.eks_addon import EksAddon, EksAddonPodIdentityAssociation
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.iam import Condition, Statement, pod_identity_role, policy_document
from modules.cluster.addons import addon_version
from modules.conventions import EBS_CSI_PROVISIONER, EFS_CSI_PROVISIONER

EBS = ("aws-ebs-csi-driver", "ebs-csi-controller-sa", "AmazonEBSCSIDriverPolicy", EBS_CSI_PROVISIONER)
EFS = ("aws-efs-csi-driver", "efs-csi-controller-sa", "AmazonEFSCSIDriverPolicy", EFS_CSI_PROVISIONER)


def kms_use_statements(key_arn: str) -> list[Statement]:
    """What a CSI driver needs to create and attach volumes encrypted with the key."""
    return [
        Statement(
            sid="UseDataKey",
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            resources=[key_arn],
        ),
        Statement(
            sid="GrantDataKeyToAwsResources",
            actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            resources=[key_arn],
            conditions=[Condition("Bool", "kms:GrantIsForAWSResource", ["true"])],
        ),
    ]


@dataclass(frozen=True)
class CsiDriverSettings:
    """Configuration of a CsiDriver."""

    driver: tuple[str, str, str, str]
    """Which driver: `EBS` or `EFS` (add-on name, service account, AWS managed policy, provisioner)."""
    kubernetes_version: str
    """The cluster's Kubernetes version, to pick the add-on version for."""
    pinned_versions: Mapping[str, str]
    """Add-on versions pinned in config, by add-on name; one not named gets EKS's default for `kubernetes_version`."""
    kms_key_arn: str | None
    """A key the driver's role may use for the volumes it creates (the data key, for EBS); None: no key."""


class CsiDriver(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        settings: CsiDriverSettings,
        *,
        cluster: ClusterHandle,
        depends_on: Sequence[ITerraformDependable],
    ) -> None:
        super().__init__(scope, id_)
        s = settings
        addon_name, service_account, managed_policy, _ = s.driver
        role = pod_identity_role(
            self,
            "role",
            name=f"{cluster.name}-{addon_name}",
            partition=cluster.partition,
            managed_policies=[managed_policy],
        )
        if s.kms_key_arn is not None:
            IamRolePolicy(
                self,
                "kms",
                role=role.id,
                policy=policy_document(self, "kms-document", kms_use_statements(s.kms_key_arn)).json,
            )
        self.addon = EksAddon(
            self,
            "addon",
            cluster_name=cluster.name_ref,
            addon_name=addon_name,
            addon_version=addon_version(self, addon_name, s.kubernetes_version, s.pinned_versions),
            pod_identity_association=[
                EksAddonPodIdentityAssociation(role_arn=role.arn, service_account=service_account)
            ],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            depends_on=list(depends_on),
        )
