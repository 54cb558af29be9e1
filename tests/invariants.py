"""What must hold for ANY valid configuration, whatever its values: it loads,
synthesizes without a best-practice violation, its first deploy checks out, and
checkov finds nothing outside the allow-list for each environment's class.
Run over the user's own envs/ (tests/test_user_envs.py) and over edited copies
(tests/test_user_edits.py); tests that need known values use tests/fixtures/."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envs import load_environments
from tests.conformance.checkov_scan import (
    allowed,
    load_allowlist,
    require_checkov,
    scan,
    write_kubernetes_manifests,
    write_stripped,
)
from tools.first_deploy import check as first_deploy_findings
from tools.summary import stack_documents


@dataclass
class Outcome:
    outdir: Path
    stacks: dict[str, dict[str, Any]]
    production: dict[str, bool]
    problems: list[str]


def synthesize(envs_dir: Path, outdir: Path, environ: dict[str, str] | None = None) -> Outcome:
    """Loads every environment of `envs_dir` (a ConfigError propagates: that is a bad
    file, not an invariant), synthesizes them, and collects rule violations and
    first-deploy findings."""
    from stacks.app import build_app

    environments = load_environments({"PLATFORM_ENVS_DIR": str(envs_dir), **(environ or {})})
    platform = build_app(environments, str(outdir))
    try:
        platform.app.synth()
    except Exception:  # jsii raises on a rule violation; the violations say which
        if not platform.rules.violations:
            raise
        return Outcome(outdir, {}, {}, [str(v) for v in platform.rules.violations])
    problems = [str(f) for f in first_deploy_findings(outdir)]
    return Outcome(outdir, stack_documents(outdir), {e.name: e.production for e in environments}, problems)


def checkov_problems(outcome: Outcome, workdir: Path, already_scanned: dict[str, dict[str, Any]]) -> list[str]:
    """checkov findings outside the allow-list. A stack byte-identical to one
    already scanned (the fixture synth's) has the same findings: not scanned twice."""
    require_checkov()
    stacks = {n: d for n, d in outcome.stacks.items() if json.dumps(d) != json.dumps(already_scanned.get(n))}
    if not stacks:
        return []
    write_stripped(stacks, workdir)
    write_kubernetes_manifests(stacks, workdir)
    findings = scan(workdir)
    entries = load_allowlist()
    return [str(f) for f in findings if not any(allowed(f, e, outcome.production) for e in entries)]
