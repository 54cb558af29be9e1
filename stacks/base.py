"""What every stack of an environment shares: its name, the AWS provider with
default tags and the account guard, and the S3 backend with native locking."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from envs import Environment
from modules.conventions import PROJECT, STACK_TAG
from modules.state.bucket import state_key_alias


def stack_name(env: Environment, layer: str) -> str:
    return f"{env.name}-{layer}"


REQUIRED_TERRAFORM = ">= 1.10"


def state_key(name: str) -> str:
    return f"{name}/terraform.tfstate"


class EnvironmentStack(TerraformStack):
    """A stack of one layer of one environment.

    `remote_state=False` is for the bootstrap stack only: it creates the bucket
    the others keep their state in, so it starts with a local backend, until
    `state.bootstrap_backend: s3` says its state was moved into that bucket.
    `aws=False` leaves out the AWS provider in stacks with no AWS resource.
    """

    def __init__(
        self, scope: Construct, env: Environment, layer: str, *, remote_state: bool = True, aws: bool = True
    ) -> None:
        self.env = env
        self.layer = layer
        name = stack_name(env, layer)
        super().__init__(scope, name)
        if aws:
            AwsProvider(
                self,
                "aws",
                region=env.aws.region,
                # A config for one account can never change another.
                allowed_account_ids=[env.aws.account_id] if env.aws.account_id else None,
                default_tags=[
                    AwsProviderDefaultTags(
                        tags={"Project": PROJECT, "Environment": env.name, STACK_TAG: name, "ManagedBy": "cdktf"}
                    )
                ],
            )
        # Every stack uses S3 native locking and other 1.10 features.
        self.add_override("terraform.required_version", REQUIRED_TERRAFORM)
        if remote_state or env.state.bootstrap_backend == "s3":
            # The environment's state key, named: `encrypt` alone makes Terraform send
            # SSE-S3 on every write, which overrides the bucket's SSE-KMS default.
            S3Backend(
                self,
                bucket=env.state.bucket,
                key=state_key(name),
                region=env.aws.region,
                encrypt=True,
                kms_key_id=f"alias/{state_key_alias(env.state.bucket)}",
            )
            # S3 native locking (Terraform >= 1.10); cdktf 0.21's S3Backend has no argument for it.
            self.add_override("terraform.backend.s3.use_lockfile", True)
        else:
            # Terraform runs in cdktf.out/stacks/<name>/, which every synth replaces:
            # keep the state file in the project root instead (git-ignored).
            LocalBackend(self, path=f"../../../terraform.{name}.tfstate")
