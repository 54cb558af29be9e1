"""Invariants over the user's own envs/, whatever its values (a platform team
edits or replaces the shipped examples on day one): see tests/invariants.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from envs import load_environments
from tests.conftest import FIXTURES, ROOT, Synth
from tests.invariants import Outcome, checkov_problems, synthesize
from tools.first_deploy import check as first_deploy_findings

USER_ENVS = ROOT / "envs"


@pytest.fixture(scope="module")
def user(synth: Synth, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """The user's environments synthesized. One whose validated configuration equals
    the fixture environment of its name synthesizes to the same JSON (tests/test_main.py
    shows synth is deterministic): the shared synth stands in for it."""
    fixtures = {e.name: e for e in load_environments(FIXTURES)}
    users = load_environments({"PLATFORM_ENVS_DIR": str(USER_ENVS)})
    same = {e.name for e in users if fixtures.get(e.name) == e}
    differ = [e.name for e in users if e.name not in same]
    stacks = {n: d for n, d in synth.stacks.items() if n.rpartition("-")[0] in same}
    problems = [str(f) for f in first_deploy_findings(synth.outdir) if f.stack.rpartition("-")[0] in same]
    production = {e.name: e.production for e in users}
    if differ:
        own = synthesize(USER_ENVS, tmp_path_factory.mktemp("user") / "cdktf.out", {"PLATFORM_ENVS": ",".join(differ)})
        stacks |= own.stacks
        problems += own.problems
    return Outcome(synth.outdir, stacks, production, problems)


def test_every_user_environment_synthesizes_and_deploys_in_order(user: Outcome) -> None:
    assert user.problems == []
    names = {p.stem for p in USER_ENVS.glob("*.yaml")}
    assert {stack.rpartition("-")[0] for stack in user.stacks} == names


def test_checkov_finds_nothing_outside_the_allowlist(user: Outcome, synth: Synth, tmp_path: Path) -> None:
    assert checkov_problems(user, tmp_path, synth.stacks) == []
