"""modules/storage: the data key, EFS with its mount targets and policies, and the
StorageClasses, as cdktf unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.base.kms import AccountContext
from modules.storage.classes import storage_classes
from modules.storage.data_key import data_key
from modules.storage.efs import EfsFileSystemWithAccess, EfsSettings
from tests.modules.helpers import REGION, only, parse, ref, resources, statements

CLIENTS = ["10.0.0.0/20", "10.0.16.0/20"]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> str:
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("storage"))), "storage")
    AwsProvider(stack, "aws", region=REGION)
    key = data_key(stack, name="demo", account=AccountContext(stack, "account"), protect=True)
    settings = EfsSettings(
        name="demo-shared",
        vpc_id="vpc-1",
        subnet_ids=["subnet-private-0", "subnet-private-1"],
        client_cidrs=CLIENTS,
        kms_key_arn=key.arn,
        protect=True,
    )
    EfsFileSystemWithAccess(stack, "efs", settings)
    return Testing.synth(stack)


def test_data_key_rotates_and_is_protected(synthesized: str) -> None:
    doc = parse(synthesized)
    key_name, key = only(doc, "aws_kms_key")
    assert key["enable_key_rotation"] is True and key["lifecycle"] == {"prevent_destroy": True}
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_kms_alias",
        {"name": "alias/demo-data", "target_key_id": ref("aws_kms_key", key_name, "key_id")},
    )
    # Its policy hands the key to the account's IAM, and to nobody else by name.
    assert list(statements(doc, key["policy"])) == ["AccountAdministers"]


def test_efs_encrypted_with_the_data_key_backed_up_tiered_protected(synthesized: str) -> None:
    doc = parse(synthesized)
    key_name, _ = only(doc, "aws_kms_key")
    fs_name, fs = only(doc, "aws_efs_file_system")
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_efs_file_system",
        {"encrypted": True, "kms_key_id": ref("aws_kms_key", key_name, "arn"), "lifecycle": {"prevent_destroy": True}},
    )
    assert fs["lifecycle_policy"] == [
        {"transition_to_ia": "AFTER_30_DAYS"},
        {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
    ]
    assert (fs["creation_token"], fs["throughput_mode"]) == ("demo-shared", "elastic")
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_efs_backup_policy",
        {"file_system_id": ref("aws_efs_file_system", fs_name, "id"), "backup_policy": {"status": "ENABLED"}},
    )


def test_a_mount_target_per_private_subnet_nfs_only_from_the_clients(synthesized: str) -> None:
    doc = parse(synthesized)
    group_name, group = only(doc, "aws_security_group")
    group_id = ref("aws_security_group", group_name, "id")
    assert "ingress" not in group and "egress" not in group and group["vpc_id"] == "vpc-1"
    targets = resources(doc, "aws_efs_mount_target").values()
    assert sorted(t["subnet_id"] for t in targets) == ["subnet-private-0", "subnet-private-1"]
    assert all(t["security_groups"] == [group_id] for t in targets)
    rules = resources(doc, "aws_vpc_security_group_ingress_rule").values()
    assert sorted(r["cidr_ipv4"] for r in rules) == CLIENTS
    assert all(
        (r["security_group_id"], r["ip_protocol"], r["from_port"], r["to_port"]) == (group_id, "tcp", 2049, 2049)
        for r in rules
    )


def test_mounts_only_through_mount_targets_and_over_tls(synthesized: str) -> None:
    doc = parse(synthesized)
    fs_name, _ = only(doc, "aws_efs_file_system")
    _, policy = only(doc, "aws_efs_file_system_policy")
    granted = statements(doc, policy["policy"])
    fs_arn = ref("aws_efs_file_system", fs_name, "arn")
    allow = granted["MountThroughMountTargets"]
    assert allow["resources"] == [fs_arn]
    assert allow["actions"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert allow["condition"] == [
        {"test": "Bool", "variable": "elasticfilesystem:AccessedViaMountTarget", "values": ["true"]}
    ]
    deny = granted["DenyInsecureTransport"]
    assert deny["effect"] == "Deny" and deny["resources"] == [fs_arn]
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_efs_without_private_subnets_is_refused(tmp_path: Path) -> None:
    # The schema always yields private subnets (az_count >= 2); the construct guards anyway.
    stack = TerraformStack(Testing.app(outdir=str(tmp_path)), "efs")
    settings = EfsSettings(name="x", vpc_id="vpc-1", subnet_ids=[], client_cidrs=[], kms_key_arn="arn:aws:kms:x")
    with pytest.raises(ValueError, match="at least one private subnet"):
        EfsFileSystemWithAccess(stack, "efs", settings)


def test_default_storage_class_is_encrypted_with_the_data_key() -> None:
    (gp3,) = storage_classes(volume_type="gp3", kms_key_arn="arn:aws:kms:x", efs_file_system_id=None)
    assert gp3["metadata"] == {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}
    assert gp3["provisioner"] == "ebs.csi.aws.com"
    assert gp3["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": "arn:aws:kms:x"}
    assert gp3["volumeBindingMode"] == "WaitForFirstConsumer" and gp3["allowVolumeExpansion"] is True


def test_efs_storage_class_only_with_efs() -> None:
    _, efs = storage_classes(volume_type="gp3", kms_key_arn="arn:aws:kms:x", efs_file_system_id="fs-1")
    assert efs["metadata"] == {"name": "efs"} and efs["provisioner"] == "efs.csi.aws.com"
    assert efs["parameters"]["provisioningMode"] == "efs-ap" and efs["parameters"]["fileSystemId"] == "fs-1"
    assert efs["parameters"]["directoryPerms"] == "700"
