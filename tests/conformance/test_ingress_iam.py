"""The AWS Load Balancer Controller's IAM policy against upstream 3.5.0's
`iam_policy.json`, statement by statement and in order, and the role that EKS Pod
Identity binds to the controller's service account."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from modules.ingress.aws import NAMESPACE, SERVICE_ACCOUNT
from tests.conformance.upstream import require
from tests.conftest import ENV_NAMES, UPSTREAM, Synth, resolve_policy

CHART = UPSTREAM / "aws-load-balancer-controller" / "3.5.0"

# (effect, actions, resources, conditions) with sets: order inside a statement does not matter.
Normalized = tuple[str, frozenset[str], frozenset[str], frozenset[tuple[str, str, frozenset[str]]]]


def _as_set(value: str | list[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset({"*"})
    return frozenset([value] if isinstance(value, str) else value)


def upstream_policy() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(require(CHART / "iam_policy.json").read_text())
    return loaded


def normalize_upstream(document: dict[str, Any]) -> list[Normalized]:
    return [
        (
            st["Effect"],
            _as_set(st["Action"]),
            _as_set(st.get("Resource")),
            frozenset(
                (test, variable, _as_set(values))
                for test, pairs in st.get("Condition", {}).items()
                for variable, values in pairs.items()
            ),
        )
        for st in document["Statement"]
    ]


def normalize_ours(statements: list[dict[str, Any]]) -> list[Normalized]:
    def clean(text: str) -> str:
        return re.sub(r"\$\{data\.aws_partition\.[^}]+\}", "aws", text)

    return [
        (
            st["effect"],
            frozenset(st["actions"]),
            frozenset(clean(r) for r in st.get("resources", ["*"])),
            frozenset(
                (c["test"], c["variable"], frozenset(clean(v) for v in c["values"])) for c in st.get("condition", [])
            ),
        )
        for st in statements
    ]


def differences(ours: list[Normalized], upstream: list[Normalized]) -> list[str]:
    found = [f"statement {i}: {a} != {b}" for i, (a, b) in enumerate(zip(ours, upstream, strict=False)) if a != b]
    if len(ours) != len(upstream):
        found.append(f"{len(ours)} statements, upstream has {len(upstream)}")
    return found


def our_statements(synth: Synth, env: str) -> list[dict[str, Any]]:
    stack = f"{env}-cluster"
    (policy,) = [
        p
        for p in synth.resources(stack, "aws_iam_policy").values()
        if p["name"] == f"AWSLoadBalancerControllerIAMPolicy-{env}-platform"
    ]
    statements: list[dict[str, Any]] = resolve_policy(synth, stack, policy["policy"])["statement"]
    return statements


@pytest.mark.parametrize("env", ENV_NAMES)
def test_policy_matches_upstream_statement_by_statement(synth: Synth, env: str) -> None:
    upstream = normalize_upstream(upstream_policy())
    assert len(upstream) == 16
    assert differences(normalize_ours(our_statements(synth, env)), upstream) == []


def test_comparison_fails_when_one_action_is_dropped(synth: Synth) -> None:
    statements = copy.deepcopy(our_statements(synth, "dev"))
    statements[12]["actions"] = statements[12]["actions"][:-1]  # ModifyIpPools gone
    (difference,) = differences(normalize_ours(statements), normalize_upstream(upstream_policy()))
    assert difference.startswith("statement 12:")


@pytest.mark.parametrize("env", ENV_NAMES)
def test_role_is_bound_by_pod_identity_to_the_controller(synth: Synth, env: str) -> None:
    stack = f"{env}-cluster"
    (role_address,) = [
        k
        for k, r in synth.resources(stack, "aws_iam_role").items()
        if r["name"] == f"AWSLoadBalancerController-{env}-platform"
    ]
    trust = resolve_policy(synth, stack, synth.resources(stack, "aws_iam_role")[role_address]["assume_role_policy"])
    (statement,) = trust["statement"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["pods.eks.amazonaws.com"]}]
    assert sorted(statement["actions"]) == ["sts:AssumeRole", "sts:TagSession"]
    associations = [
        a
        for a in synth.resources(stack, "aws_eks_pod_identity_association").values()
        if a["service_account"] == SERVICE_ACCOUNT
    ]
    assert [(a["namespace"], a["role_arn"]) for a in associations] == [
        (NAMESPACE, f"${{aws_iam_role.{role_address}.arn}}")
    ]
    policies = {k for k, p in synth.resources(stack, "aws_iam_policy").items() if "AWSLoadBalancer" in p["name"]}
    attached = {
        a["policy_arn"]
        for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
        if a["role"] == f"${{aws_iam_role.{role_address}.name}}"
    }
    assert attached == {f"${{aws_iam_policy.{k}.arn}}" for k in policies}
