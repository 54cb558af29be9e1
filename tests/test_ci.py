"""Who CI runs as (OIDC roles in E-bootstrap) and where its Kubernetes jobs run
(CodeBuild runners in E-cluster), on the shared synth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ENV_NAMES, Synth, resolve_policy

ISSUER = "token.actions.githubusercontent.com"


def by_name(synth: Synth, stack: str, kind: str, name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, r) for k, r in synth.resources(stack, kind).items() if r.get("name") == name]
    return found


@pytest.mark.parametrize("env", ENV_NAMES)
def test_plan_and_deploy_roles_trust_only_the_repository(synth: Synth, env: str) -> None:
    stack = f"{env}-bootstrap"
    (provider_key, provider) = next(iter(synth.resources(stack, "aws_iam_openid_connect_provider").items()))
    assert provider["url"] == f"https://{ISSUER}" and provider["client_id_list"] == ["sts.amazonaws.com"]
    subjects = {
        "plan": "repo:example-org/eks-platform:pull_request",
        "deploy": f"repo:example-org/eks-platform:environment:{env}",
    }
    for purpose, subject in subjects.items():
        key, role = by_name(synth, stack, "aws_iam_role", f"{env}-platform-ci-{purpose}")
        (statement,) = resolve_policy(synth, stack, role["assume_role_policy"])["statement"]
        assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
        assert statement["principals"] == [
            {"type": "Federated", "identifiers": [f"${{aws_iam_openid_connect_provider.{provider_key}.arn}}"]}
        ]
        assert sorted((c["variable"], c["test"], tuple(c["values"])) for c in statement["condition"]) == [
            (f"{ISSUER}:aud", "StringEquals", ("sts.amazonaws.com",)),
            (f"{ISSUER}:sub", "StringEquals", (subject,)),
        ]
        attached = [
            a["policy_arn"].rsplit("/", 1)[1]
            for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
            if a["role"] == f"${{aws_iam_role.{key}.name}}"
        ]
        assert attached == (["ReadOnlyAccess"] if purpose == "plan" else ["AdministratorAccess"])
        assert synth.stack(stack)["output"][f"{purpose}_role_arn"]["value"] == f"${{aws_iam_role.{key}.arn}}"


@pytest.mark.parametrize("env", ENV_NAMES)
def test_plan_role_reads_state_and_decrypts_it_with_the_state_key(synth: Synth, env: str) -> None:
    stack = f"{env}-bootstrap"
    plan_key, _ = by_name(synth, stack, "aws_iam_role", f"{env}-platform-ci-plan")
    (inline,) = synth.resources(stack, "aws_iam_role_policy").values()
    assert inline["role"] == f"${{aws_iam_role.{plan_key}.id}}"
    statements = {s["sid"]: s for s in resolve_policy(synth, stack, inline["policy"])["statement"]}
    (bucket_key,) = synth.resources(stack, "aws_s3_bucket")
    (kms_key,) = synth.resources(stack, "aws_kms_key")
    assert statements["ReadState"]["actions"] == ["s3:GetObject"]
    assert statements["ReadState"]["resources"] == [f"${{aws_s3_bucket.{bucket_key}.arn}}/*"]
    assert statements["DecryptState"]["resources"] == [f"${{aws_kms_key.{kms_key}.arn}}"]
    assert "kms:Encrypt" not in statements["DecryptState"]["actions"]


def test_state_key_alias_is_what_the_backends_name(synth: Synth) -> None:
    for env in ENV_NAMES:
        (alias,) = synth.resources(f"{env}-bootstrap", "aws_kms_alias").values()
        backend = synth.stack(f"{env}-cluster")["terraform"]["backend"]["s3"]
        assert backend["kms_key_id"] == alias["name"] == f"alias/example-platform-{env}-tfstate-state"


@pytest.mark.parametrize("env", ENV_NAMES)
def test_runner_in_the_private_subnets_may_reach_the_api_and_nothing_reaches_it(synth: Synth, env: str) -> None:
    stack = f"{env}-cluster"
    project_key, project = by_name(synth, stack, "aws_codebuild_project", f"{env}-platform-ci-runner")
    assert project["source"] == {"type": "GITHUB", "location": "https://github.com/example-org/eks-platform.git"}
    assert project["environment"]["privileged_mode"] is False
    vpc = project["vpc_config"]
    assert all("network_private-" in s for s in vpc["subnets"]) and len(vpc["subnets"]) == 3
    (group_ref,) = vpc["security_group_ids"]
    group_key = group_ref.removeprefix("${aws_security_group.").removesuffix(".id}")
    group = synth.resources(stack, "aws_security_group")[group_key]
    assert "ingress" not in group and "egress" not in group
    (egress,) = [
        r
        for r in synth.resources(stack, "aws_vpc_security_group_egress_rule").values()
        if group_key in r["security_group_id"]
    ]
    assert (egress["ip_protocol"], egress["from_port"], egress["to_port"]) == ("tcp", 443, 443)
    ingress = [r for r in synth.resources(stack, "aws_vpc_security_group_ingress_rule").values() if group_key in str(r)]
    (api,) = ingress  # the only rule naming the runner: into the cluster security group, never into the runner
    assert "cluster_security_group_id" in api["security_group_id"]
    assert (api["ip_protocol"], api["from_port"], api["to_port"]) == ("tcp", 443, 443)
    (hook,) = synth.resources(stack, "aws_codebuild_webhook").values()
    assert hook["project_name"] == f"${{aws_codebuild_project.{project_key}.name}}"
    assert hook["filter_group"] == [{"filter": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}]
    assert synth.stack(stack)["output"]["ci_runner_project"]["value"] == f"{env}-platform-ci-runner"
    log_group = synth.resources(stack, "aws_cloudwatch_log_group")
    assert any(
        g["name"] == f"/aws/codebuild/{env}-platform-ci-runner" and g.get("kms_key_id") for g in log_group.values()
    )


def test_runner_role_may_only_create_interfaces_in_its_subnets(synth: Synth) -> None:
    stack = "prod-cluster"
    _, role = by_name(synth, stack, "aws_iam_role", "prod-platform-ci-runner")
    (trust,) = resolve_policy(synth, stack, role["assume_role_policy"])["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["codebuild.amazonaws.com"]}]
    (policy,) = [p for p in synth.resources(stack, "aws_iam_role_policy").values() if "ci-runner" in p["role"]]
    statements = {s["sid"]: s for s in resolve_policy(synth, stack, policy["policy"])["statement"]}
    permission = statements["AttachToRunnerSubnets"]
    conditions = {c["variable"]: c["values"] for c in permission["condition"]}
    assert conditions["ec2:AuthorizedService"] == ["codebuild.amazonaws.com"]
    assert len(conditions["ec2:Subnet"]) == 3 and all("network_private-" in s for s in conditions["ec2:Subnet"])
    assert statements["RunnerNetworkInterfaces"]["resources"] != ["*"]
    assert json.dumps(statements["DescribeVpc"]["actions"]).count("Create") == 0


CONNECTION = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0b5e3f0c-1d2e-4f5a-9b8c-7d6e5f4a3b2c"


def test_runner_with_a_codeconnections_connection_may_use_it() -> None:
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from modules.base.cluster import ClusterHandle
    from modules.base.kms import AccountContext
    from modules.delivery.runner import CiRunner, CiRunnerSettings

    app = Testing.app()
    stack = TerraformStack(app, "runner")
    AwsProvider(stack, "aws", region="eu-west-1")
    cluster = ClusterHandle(
        name="t-platform",
        name_ref="t-platform",
        region="eu-west-1",
        account=AccountContext(stack, "account"),
        security_group_id="sg-1",
        endpoint="https://example",
        certificate_authority_data="Y2E=",
    )
    settings = CiRunnerSettings(
        repository="acme/platform",
        vpc_id="vpc-1",
        subnet_ids=["subnet-1"],
        subnet_arns=["arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1"],
        connection_arn=CONNECTION,
    )
    CiRunner(stack, "ci-runner", settings, cluster=cluster)
    doc = json.loads(Testing.synth(stack))
    (project,) = doc["resource"]["aws_codebuild_project"].values()
    assert project["source"]["auth"] == {"type": "CODECONNECTIONS", "resource": CONNECTION}
    documents = doc["data"]["aws_iam_policy_document"]
    (permissions,) = [d for name, d in documents.items() if "service-permissions" in name]
    (use,) = [s for s in permissions["statement"] if s["sid"] == "UseGithubConnection"]
    assert use["resources"] == [CONNECTION] and "codeconnections:GetConnectionToken" in use["actions"]
    (trust,) = [d for name, d in documents.items() if "service-role-trust" in name]
    assert trust["statement"][0]["condition"][0]["variable"] == "aws:SourceAccount"
