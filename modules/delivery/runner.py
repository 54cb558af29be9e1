"""GitHub Actions runners inside the VPC, hosted by CodeBuild.

A private EKS endpoint answers only from the VPC, and an allow-listed public
one never answers GitHub-hosted runners (their addresses change). The jobs that
plan and apply the Kubernetes-facing stacks run here instead: CodeBuild starts
a runner in the private subnets for every queued workflow job that asks for it
(`runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`),
and the job assumes the environment's plan or deploy role through OIDC as
anywhere else. The runner may reach the cluster's API (443 on the cluster
security group) and HTTPS anywhere (GitHub, package registries, AWS APIs);
nothing may reach it.

Connecting CodeBuild to GitHub is a manual step, once per account and region
(docs/operations.md): either the account's default source credential (a token
or OAuth), or a CodeConnections connection named in config, which the runner's
role may then use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProject,
    CodebuildProjectArtifacts,
    CodebuildProjectEnvironment,
    CodebuildProjectLogsConfig,
    CodebuildProjectLogsConfigCloudwatchLogs,
    CodebuildProjectSource,
    CodebuildProjectSourceAuth,
    CodebuildProjectVpcConfig,
)
from cdktf_cdktf_provider_aws.codebuild_webhook import (
    CodebuildWebhook,
    CodebuildWebhookFilterGroup,
    CodebuildWebhookFilterGroupFilter,
)
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.iam import Condition, Statement, policy_document, service_role
from modules.base.kms import EncryptionKey, logs_service_statement
from modules.base.log_groups import encrypted_log_group

HTTPS = 443
# Ubuntu standard image: the actions the workflows use (setup-python in
# particular) ship builds for Ubuntu only, not for Amazon Linux.
RUNNER_IMAGE = "aws/codebuild/standard:7.0"
# 4 vCPUs, 7 GiB: a synth loads the AWS provider's jsii assembly (hundreds of MB).
RUNNER_COMPUTE = "BUILD_GENERAL1_MEDIUM"
RUNNER_TIMEOUT_MINUTES = 180


def runner_project_name(cluster_name: str) -> str:
    return f"{cluster_name}-ci-runner"


def runs_on_label(project: str) -> str:
    """The `runs-on` value a workflow job uses to land on this runner."""
    return f"codebuild-{project}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


@dataclass(frozen=True)
class CiRunnerSettings:
    """Configuration of the CI runner: its CodeBuild project, network and logs."""

    repository: str
    """The GitHub repository whose workflow jobs it runs: owner/name."""
    vpc_id: str
    """The VPC the runners run in."""
    subnet_ids: Sequence[str]
    """Subnets the runners run in: the private ones (egress through NAT, no public IP)."""
    subnet_arns: Sequence[str]
    """ARNs of `subnet_ids`: the only subnets the runners' role may create network interfaces in."""
    log_retention_days: int = 30
    """Days the build logs are kept. Default: 30."""
    protect: bool = False
    """`prevent_destroy` on the build logs' KMS key and log group. Default: False."""
    connection_arn: str | None = None
    """CodeConnections (GitHub App) connection to use. Default: None (the account's default source credential)."""


