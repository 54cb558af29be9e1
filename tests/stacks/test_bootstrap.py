"""`E-bootstrap` on the shared synth: the state bucket and the CI roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ENV_NAMES, Synth, resolve_policy


@pytest.mark.parametrize("env", ENV_NAMES)
def test_state_bucket(synth: Synth, env: str) -> None:
    stack = f"{env}-bootstrap"
    (bucket,) = synth.resources(stack, "aws_s3_bucket").values()
    assert bucket["bucket"] == f"example-platform-{env}-tfstate"
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    (versioning,) = synth.resources(stack, "aws_s3_bucket_versioning").values()
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    (sse,) = synth.resources(stack, "aws_s3_bucket_server_side_encryption_configuration").values()
    (rule,) = sse["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"].startswith("${aws_kms_key.")
    (key,) = synth.resources(stack, "aws_kms_key").values()
    assert key["enable_key_rotation"] is True
    (block,) = synth.resources(stack, "aws_s3_bucket_public_access_block").values()
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    (policy,) = synth.resources(stack, "aws_s3_bucket_policy").values()
    (deny,) = resolve_policy(synth, stack, policy["policy"])["statement"]
    assert deny["effect"] == "Deny"
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    (lifecycle,) = synth.resources(stack, "aws_s3_bucket_lifecycle_configuration").values()
    (lc_rule,) = lifecycle["rule"]
    assert lc_rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]


def test_spot_service_linked_role_only_where_configured(synth: Synth) -> None:
    roles = {env: synth.resources(f"{env}-bootstrap", "aws_iam_service_linked_role") for env in ENV_NAMES}
    assert roles["dev"] == {}  # its account is the credentials': the role may be there already
    for env in ("staging", "prod"):
        (role,) = roles[env].values()
        assert role["aws_service_name"] == "spot.amazonaws.com"
        assert "custom_suffix" not in role  # Spot's role takes none: there is one per account


ISSUER = "token.actions.githubusercontent.com"


def by_name(synth: Synth, stack: str, kind: str, name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, r) for k, r in synth.resources(stack, kind).items() if r.get("name") == name]
    return found


@pytest.mark.parametrize("env", ENV_NAMES)
def test_plan_and_deploy_roles_trust_only_the_repository(synth: Synth, env: str) -> None:
    stack = f"{env}-bootstrap"
    (provider_key, provider) = next(iter(synth.resources(stack, "aws_iam_openid_connect_provider").items()))
    assert provider["url"] == f"https://{ISSUER}" and provider["client_id_list"] == ["sts.amazonaws.com"]
    subjects = {
        "plan": "repo:example-org/eks-platform:pull_request",
        "deploy": f"repo:example-org/eks-platform:environment:{env}",
    }
    for purpose, subject in subjects.items():
        key, role = by_name(synth, stack, "aws_iam_role", f"{env}-platform-ci-{purpose}")
        (statement,) = resolve_policy(synth, stack, role["assume_role_policy"])["statement"]
        assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
        assert statement["principals"] == [
            {"type": "Federated", "identifiers": [f"${{aws_iam_openid_connect_provider.{provider_key}.arn}}"]}
        ]
        assert sorted((c["variable"], c["test"], tuple(c["values"])) for c in statement["condition"]) == [
            (f"{ISSUER}:aud", "StringEquals", ("sts.amazonaws.com",)),
            (f"{ISSUER}:sub", "StringEquals", (subject,)),
        ]
        attached = [
            a["policy_arn"].rsplit("/", 1)[1]
            for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
            if a["role"] == f"${{aws_iam_role.{key}.name}}"
        ]
        assert attached == (["ReadOnlyAccess"] if purpose == "plan" else ["AdministratorAccess"])
        assert synth.stack(stack)["output"][f"{purpose}_role_arn"]["value"] == f"${{aws_iam_role.{key}.arn}}"


@pytest.mark.parametrize("env", ENV_NAMES)
def test_plan_role_reads_state_and_decrypts_it_with_the_state_key(synth: Synth, env: str) -> None:
    stack = f"{env}-bootstrap"
    plan_key, _ = by_name(synth, stack, "aws_iam_role", f"{env}-platform-ci-plan")
    (inline,) = synth.resources(stack, "aws_iam_role_policy").values()
    assert inline["role"] == f"${{aws_iam_role.{plan_key}.id}}"
    statements = {s["sid"]: s for s in resolve_policy(synth, stack, inline["policy"])["statement"]}
    (bucket_key,) = synth.resources(stack, "aws_s3_bucket")
    (kms_key,) = synth.resources(stack, "aws_kms_key")
    assert statements["ReadState"]["actions"] == ["s3:GetObject"]
    assert statements["ReadState"]["resources"] == [f"${{aws_s3_bucket.{bucket_key}.arn}}/*"]
    assert statements["DecryptState"]["resources"] == [f"${{aws_kms_key.{kms_key}.arn}}"]
    assert "kms:Encrypt" not in statements["DecryptState"]["actions"]
