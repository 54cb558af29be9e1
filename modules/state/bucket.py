"""The S3 bucket that holds every other stack's Terraform state."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from modules.base.iam import deny_insecure_transport, policy_document
from modules.base.kms import AccountContext, EncryptionKey


def state_key_alias(bucket_name: str) -> str:
    """The state key's alias name. Backends name the key by it (`alias/<name>`):
    it is known before the key exists, and S3 resolves it in the bucket's account."""
    return f"{bucket_name}-state"


@dataclass(frozen=True)
class StateBucketSettings:
    """Configuration of a StateBucket."""

    bucket_name: str
    """The bucket's name; also names its KMS key's alias (`<bucket_name>-state`)."""
    noncurrent_days: int = 90
    """Days a replaced state version is kept before it expires. Default: 90."""
    protect: bool = True
    """`prevent_destroy` on the bucket and its key. Default: True."""


class StateBucket(Construct):
    """Versioned, KMS-encrypted, private, TLS-only; old state versions expire
    after `noncurrent_days` so a bad apply can be rolled back but history does
    not grow forever."""

    def __init__(self, scope: Construct, id_: str, settings: StateBucketSettings) -> None:
        super().__init__(scope, id_)
        s = settings
        self.account = account = AccountContext(self, "account")
        self.key = EncryptionKey(
            self,
            "kms",
            account=account,
            alias=state_key_alias(s.bucket_name),
            description=f"Terraform state in s3://{s.bucket_name}",
            protect=s.protect,
        )
        # Losing the state bucket orphans every stack: refuse to destroy it.
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=s.bucket_name,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if s.protect else None,
        )
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=self.key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        tls_only = policy_document(
            self,
            "tls-only",
            [deny_insecure_transport([self.bucket.arn, f"{self.bucket.arn}/*"], ["s3:*"])],
        )
        S3BucketPolicy(self, "policy", bucket=self.bucket.id, policy=tls_only.json)
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-noncurrent-state-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=s.noncurrent_days)
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                )
            ],
        )
