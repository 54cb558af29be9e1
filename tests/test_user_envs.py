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
    if load_environments({"PLATFORM_ENVS_DIR": str(USER_ENVS)}) == load_environments(FIXTURES):
        # The same validated configuration synthesizes to the same JSON (tests/test_main.py
        # shows synth is deterministic): check the shared synth instead of a second one.
        problems = [str(f) for f in first_deploy_findings(synth.outdir)]
        return Outcome(synth.outdir, synth.stacks, synth.production, problems)
    return synthesize(USER_ENVS, tmp_path_factory.mktemp("user") / "cdktf.out")


def test_every_user_environment_synthesizes_and_deploys_in_order(user: Outcome) -> None:
    assert user.problems == []
    names = {p.stem for p in USER_ENVS.glob("*.yaml")}
    assert {stack.rpartition("-")[0] for stack in user.stacks} == names


def test_checkov_finds_nothing_outside_the_allowlist(user: Outcome, synth: Synth, tmp_path: Path) -> None:
    assert checkov_problems(user, tmp_path, synth.stacks) == []
