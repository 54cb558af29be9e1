"""`E-bootstrap`: the environment's state bucket and CI identity (local backend,
applied by a person once; every later stack can then be applied from CI)."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from envs import Environment
from envs.delivery import OidcProvider
from modules.delivery.identity import CiIdentity, CiIdentitySettings
from modules.karpenter.spot import spot_service_linked_role
from modules.state.bucket import StateBucket, StateBucketSettings
from stacks.base import EnvironmentStack


class BootstrapStack(EnvironmentStack):
    def __init__(self, scope: Construct, env: Environment) -> None:
        super().__init__(scope, env, "bootstrap", remote_state=False)
        self.state_bucket = StateBucket(self, "state", StateBucketSettings(bucket_name=env.state.bucket))
        TerraformOutput(self, "state_kms_key_arn", value=self.state_bucket.key.arn)
        if env.aws.create_spot_service_linked_role:
            # Account-level, like the bucket: applied by a person once.
            spot_service_linked_role(self, "spot-service-linked-role")
        if env.ci is None:
            return
        ci = CiIdentity(
            self,
            "ci",
            CiIdentitySettings(
                cluster_name=env.cluster_name,
                environment=env.name,
                repository=env.ci.github_repository,
                create_oidc_provider=env.ci.oidc_provider is OidcProvider.CREATE,
                state_bucket_arn=self.state_bucket.bucket.arn,
                state_key_arn=self.state_bucket.key.arn,
            ),
            account=self.state_bucket.account,
        )
        # The values the GitHub variables take (docs/operations.md).
        TerraformOutput(self, "plan_role_arn", value=ci.plan_role.arn)
        TerraformOutput(self, "deploy_role_arn", value=ci.deploy_role.arn)
