"""modules/state: the state bucket as a cdktf unit test: versioned, SSE-KMS with a rotating
key whose alias the backends name, private, bucket-owner-enforced, TLS-only, old versions
expiring, protected from destroy unless told otherwise."""

from __future__ import annotations

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.state.bucket import StateBucket, StateBucketSettings, state_key_alias
from tests.modules.helpers import REGION, named, parse, ref, resources, statements

BUCKET = "acme-tfstate"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> str:
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("state"))), "state")
    AwsProvider(stack, "aws", region=REGION)
    StateBucket(stack, "state", StateBucketSettings(bucket_name=BUCKET))  # the defaults
    StateBucket(stack, "scratch", StateBucketSettings(bucket_name="acme-scratch", noncurrent_days=7, protect=False))
    return Testing.synth(stack)


def test_bucket_and_key_are_protected_by_default(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized, "aws_s3_bucket", {"bucket": BUCKET, "lifecycle": {"prevent_destroy": True}}
    )
    doc = parse(synthesized)
    _, key = named(doc, "aws_kms_key", "state")
    assert key["enable_key_rotation"] is True and key["lifecycle"] == {"prevent_destroy": True}
    # ... and only by default.
    _, scratch = named(doc, "aws_s3_bucket", "scratch")
    assert scratch["bucket"] == "acme-scratch" and "lifecycle" not in scratch
    _, scratch_key = named(doc, "aws_kms_key", "scratch")
    assert scratch_key["enable_key_rotation"] is True and "lifecycle" not in scratch_key


def test_the_key_alias_is_the_one_backends_name(synthesized: str) -> None:
    key_name, _ = named(parse(synthesized), "aws_kms_key", "state")
    assert state_key_alias(BUCKET) == "acme-tfstate-state"
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_kms_alias",
        {"name": "alias/acme-tfstate-state", "target_key_id": ref("aws_kms_key", key_name, "key_id")},
    )


def test_versioned_and_encrypted_with_the_key(synthesized: str) -> None:
    doc = parse(synthesized)
    bucket_name, _ = named(doc, "aws_s3_bucket", "state")
    key_name, _ = named(doc, "aws_kms_key", "state")
    bucket_id = ref("aws_s3_bucket", bucket_name, "id")
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_s3_bucket_versioning",
        {"bucket": bucket_id, "versioning_configuration": {"status": "Enabled"}},
    )
    _, encryption = named(doc, "aws_s3_bucket_server_side_encryption_configuration", "state")
    assert encryption["bucket"] == bucket_id
    (rule,) = encryption["rule"]  # nested in a list: read, the matcher would not see a dropped key
    assert rule["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": ref("aws_kms_key", key_name, "arn"),
    }
    assert rule["bucket_key_enabled"] is True


def test_private_and_owned_by_the_bucket_owner(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_s3_bucket_public_access_block",
        {
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
    )
    assert not Testing.to_have_resource_with_properties(
        synthesized, "aws_s3_bucket_public_access_block", {"block_public_policy": False}
    )
    assert Testing.to_have_resource_with_properties(
        synthesized, "aws_s3_bucket_ownership_controls", {"rule": {"object_ownership": "BucketOwnerEnforced"}}
    )


def test_tls_only_policy(synthesized: str) -> None:
    doc = parse(synthesized)
    bucket_name, _ = named(doc, "aws_s3_bucket", "state")
    _, policy = named(doc, "aws_s3_bucket_policy", "state")
    (deny,) = statements(doc, policy["policy"]).values()
    assert deny["effect"] == "Deny" and deny["actions"] == ["s3:*"]
    assert deny["principals"] == [{"type": "*", "identifiers": ["*"]}]
    bucket_arn = ref("aws_s3_bucket", bucket_name, "arn")
    assert deny["resources"] == [bucket_arn, f"{bucket_arn}/*"]
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_old_state_versions_expire(synthesized: str) -> None:
    doc = parse(synthesized)
    _, lifecycle = named(doc, "aws_s3_bucket_lifecycle_configuration", "state")
    (rule,) = lifecycle["rule"]
    assert rule["status"] == "Enabled" and rule["filter"] == [{"prefix": ""}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    _, scratch = named(doc, "aws_s3_bucket_lifecycle_configuration", "scratch")
    assert scratch["rule"][0]["noncurrent_version_expiration"] == [{"noncurrent_days": 7}]


def test_one_of_each_per_bucket(synthesized: str) -> None:
    doc = parse(synthesized)
    for kind in (
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_kms_alias",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_lifecycle_configuration",
    ):
        assert len(resources(doc, kind)) == 2, kind
