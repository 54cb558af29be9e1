"""Data that outlives clusters (in `E-storage`, which reads only `E-network`):
a customer-managed KMS key for data, and an optional EFS file system.

EFS: encrypted with the data key, a mount target in every private subnet, a
security group that admits NFS only from the private subnets, mounts only
through the mount targets and only over TLS,
lifecycle to Infrequent Access, automatic backups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.efs_backup_policy import EfsBackupPolicy, EfsBackupPolicyBackupPolicy
from cdktf_cdktf_provider_aws.efs_file_system import EfsFileSystem, EfsFileSystemLifecyclePolicy
from cdktf_cdktf_provider_aws.efs_file_system_policy import EfsFileSystemPolicy
from cdktf_cdktf_provider_aws.efs_mount_target import EfsMountTarget
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.base.iam import Condition, Statement, deny_insecure_transport, policy_document

NFS_PORT = 2049


@dataclass(frozen=True)
class EfsSettings:
    """Configuration of an EFS file system and its mount targets."""

    name: str
    """The file system's name (creation token and Name tag); its security group's name derives from it."""
    vpc_id: str
    """The VPC of the mount targets' security group."""
    subnet_ids: Sequence[str]
    """Subnets with one mount target each: the private subnets."""
    client_cidrs: Sequence[str]
    """Who may mount (NFS): the private subnets' CIDRs."""
    kms_key_arn: str
    """The KMS key the file system is encrypted with (the data key)."""
    transition_to_ia: str = "AFTER_30_DAYS"
    """When unread files move to Infrequent Access. Default: "AFTER_30_DAYS"."""
    throughput_mode: str = "elastic"
    """EFS throughput mode. Default: "elastic"."""
    protect: bool = False
    """`prevent_destroy` on the file system. Default: False."""


class EfsFileSystemWithAccess(Construct):
    def __init__(self, scope: Construct, id_: str, settings: EfsSettings) -> None:
        super().__init__(scope, id_)
        s = settings
        if not s.subnet_ids:
            raise ValueError("EFS needs at least one private subnet for its mount targets")
        self.file_system = EfsFileSystem(
            self,
            "file-system",
            creation_token=s.name,
            encrypted=True,
            kms_key_id=s.kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode=s.throughput_mode,
            lifecycle_policy=[
                EfsFileSystemLifecyclePolicy(transition_to_ia=s.transition_to_ia),
                EfsFileSystemLifecyclePolicy(transition_to_primary_storage_class="AFTER_1_ACCESS"),
            ],
            tags={"Name": s.name},
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if s.protect else None,
        )
        EfsBackupPolicy(
            self,
            "backup",
            file_system_id=self.file_system.id,
            backup_policy=EfsBackupPolicyBackupPolicy(status="ENABLED"),
        )
        # Once a file system has any policy, EFS's default "every client through a
        # mount target may mount and write" no longer applies: say it explicitly,
        # or the CSI driver's (anonymous, IAM-less) mounts are all denied.
        policy = policy_document(
            self,
            "policy-document",
            [
                Statement(
                    sid="MountThroughMountTargets",
                    actions=["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                    resources=[self.file_system.arn],
                    principals=[("AWS", ["*"])],
                    conditions=[Condition("Bool", "elasticfilesystem:AccessedViaMountTarget", ["true"])],
                ),
                deny_insecure_transport([self.file_system.arn], ["*"]),
            ],
        )
        EfsFileSystemPolicy(self, "policy", file_system_id=self.file_system.id, policy=policy.json)
        self.security_group = SecurityGroup(
            self,
            "mount-targets",
            name_prefix=f"{s.name}-efs-",
            description=f"EFS mount targets of {s.name}: NFS from the private subnets only",
            vpc_id=s.vpc_id,
            tags={"Name": f"{s.name}-efs"},
        )
        for index, cidr in enumerate(s.client_cidrs):
            VpcSecurityGroupIngressRule(
                self,
                f"nfs-{index}",
                security_group_id=self.security_group.id,
                description=f"NFS from private subnet {cidr}",
                ip_protocol="tcp",
                from_port=NFS_PORT,
                to_port=NFS_PORT,
                cidr_ipv4=cidr,
            )
        for index, subnet_id in enumerate(s.subnet_ids):
            EfsMountTarget(
                self,
                f"mount-target-{index}",
                file_system_id=self.file_system.id,
                subnet_id=subnet_id,
                security_groups=[self.security_group.id],
            )
        self.file_system_id = self.file_system.id
