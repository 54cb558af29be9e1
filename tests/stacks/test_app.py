"""stacks/app.py on the shared synth: every environment's stacks, and the best-practice
rules looked at all of them and found nothing."""

from __future__ import annotations

from tests.conftest import ENV_NAMES, Synth

LAYERS = ("bootstrap", "network")


def test_every_environment_has_its_stacks(synth: Synth) -> None:
    assert {f"{e}-{layer}" for e in ENV_NAMES for layer in LAYERS} <= set(synth.stacks)


def test_shipped_environments_break_no_rule(synth: Synth) -> None:
    # The rules did look at every environment's subnets and log groups ...
    assert synth.rules.checked["worker-subnet-routes"] >= 9
    assert synth.rules.checked["log-group"] >= 3
    assert synth.rules.violations == []
    # ... and nothing else reported an error.
    for name, entry in synth.manifest["stacks"].items():
        assert [a for a in entry["annotations"] if a["level"] == "ERROR"] == [], name


def test_node_group_rule_follows_cross_stack_references(synth: Synth) -> None:
    # Each cluster stack's node group reads its subnets from the network stack.
    assert synth.rules.checked["node-group-subnets"] == 3


def test_rules_looked_at_every_shipped_workload_and_team(synth: Synth) -> None:
    assert synth.rules.checked["workload"] == 3 + 1  # a placeholder per environment, podinfo in dev
    assert synth.rules.checked["team-namespace"] == 4  # web x 3, payments in prod
