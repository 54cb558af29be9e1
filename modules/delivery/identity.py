"""Who CI runs as: GitHub Actions' OIDC provider and two roles per environment.

- `plan`: read-only (`ReadOnlyAccess`, plus reading the state objects and
  decrypting them with the state key). Only pull-request workflows of the
  configured repository can assume it; they plan with `-lock=false`.
- `deploy`: applies every stack, so it may create IAM roles, KMS keys, VPCs
  and clusters (`AdministratorAccess`). Only jobs of the repository that run in
  the GitHub environment named after this environment can assume it, so the
  environment's protection rules (reviewers, branches) guard every deploy.

Both trust only tokens whose audience is `sts.amazonaws.com`. An AWS account
holds one OIDC provider per issuer URL: one environment per account creates it,
the others look it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_openid_connect_provider import DataAwsIamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.base.iam import Condition, Statement, managed_policy_arn, policy_document
from modules.base.kms import AccountContext

GITHUB_OIDC_ISSUER = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
PLAN, DEPLOY = "plan", "deploy"
# A first deploy of every stack of an environment (EKS alone takes ~15 minutes)
# can outlast the default one-hour session.
DEPLOY_SESSION_SECONDS = 4 * 3600


def ci_role_name(cluster_name: str, purpose: str) -> str:
    """`<cluster>-ci-plan` / `<cluster>-ci-deploy`: later stacks build the ARN from it."""
    return f"{cluster_name}-ci-{purpose}"


def oidc_subject(repository: str, purpose: str, environment: str) -> str:
    """The `sub` claim GitHub puts in a job's token: pull-request jobs for
    plans, jobs in the GitHub environment for deploys."""
    if purpose == PLAN:
        return f"repo:{repository}:pull_request"
    return f"repo:{repository}:environment:{environment}"


@dataclass(frozen=True)
class CiIdentitySettings:
    """Configuration of CI's identity: the GitHub OIDC provider and the plan and deploy roles."""

    cluster_name: str
    """The cluster of the environment; the role names derive from it."""
    environment: str
    """The GitHub environment deploy jobs run in."""
    repository: str
    """The GitHub repository whose workflows may assume the roles: owner/name."""
    create_oidc_provider: bool
    """Create GitHub's OIDC provider (one environment per account), or look up the existing one."""
    state_bucket_arn: str
    """The state bucket, whose objects the plan role may read."""
    state_key_arn: str
    """The state bucket's KMS key, which the plan role may decrypt with."""


class CiIdentity(Construct):
    def __init__(self, scope: Construct, id_: str, settings: CiIdentitySettings, *, account: AccountContext) -> None:
        super().__init__(scope, id_)
        s = settings
        url = f"https://{GITHUB_OIDC_ISSUER}"
        if s.create_oidc_provider:
            # No thumbprint: AWS trusts GitHub's issuer through its own CA library.
            self.oidc_provider_arn = IamOpenidConnectProvider(
                self, "github-oidc", url=url, client_id_list=[STS_AUDIENCE]
            ).arn
        else:
            self.oidc_provider_arn = DataAwsIamOpenidConnectProvider(self, "github-oidc", url=url).arn

        self.plan_role = self._role(s, PLAN, account, "ReadOnlyAccess", max_session=3600)
        self.deploy_role = self._role(s, DEPLOY, account, "AdministratorAccess", max_session=DEPLOY_SESSION_SECONDS)
        read_state = policy_document(
            self,
            "plan-state",
            [
                Statement(sid="ListState", actions=["s3:ListBucket"], resources=[s.state_bucket_arn]),
                Statement(sid="ReadState", actions=["s3:GetObject"], resources=[f"{s.state_bucket_arn}/*"]),
                Statement(sid="DecryptState", actions=["kms:Decrypt", "kms:DescribeKey"], resources=[s.state_key_arn]),
            ],
        )
        IamRolePolicy(self, "plan-state-policy", role=self.plan_role.id, policy=read_state.json)

    def _role(
        self, s: CiIdentitySettings, purpose: str, account: AccountContext, policy: str, max_session: int
    ) -> IamRole:
        trust = policy_document(
            self,
            f"{purpose}-trust",
            [
                Statement(
                    sid="GithubActionsAssumes",
                    actions=["sts:AssumeRoleWithWebIdentity"],
                    resources=(),
                    principals=[("Federated", [self.oidc_provider_arn])],
                    conditions=[
                        Condition("StringEquals", f"{GITHUB_OIDC_ISSUER}:aud", [STS_AUDIENCE]),
                        Condition(
                            "StringEquals",
                            f"{GITHUB_OIDC_ISSUER}:sub",
                            [oidc_subject(s.repository, purpose, s.environment)],
                        ),
                    ],
                )
            ],
        )
        role = IamRole(
            self,
            f"{purpose}-role",
            name=ci_role_name(s.cluster_name, purpose),
            description=f"GitHub Actions ({s.repository}) {purpose}s {s.environment}",
            assume_role_policy=trust.json,
            max_session_duration=max_session,
        )
        IamRolePolicyAttachment(
            self, f"{purpose}-{policy}", role=role.name, policy_arn=managed_policy_arn(account.partition, policy)
        )
        return role
