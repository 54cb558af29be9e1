"""`E-storage` on the shared synth: the data key and prod's EFS, nothing from the cluster."""

from __future__ import annotations

import pytest

from tests.conftest import ENV_NAMES, Synth, resolve_policy


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
