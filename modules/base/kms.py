"""Customer-managed KMS keys with rotation and an explicit key policy."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from modules.base.iam import Condition, Statement, policy_document


class AccountContext(Construct):
    """Partition, account and region of the running credentials (data sources),
    so ARNs are never hard-coded."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self.partition = DataAwsPartition(self, "partition").partition
        self.account_id = DataAwsCallerIdentity(self, "caller").account_id
        self.region = DataAwsRegion(self, "region").region

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"


class EncryptionKey(Construct):
    """A symmetric key, rotated yearly, whose policy gives the account's IAM
    control of it and lets only the named services use it."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        account: AccountContext,
        alias: str,
        description: str,
        service_statements: Sequence[Statement] = (),
        deletion_window_days: int = 30,
        protect: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        policy = policy_document(
            self,
            "policy",
            [
                Statement(
                    sid="AccountAdministers",
                    actions=["kms:*"],
                    principals=[("AWS", [account.root_arn])],
                ),
                *service_statements,
            ],
        )
        self.key = KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=policy.json,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if protect else None,
        )
        KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)
        self.arn = self.key.arn


def logs_service_statement(account: AccountContext) -> Statement:
    """Lets CloudWatch Logs use a key, only for log groups of this account and region."""
    return Statement(
        sid="CloudWatchLogsUse",
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        principals=[("Service", [f"logs.{account.region}.amazonaws.com"])],
        conditions=[
            Condition(
                "ArnLike",
                "kms:EncryptionContext:aws:logs:arn",
                [f"arn:{account.partition}:logs:{account.region}:{account.account_id}:log-group:*"],
            )
        ],
    )
