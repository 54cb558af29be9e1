"""`E-cluster`: the in-VPC CI runner, and the Karpenter controller's role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ENV_NAMES, Synth, resolve_policy


def by_name(synth: Synth, stack: str, kind: str, name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, r) for k, r in synth.resources(stack, kind).items() if r.get("name") == name]
    return found


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


def test_controller_role_is_for_pod_identity(synth: Synth) -> None:
    stack = "prod-cluster"
    associations = synth.resources(stack, "aws_eks_pod_identity_association").values()
    (association,) = [a for a in associations if a["service_account"] == "karpenter"]
    assert (association["namespace"], association["service_account"]) == ("kube-system", "karpenter")
    role_name = association["role_arn"].removeprefix("${aws_iam_role.").removesuffix(".arn}")
    role = synth.resources(stack, "aws_iam_role")[role_name]
    (trust,) = resolve_policy(synth, stack, role["assume_role_policy"])["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}]
    assert sorted(trust["actions"]) == ["sts:AssumeRole", "sts:TagSession"]
    entries = [e for e in synth.resources(stack, "aws_eks_access_entry").values() if e.get("type") == "EC2_LINUX"]
    assert len(entries) == 1 and entries[0]["principal_arn"].startswith("${aws_iam_role.karpenter_node-role_")
