"""One synthesis of every shipped environment per test session, shared by all
stack tests (jsii makes each synth cost seconds)."""

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

from modules.best_practices import BestPractices  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = Path(os.environ.get("PLATFORM_UPSTREAM_DIR", ROOT.parent / "shared" / "upstream"))


@dataclass
class Synth:
    outdir: Path
    manifest: dict[str, Any]
    stacks: dict[str, dict[str, Any]]
    rules: BestPractices

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
    platform = build_app(load_environments({}), str(outdir))
    platform.app.synth()
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = stack_documents(outdir)
    yield Synth(outdir=outdir, manifest=manifest, stacks=stacks, rules=platform.rules)


def resolve_policy(synth: Synth, stack: str, ref: str) -> dict[str, Any]:
    """The aws_iam_policy_document a `${data.aws_iam_policy_document.X.json}` reference points at."""
    name = ref.removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    return synth.data(stack, "aws_iam_policy_document")[name]