class CiRunner(Construct):
    def __init__(self, scope: Construct, id_: str, settings: CiRunnerSettings, *, cluster: ClusterHandle) -> None:
        super().__init__(scope, id_)
        s = settings
        account = cluster.account
        self.project_name = name = runner_project_name(cluster.name)
        self.security_group = SecurityGroup(
            self,
            "security-group",
            name_prefix=f"{name}-",
            description=f"CodeBuild GitHub Actions runners of {cluster.name}: HTTPS out, nothing in",
            vpc_id=s.vpc_id,
            tags={"Name": name},
        )
        VpcSecurityGroupEgressRule(
            self,
            "https-out",
            security_group_id=self.security_group.id,
            description="GitHub, package registries, AWS APIs and the cluster endpoint",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            cidr_ipv4="0.0.0.0/0",
        )
        self.api_access = VpcSecurityGroupIngressRule(
            self,
            "cluster-api-from-runner",
            security_group_id=cluster.security_group_id,
            description=f"Kubernetes API from the CI runners ({name})",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            referenced_security_group_id=self.security_group.id,
        )
        key = EncryptionKey(
            self,
            "kms",
            account=account,
            alias=name,
            description=f"Build logs and artifacts of {name}",
            service_statements=[logs_service_statement(account)],
            protect=s.protect,
        )
        log_group = encrypted_log_group(
            self,
            "logs",
            name=f"/aws/codebuild/{name}",
            retention_days=s.log_retention_days,
            kms_key_arn=key.arn,
            protect=s.protect,
        )
        role = service_role(
            self,
            "service-role",
            name=name,
            service="codebuild.amazonaws.com",
            partition=account.partition,
            source_account=account.account_id,  # no confused deputy: only this account's projects
        ).role
        connection = (
            [
                Statement(
                    sid="UseGithubConnection",
                    actions=[
                        "codeconnections:GetConnection",
                        "codeconnections:GetConnectionToken",
                        "codeconnections:UseConnection",
                    ],
                    resources=[s.connection_arn],
                )
            ]
            if s.connection_arn
            else []
        )
        interfaces = f"arn:{account.partition}:ec2:{account.region}:{account.account_id}:network-interface/*"
        permissions = policy_document(
            self,
            "service-permissions",
            [
                Statement(
                    sid="WriteBuildLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.arn, f"{log_group.arn}:*"],
                ),
                Statement(
                    sid="UseBuildKey",
                    actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    resources=[key.arn],
                ),
                # What CodeBuild needs to place a build in the VPC (its documented
                # policy, with the writes scoped to the runner's subnets and group).
                Statement(
                    sid="DescribeVpc",
                    actions=[
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeVpcs",
                    ],
                ),
                Statement(
                    sid="RunnerNetworkInterfaces",
                    actions=["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
                    resources=[interfaces, *s.subnet_arns, self.security_group.arn],
                ),
                Statement(
                    sid="AttachToRunnerSubnets",
                    actions=["ec2:CreateNetworkInterfacePermission"],
                    resources=[interfaces],
                    conditions=[
                        Condition("StringEquals", "ec2:AuthorizedService", ["codebuild.amazonaws.com"]),
                        Condition("ArnEquals", "ec2:Subnet", list(s.subnet_arns)),
                    ],
                ),
                *connection,
            ],
        )
        policy = IamRolePolicy(self, "service-policy", role=role.id, policy=permissions.json)
        self.project = CodebuildProject(
            self,
            "project",
            name=name,
            description=f"GitHub Actions runners for {s.repository} inside the VPC of {cluster.name}",
            service_role=role.arn,
            encryption_key=key.arn,
            build_timeout=RUNNER_TIMEOUT_MINUTES,
            artifacts=CodebuildProjectArtifacts(type="NO_ARTIFACTS"),
            source=CodebuildProjectSource(
                type="GITHUB",
                location=f"https://github.com/{s.repository}.git",
                auth=CodebuildProjectSourceAuth(type="CODECONNECTIONS", resource=s.connection_arn)
                if s.connection_arn
                else None,
            ),
            environment=CodebuildProjectEnvironment(
                type="LINUX_CONTAINER",
                compute_type=RUNNER_COMPUTE,
                image=RUNNER_IMAGE,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,
            ),
            vpc_config=CodebuildProjectVpcConfig(
                vpc_id=s.vpc_id, subnets=list(s.subnet_ids), security_group_ids=[self.security_group.id]
            ),
            logs_config=CodebuildProjectLogsConfig(
                cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(status="ENABLED", group_name=log_group.name)
            ),
            # The role must be able to create ENIs before CodeBuild validates the VPC settings.
            depends_on=[policy],
        )
        # A runner for every queued job that names this project in `runs-on`.
        CodebuildWebhook(
            self,
            "webhook",
            project_name=self.project.name,
            build_type="BUILD",
            filter_group=[
                CodebuildWebhookFilterGroup(
                    filter=[CodebuildWebhookFilterGroupFilter(type="EVENT", pattern="WORKFLOW_JOB_QUEUED")]
                )
            ],
        )
