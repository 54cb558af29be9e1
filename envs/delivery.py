"""Schema of continuous delivery: which GitHub repository may plan and deploy an
environment, and where the jobs that talk to the Kubernetes API run
(docs/operations.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from envs.fields import ConnectionArn, Frozen, GithubRepository, RetentionDays


class OidcProvider(StrEnum):
    # An AWS account holds one OIDC provider per issuer URL: the first environment
    # in an account creates it, any other environment in that account uses it.
    CREATE = "create"
    EXISTING = "existing"


class KubernetesJobs(StrEnum):
    """Where the jobs of the Kubernetes-facing stacks (addons, platform, apps) run."""

    # CodeBuild-hosted GitHub Actions runners inside the VPC: they reach a private
    # endpoint, and an allow-listed public one through the VPC's private endpoint.
    CODEBUILD = "codebuild"
    # GitHub-hosted runners: their addresses are not fixed, so only an endpoint
    # public to 0.0.0.0/0 answers them.
    GITHUB_HOSTED = "github-hosted"


class Ci(Frozen):
    """GitHub Actions plans (pull requests, read-only role) and deploys (GitHub
    environment named after this environment, deploy role) through OIDC."""

    github_repository: GithubRepository = Field(
        description="GitHub repository (owner/name) whose workflows may assume the plan and deploy roles through OIDC."
    )
    deploy_order: Annotated[int, Field(ge=0)] = Field(
        100,
        description="Place in the deploy workflow's promotion, lower first (ties by name; dev 10, staging 20, "
        "prod 30 ship): a failed environment stops the ones after it.",
    )
    oidc_provider: OidcProvider = Field(
        OidcProvider.CREATE,
        description="create GitHub's OIDC provider in the account, or use the existing one: IAM holds one per "
        "issuer URL, so one environment per account creates it.",
    )
    kubernetes_jobs: KubernetesJobs = Field(
        KubernetesJobs.CODEBUILD,
        description="Where jobs of the Kubernetes-facing stacks run: codebuild (runners in the VPC, reach a "
        "private endpoint) or github-hosted (needs an endpoint open to 0.0.0.0/0).",
    )
    runner_log_retention_days: RetentionDays = Field(
        30, description="Days CloudWatch keeps the in-VPC runners' build logs."
    )
    codebuild_connection_arn: ConnectionArn | None = Field(
        None,
        description="CodeConnections (GitHub App) connection for the runners; null: the account's default "
        "CodeBuild source credential (docs/operations.md).",
    )
