"""modules/delivery: CI's identity (GitHub OIDC, the plan and deploy roles) and the
CodeBuild-hosted runner inside the VPC, as cdktf unit tests."""

from __future__ import annotations

import json

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.delivery.identity import CiIdentity, CiIdentitySettings, oidc_subject
from modules.delivery.runner import CiRunner, CiRunnerSettings, runs_on_label
from tests.modules.helpers import (
    CLUSTER,
    CLUSTER_SG,
    REGION,
    Doc,
    cluster_handle,
    data,
    named,
    only,
    parse,
    ref,
    resources,
    statements,
)

CONNECTION = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0b5e3f0c-1d2e-4f5a-9b8c-7d6e5f4a3b2c"
REPOSITORY = "acme/platform"
STATE_BUCKET = "arn:aws:s3:::acme-tfstate"
STATE_KEY = "arn:aws:kms:eu-west-1:123456789012:key/state"
SUBNET_ARN = "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1"


def identity_settings(create_oidc_provider: bool) -> CiIdentitySettings:
    return CiIdentitySettings(
        cluster_name=CLUSTER,
        environment="dev",
        repository=REPOSITORY,
        create_oidc_provider=create_oidc_provider,
        state_bucket_arn=STATE_BUCKET,
        state_key_arn=STATE_KEY,
    )


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The identity creating GitHub's OIDC provider, and a runner with a CodeConnections connection."""
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("delivery"))), "delivery")
    AwsProvider(stack, "aws", region=REGION)
    cluster = cluster_handle(stack)
    CiIdentity(stack, "ci", identity_settings(create_oidc_provider=True), account=cluster.account)
    settings = CiRunnerSettings(
        repository=REPOSITORY,
        vpc_id="vpc-1",
        subnet_ids=["subnet-1"],
        subnet_arns=[SUBNET_ARN],
        connection_arn=CONNECTION,
    )
    CiRunner(stack, "ci-runner", settings, cluster=cluster)
    return Testing.synth(stack)


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The identity looking GitHub's OIDC provider up, and a runner on the account's default credential."""
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("delivery-defaults"))), "delivery")
    AwsProvider(stack, "aws", region=REGION)
    cluster = cluster_handle(stack)
    CiIdentity(stack, "ci", identity_settings(create_oidc_provider=False), account=cluster.account)
    settings = CiRunnerSettings(
        repository=REPOSITORY, vpc_id="vpc-1", subnet_ids=["subnet-1"], subnet_arns=[SUBNET_ARN], protect=True
    )
    CiRunner(stack, "ci-runner", settings, cluster=cluster)
    return Testing.synth(stack)


def role(doc: Doc, name: str) -> tuple[str, Doc]:
    ((key, body),) = [(k, r) for k, r in resources(doc, "aws_iam_role").items() if r["name"] == name]
    return key, body


def test_oidc_provider_created_or_looked_up(synthesized: str, defaults: str) -> None:
    issuer = "https://token.actions.githubusercontent.com"
    assert Testing.to_have_resource_with_properties(
        synthesized, "aws_iam_openid_connect_provider", {"url": issuer, "client_id_list": ["sts.amazonaws.com"]}
    )
    assert not Testing.to_have_data_source(synthesized, "aws_iam_openid_connect_provider")
    assert not Testing.to_have_resource(defaults, "aws_iam_openid_connect_provider")
    assert Testing.to_have_data_source_with_properties(defaults, "aws_iam_openid_connect_provider", {"url": issuer})
    (lookup,) = data(parse(defaults), "aws_iam_openid_connect_provider")
    _, deploy = role(parse(defaults), "demo-ci-deploy")
    (trust,) = statements(parse(defaults), deploy["assume_role_policy"]).values()
    assert trust["principals"][0]["identifiers"] == [f"${{data.aws_iam_openid_connect_provider.{lookup}.arn}}"]


@pytest.mark.parametrize(
    ("purpose", "subject", "policy", "session"),
    [
        ("plan", "repo:acme/platform:pull_request", "ReadOnlyAccess", 3600),
        ("deploy", "repo:acme/platform:environment:dev", "AdministratorAccess", 4 * 3600),
    ],
)
def test_ci_roles_trust_only_the_repository(
    synthesized: str, purpose: str, subject: str, policy: str, session: int
) -> None:
    doc = parse(synthesized)
    assert oidc_subject(REPOSITORY, purpose, "dev") == subject
    key, body = role(doc, f"demo-ci-{purpose}")
    assert body["max_session_duration"] == session
    (trust,) = statements(doc, body["assume_role_policy"]).values()
    provider, _ = only(doc, "aws_iam_openid_connect_provider")
    assert trust["actions"] == ["sts:AssumeRoleWithWebIdentity"] and "resources" not in trust
    assert trust["principals"] == [
        {"type": "Federated", "identifiers": [ref("aws_iam_openid_connect_provider", provider, "arn")]}
    ]
    assert sorted((c["variable"], c["test"], c["values"]) for c in trust["condition"]) == [
        ("token.actions.githubusercontent.com:aud", "StringEquals", ["sts.amazonaws.com"]),
        ("token.actions.githubusercontent.com:sub", "StringEquals", [subject]),
    ]
    (attachment,) = [
        a
        for a in resources(doc, "aws_iam_role_policy_attachment").values()
        if a["role"] == ref("aws_iam_role", key, "name")
    ]
    assert attachment["policy_arn"].endswith(f":iam::aws:policy/{policy}")


def test_plan_role_reads_and_decrypts_state_but_writes_nothing(synthesized: str) -> None:
    doc = parse(synthesized)
    plan_key, _ = role(doc, "demo-ci-plan")
    _, inline = named(doc, "aws_iam_role_policy", "plan-state-policy")
    assert inline["role"] == ref("aws_iam_role", plan_key, "id")
    granted = statements(doc, inline["policy"])
    assert {sid: (s["actions"], s["resources"]) for sid, s in granted.items()} == {
        "ListState": (["s3:ListBucket"], [STATE_BUCKET]),
        "ReadState": (["s3:GetObject"], [f"{STATE_BUCKET}/*"]),
        "DecryptState": (["kms:Decrypt", "kms:DescribeKey"], [STATE_KEY]),
    }


def test_runner_reaches_the_api_and_https_and_nothing_reaches_it(synthesized: str) -> None:
    doc = parse(synthesized)
    group_name, group = only(doc, "aws_security_group")
    assert "ingress" not in group and "egress" not in group
    runner_group = ref("aws_security_group", group_name, "id")
    (egress,) = resources(doc, "aws_vpc_security_group_egress_rule").values()
    assert egress["security_group_id"] == runner_group
    assert (egress["ip_protocol"], egress["from_port"], egress["to_port"], egress["cidr_ipv4"]) == (
        "tcp",
        443,
        443,
        "0.0.0.0/0",
    )
    (ingress,) = resources(doc, "aws_vpc_security_group_ingress_rule").values()
    # Into the cluster's security group, from the runner's: never into the runner's.
    assert ingress["security_group_id"] == CLUSTER_SG and ingress["referenced_security_group_id"] == runner_group
    assert (ingress["ip_protocol"], ingress["from_port"], ingress["to_port"]) == ("tcp", 443, 443)


def test_runner_project_in_the_private_subnets_unprivileged_with_encrypted_logs(synthesized: str) -> None:
    doc = parse(synthesized)
    group_name, _ = only(doc, "aws_security_group")
    key_name, key = only(doc, "aws_kms_key")
    log_group_name, _ = only(doc, "aws_cloudwatch_log_group")
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_codebuild_project",
        {
            "name": "demo-ci-runner",
            "encryption_key": ref("aws_kms_key", key_name, "arn"),
            "environment": {"privileged_mode": False, "type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0"},
            "vpc_config": {
                "vpc_id": "vpc-1",
                "subnets": ["subnet-1"],
                "security_group_ids": [ref("aws_security_group", group_name, "id")],
            },
            "logs_config": {
                "cloudwatch_logs": {
                    "status": "ENABLED",
                    "group_name": ref("aws_cloudwatch_log_group", log_group_name, "name"),
                }
            },
        },
    )
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_cloudwatch_log_group",
        {
            "name": "/aws/codebuild/demo-ci-runner",
            "retention_in_days": 30,
            "kms_key_id": ref("aws_kms_key", key_name, "arn"),
        },
    )
    assert key["enable_key_rotation"] is True and "lifecycle" not in key
    (hook,) = resources(doc, "aws_codebuild_webhook").values()
    assert hook["filter_group"] == [{"filter": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}]
    assert runs_on_label("demo-ci-runner") == "codebuild-demo-ci-runner-${{ github.run_id }}-${{ github.run_attempt }}"


def test_runner_role_creates_interfaces_only_in_its_subnets(synthesized: str) -> None:
    doc = parse(synthesized)
    _, policy = named(doc, "aws_iam_role_policy", "service-policy")
    granted = statements(doc, policy["policy"])
    attach = granted["AttachToRunnerSubnets"]
    assert {c["variable"]: (c["test"], c["values"]) for c in attach["condition"]} == {
        "ec2:AuthorizedService": ("StringEquals", ["codebuild.amazonaws.com"]),
        "ec2:Subnet": ("ArnEquals", [SUBNET_ARN]),
    }
    assert "*" not in granted["RunnerNetworkInterfaces"]["resources"]
    assert SUBNET_ARN in granted["RunnerNetworkInterfaces"]["resources"]
    assert not any("Create" in action for action in granted["DescribeVpc"]["actions"])


def test_runner_without_a_connection_uses_the_default_credential_and_can_be_protected(defaults: str) -> None:
    doc = parse(defaults)
    _, project = only(doc, "aws_codebuild_project")
    assert project["source"] == {"type": "GITHUB", "location": "https://github.com/acme/platform.git"}
    _, policy = named(doc, "aws_iam_role_policy", "service-policy")
    assert "UseGithubConnection" not in statements(doc, policy["policy"])
    _, key = only(doc, "aws_kms_key")
    _, log_group = only(doc, "aws_cloudwatch_log_group")
    assert key["lifecycle"] == log_group["lifecycle"] == {"prevent_destroy": True}


def test_runner_with_a_codeconnections_connection_may_use_it(synthesized: str) -> None:
    doc = json.loads(synthesized)
    (project,) = doc["resource"]["aws_codebuild_project"].values()
    assert project["source"]["auth"] == {"type": "CODECONNECTIONS", "resource": CONNECTION}
    documents = doc["data"]["aws_iam_policy_document"]
    (permissions,) = [d for name, d in documents.items() if "service-permissions" in name]
    (use,) = [s for s in permissions["statement"] if s["sid"] == "UseGithubConnection"]
    assert use["resources"] == [CONNECTION] and "codeconnections:GetConnectionToken" in use["actions"]
    (trust,) = [d for name, d in documents.items() if "service-role-trust" in name]
    assert trust["statement"][0]["condition"][0]["variable"] == "aws:SourceAccount"
