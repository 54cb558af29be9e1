"""Karpenter's AWS side against the upstream 1.14.1 getting-started template."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from modules.karpenter.aws import INTERRUPTION_EVENTS
from tests.conformance.upstream import karpenter_policy, karpenter_template
from tests.conftest import ENV_NAMES, Synth, resolve_policy

POLICIES = (
    "NodeLifecyclePolicy",
    "IAMIntegrationPolicy",
    "EKSIntegrationPolicy",
    "InterruptionPolicy",
    "ResourceDiscoveryPolicy",
    "ZonalShiftPolicy",
)


UPSTREAM_NAMES = {
    "AWS::Partition": "PARTITION",
    "AWS::Region": "REGION",
    "AWS::AccountId": "ACCOUNT",
    "ClusterName": "CLUSTER",
    "KarpenterNodeRole.Arn": "NODE_ROLE_ARN",
    "KarpenterInterruptionQueue.Arn": "QUEUE_ARN",
}


# Statements we grant beyond upstream, each with the reason. Empty: we grant exactly upstream.
EXTRA_STATEMENTS: dict[str, str] = {}


Normalized = dict[str, tuple[str, frozenset[str], frozenset[str], frozenset[tuple[str, str, frozenset[str]]]]]


def _as_set(value: str | list[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset({"*"})
    return frozenset([value] if isinstance(value, str) else value)


def normalize_upstream(document: dict[str, Any]) -> Normalized:
    result: Normalized = {}
    for st in document["Statement"]:
        conditions = frozenset(
            (test, variable, _as_set(values))
            for test, pairs in st.get("Condition", {}).items()
            for variable, values in pairs.items()
        )
        result[st["Sid"]] = (st["Effect"], _as_set(st["Action"]), _as_set(st.get("Resource")), conditions)
    return result


def normalize_ours(statements: list[dict[str, Any]], cluster: str) -> Normalized:
    def clean(text: str) -> str:
        text = re.sub(r"\$\{data\.aws_partition\.[^}]+\}", "PARTITION", text)
        text = re.sub(r"\$\{data\.aws_region\.[^}]+\}", "REGION", text)
        text = re.sub(r"\$\{data\.aws_caller_identity\.[^}]+\}", "ACCOUNT", text)
        text = re.sub(r"\$\{aws_iam_role\.karpenter_node-role_[^}]+\.arn\}", "NODE_ROLE_ARN", text)
        text = re.sub(r"\$\{aws_sqs_queue\.karpenter_interruption-queue_[^}]+\.arn\}", "QUEUE_ARN", text)
        return text.replace(cluster, "CLUSTER")

    result: Normalized = {}
    for st in statements:
        conditions = frozenset(
            (c["test"], clean(c["variable"]), frozenset(clean(v) for v in c["values"])) for c in st.get("condition", [])
        )
        resources = frozenset(clean(r) for r in st.get("resources", ["*"]))
        result[st["sid"]] = (st["effect"], frozenset(st["actions"]), resources, conditions)
    return result


def our_policies(synth: Synth, env: str) -> dict[str, Normalized]:
    stack = f"{env}-cluster"
    found = {}
    for policy in synth.resources(stack, "aws_iam_policy").values():
        name = policy["name"]
        if name.startswith("KarpenterController"):
            short = name.removeprefix("KarpenterController").removesuffix(f"-{env}-platform")
            statements = resolve_policy(synth, stack, policy["policy"])["statement"]
            found[short] = normalize_ours(statements, f"{env}-platform")
    return found


@pytest.mark.parametrize("env", ENV_NAMES)
def test_controller_policies_match_upstream_statement_by_statement(synth: Synth, env: str) -> None:
    template = karpenter_template()
    ours = our_policies(synth, env)
    assert set(ours) == set(POLICIES)
    for name in POLICIES:
        upstream = normalize_upstream(karpenter_policy(template, name, UPSTREAM_NAMES))
        mine = ours[name]
        missing = set(upstream) - set(mine)
        assert not missing, f"{name}: statements missing: {missing}"
        extra = set(mine) - set(upstream) - set(EXTRA_STATEMENTS)
        assert not extra, f"{name}: statements beyond upstream without a reason: {extra}"
        for sid, expected in upstream.items():
            assert mine[sid] == expected, f"{name}/{sid} differs from upstream"


def test_node_role_has_the_upstream_managed_policies(synth: Synth) -> None:
    template = karpenter_template()
    upstream = {
        arn.rsplit("/", 1)[1] for arn in template["Resources"]["KarpenterNodeRole"]["Properties"]["ManagedPolicyArns"]
    }
    stack = "prod-cluster"
    node_role = next(
        k for k, r in synth.resources(stack, "aws_iam_role").items() if r["name"] == "KarpenterNodeRole-prod-platform"
    )
    attached = {
        a["policy_arn"].rsplit("/", 1)[1]
        for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
        if a["role"] == f"${{aws_iam_role.{node_role}.name}}"
    }
    assert attached == upstream


def test_eventbridge_rules_match_upstream_detail_types(synth: Synth) -> None:
    template = karpenter_template()
    upstream = {
        (r["Properties"]["EventPattern"]["source"][0], r["Properties"]["EventPattern"]["detail-type"][0])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
    }
    assert len(upstream) == 5
    assert {(source, detail) for _, source, detail in INTERRUPTION_EVENTS} == upstream
    for env in ENV_NAMES:
        stack = f"{env}-cluster"
        rules = synth.resources(stack, "aws_cloudwatch_event_rule")
        patterns = {
            (p["source"][0], p["detail-type"][0]) for p in (json.loads(r["event_pattern"]) for r in rules.values())
        }
        assert patterns == upstream
        targets = synth.resources(stack, "aws_cloudwatch_event_target").values()
        (queue_name,) = synth.resources(stack, "aws_sqs_queue")
        assert {t["arn"] for t in targets} == {f"${{aws_sqs_queue.{queue_name}.arn}}"}
        assert len(list(targets)) == 5


def test_interruption_queue_matches_upstream(synth: Synth) -> None:
    template = karpenter_template()
    upstream = template["Resources"]["KarpenterInterruptionQueue"]["Properties"]
    stack = "prod-cluster"
    (queue,) = synth.resources(stack, "aws_sqs_queue").values()
    assert queue["name"] == "prod-platform"
    assert queue["message_retention_seconds"] == upstream["MessageRetentionPeriod"] == 300
    assert queue["sqs_managed_sse_enabled"] is True and upstream["SqsManagedSseEnabled"] is True
    (policy,) = synth.resources(stack, "aws_sqs_queue_policy").values()
    statements = {s["sid"]: s for s in resolve_policy(synth, stack, policy["policy"])["statement"]}
    send = statements["EventBridgeAndSqsSend"]
    assert send["actions"] == ["sqs:SendMessage"]
    assert send["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com", "sqs.amazonaws.com"]}]
    deny = statements["DenyInsecureTransport"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["sqs:*"]
