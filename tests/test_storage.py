"""`E-storage`, the CSI drivers in `E-cluster` and the StorageClasses in `E-platform`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cdktf import App, TerraformStack

from modules.storage.efs import EfsFileSystemWithAccess, EfsSettings
from tests.conftest import ENV_NAMES, Synth, resolve_policy


def classes(synth: Synth, env: str) -> dict[str, dict[str, Any]]:
    found = [m["manifest"] for m in synth.resources(f"{env}-platform", "kubernetes_manifest").values()]
    return {m["metadata"]["name"]: m for m in found if m["kind"] == "StorageClass"}


@pytest.mark.parametrize("env", ENV_NAMES)
def test_storage_does_not_depend_on_the_cluster(synth: Synth, env: str) -> None:
    # prod's EFS reads the network; without EFS there is nothing to read.
    assert synth.manifest["stacks"][f"{env}-storage"]["dependencies"] == ([f"{env}-network"] if env == "prod" else [])
    remote = synth.stack(f"{env}-storage").get("data", {}).get("terraform_remote_state", {})
    assert all("cluster" not in name for name in remote)
    text = str(synth.stack(f"{env}-storage"))
    assert "cluster" not in text.replace("eks-platform", "")
    # ... while the cluster reads storage (the data key), so storage deploys first.
    assert f"{env}-storage" in synth.manifest["stacks"][f"{env}-cluster"]["dependencies"]


@pytest.mark.parametrize("env", ENV_NAMES)
def test_data_key(synth: Synth, env: str) -> None:
    (key,) = synth.resources(f"{env}-storage", "aws_kms_key").values()
    assert key["enable_key_rotation"] is True
    assert (key.get("lifecycle") == {"prevent_destroy": True}) is (env == "prod")


def test_efs_in_prod(synth: Synth) -> None:
    stack = "prod-storage"
    (fs,) = synth.resources(stack, "aws_efs_file_system").values()
    (key_name,) = synth.resources(stack, "aws_kms_key")
    assert fs["encrypted"] is True and fs["kms_key_id"] == f"${{aws_kms_key.{key_name}.arn}}"
    assert fs["lifecycle_policy"] == [
        {"transition_to_ia": "AFTER_30_DAYS"},
        {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
    ]
    assert fs["lifecycle"] == {"prevent_destroy": True}
    (backup,) = synth.resources(stack, "aws_efs_backup_policy").values()
    assert backup["backup_policy"] == {"status": "ENABLED"}
    targets = synth.resources(stack, "aws_efs_mount_target").values()
    assert sorted(t["subnet_id"].split("network_")[1].split("_")[0] for t in targets) == [
        "private-0",
        "private-1",
        "private-2",
    ]
    rules = list(synth.resources(stack, "aws_vpc_security_group_ingress_rule").values())
    assert sorted(r["cidr_ipv4"] for r in rules) == ["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"]
    assert all((r["from_port"], r["to_port"], r["ip_protocol"]) == (2049, 2049, "tcp") for r in rules)
    (group,) = synth.resources(stack, "aws_security_group").values()
    assert "ingress" not in group and "egress" not in group
    (policy,) = synth.resources(stack, "aws_efs_file_system_policy").values()
    allow, deny = resolve_policy(synth, stack, policy["policy"])["statement"]
    assert deny["effect"] == "Deny" and deny["condition"][0]["variable"] == "aws:SecureTransport"
    # With any policy in place EFS's default allow is gone: the CSI driver's anonymous
    # mounts need this statement, limited to clients that come through a mount target.
    assert allow["effect"] == "Allow" and allow["principals"] == [{"type": "AWS", "identifiers": ["*"]}]
    assert sorted(allow["actions"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert allow["condition"] == [
        {"test": "Bool", "variable": "elasticfilesystem:AccessedViaMountTarget", "values": ["true"]}
    ]
    assert synth.resources("dev-storage", "aws_efs_file_system") == {}


@pytest.mark.parametrize("env", ENV_NAMES)
def test_csi_drivers(synth: Synth, env: str) -> None:
    stack = f"{env}-cluster"
    addons = synth.resources(stack, "aws_eks_addon")
    drivers = {a["addon_name"]: a for a in addons.values() if a["addon_name"].endswith("csi-driver")}
    assert set(drivers) == ({"aws-ebs-csi-driver", "aws-efs-csi-driver"} if env == "prod" else {"aws-ebs-csi-driver"})
    ebs = drivers["aws-ebs-csi-driver"]
    (association,) = ebs["pod_identity_association"]
    assert association["service_account"] == "ebs-csi-controller-sa"
    role_key = association["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
    role = synth.resources(stack, "aws_iam_role")[role_key]
    attached = [
        a["policy_arn"]
        for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
        if a["role"] == f"${{aws_iam_role.{role_key}.name}}"
    ]
    assert [a.rsplit("/", 1)[1] for a in attached] == ["AmazonEBSCSIDriverPolicy"]
    assert role["name"] == f"{env}-platform-aws-ebs-csi-driver"
    (kms,) = [
        p
        for p in synth.resources(stack, "aws_iam_role_policy").values()
        if p["role"] == f"${{aws_iam_role.{role_key}.id}}"
    ]
    statements = {s["sid"]: s for s in resolve_policy(synth, stack, kms["policy"])["statement"]}
    data_key = statements["UseDataKey"]["resources"][0]
    assert data_key.startswith(f"${{data.terraform_remote_state.cross-stack-reference-input-{env}-storage.")
    assert statements["GrantDataKeyToAwsResources"]["condition"][0]["variable"] == "kms:GrantIsForAWSResource"
    if env == "prod":
        # EFS encrypts with the file system's own key: the EFS driver gets no KMS rights.
        efs = drivers["aws-efs-csi-driver"]
        efs_role = efs["pod_identity_association"][0]["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
        inline = [p for p in synth.resources(stack, "aws_iam_role_policy").values() if efs_role in p["role"]]
        assert inline == []


@pytest.mark.parametrize("env", ENV_NAMES)
def test_default_storage_class_is_encrypted_gp3(synth: Synth, env: str) -> None:
    by_name = classes(synth, env)
    gp3 = by_name["gp3"]
    assert gp3["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert gp3["provisioner"] == "ebs.csi.aws.com"
    assert gp3["parameters"]["type"] == "gp3" and gp3["parameters"]["encrypted"] == "true"
    assert gp3["parameters"]["kmsKeyId"].startswith(
        f"${{data.terraform_remote_state.cross-stack-reference-input-{env}-storage."
    )
    assert gp3["volumeBindingMode"] == "WaitForFirstConsumer" and gp3["allowVolumeExpansion"] is True
    (annotation,) = synth.resources(f"{env}-platform", "kubernetes_annotations").values()
    assert annotation["metadata"] == {"name": "gp2"} and annotation["kind"] == "StorageClass"
    assert annotation["annotations"] == {"storageclass.kubernetes.io/is-default-class": "false"}
    assert ("efs" in by_name) is (env == "prod")


def test_efs_storage_class(synth: Synth) -> None:
    efs = classes(synth, "prod")["efs"]
    assert efs["provisioner"] == "efs.csi.aws.com"
    assert efs["parameters"]["provisioningMode"] == "efs-ap"
    assert "aws_efs_file_system" in efs["parameters"]["fileSystemId"]


def test_efs_without_private_subnets_is_refused(tmp_path: Path) -> None:
    # The schema always yields private subnets (az_count >= 2); the construct guards anyway.
    stack = TerraformStack(App(outdir=str(tmp_path)), "efs")
    settings = EfsSettings(name="x", vpc_id="vpc-1", subnet_ids=[], client_cidrs=[], kms_key_arn="arn:aws:kms:x")
    with pytest.raises(ValueError, match="at least one private subnet"):
        EfsFileSystemWithAccess(stack, "efs", settings)
