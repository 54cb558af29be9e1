"""Schema of continuous delivery: which GitHub repository may plan and deploy an
environment, and where the jobs that talk to the Kubernetes API run
(docs/operations.md)."""

from __future__ import annotations

from enum import StrEnum

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

    github_repository: GithubRepository
    oidc_provider: OidcProvider = OidcProvider.CREATE
    kubernetes_jobs: KubernetesJobs = KubernetesJobs.CODEBUILD
    # Retention of the in-VPC runners' build logs.
    runner_log_retention_days: RetentionDays = 30
    # A CodeConnections (GitHub App) connection for the runners; None: the
    # account's default CodeBuild source credential (docs/operations.md).
    codebuild_connection_arn: ConnectionArn | None = None
