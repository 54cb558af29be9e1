"""One synthesis of every shipped environment per test session (the `synth` fixture),
shared by every test that reads the app's output: tests/stacks, tests/conformance,
tests/tools and tests/test_main.py (jsii makes each synth cost seconds). Construct
unit tests (tests/modules) never use it: each builds one small stack of its own.
Layout and conventions: docs/testing.md."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modules.base.provider_loading import enable_lazy_providers

enable_lazy_providers()

from cdktf import Testing  # noqa: E402

from modules.best_practices import BestPractices  # noqa: E402

# pytest would take cdktf's `Testing` (a class named Test*) for a test class in every
# module that imports it, and warn that it cannot collect it.
Testing.__test__ = False

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = Path(os.environ.get("PLATFORM_UPSTREAM_DIR", ROOT.parent / "shared" / "upstream"))
# The environments the tests own (known values); envs/ is the user's (tests/test_user_envs.py).
FIXTURE_ENVS = ROOT / "tests" / "fixtures" / "envs"
FIXTURES = {"PLATFORM_ENVS_DIR": str(FIXTURE_ENVS)}


@dataclass
class Synth:
    outdir: Path
    manifest: dict[str, Any]
    stacks: dict[str, dict[str, Any]]
    rules: BestPractices
    production: dict[str, bool]  # environment name -> production class

    def stack(self, name: str) -> dict[str, Any]:
        return self.stacks[name]

    def resources(self, stack: str, kind: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.stacks[stack].get("resource", {}).get(kind, {})
        return found

    def data(self, stack: str, kind: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.stacks[stack].get("data", {}).get(kind, {})
        return found

    def resource_by_path(self, stack: str, kind: str, path_suffix: str) -> dict[str, Any]:
        matches = [r for r in self.resources(stack, kind).values() if r["//"]["metadata"]["path"].endswith(path_suffix)]
        assert len(matches) == 1, f"{kind} ending in {path_suffix} in {stack}: {len(matches)} found"
        return matches[0]


ENV_NAMES = ("dev", "staging", "prod")


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    from envs import load_environments
    from stacks.app import build_app
    from tools.summary import stack_documents

    outdir = tmp_path_factory.mktemp("cdktf.out")
    environments = load_environments(FIXTURES)
    platform = build_app(environments, str(outdir))
    platform.app.synth()
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = stack_documents(outdir)
    production = {e.name: e.production for e in environments}
    yield Synth(outdir=outdir, manifest=manifest, stacks=stacks, rules=platform.rules, production=production)


def resolve_policy(synth: Synth, stack: str, ref: str) -> dict[str, Any]:
    """The aws_iam_policy_document a `${data.aws_iam_policy_document.X.json}` reference points at."""
    name = ref.removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    return synth.data(stack, "aws_iam_policy_document")[name]


# The files that take longest go first, so the two xdist workers finish together.
SLOW_FIRST = ("test_validate.py", "test_checkov.py", "test_user_edits.py", "test_main.py", "test_workflows.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)
