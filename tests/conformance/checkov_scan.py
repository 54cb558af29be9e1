"""Runs checkov over synthesized stacks (offline) and reads its JSON report.

cdktf writes explicit nulls inside nested blocks; checkov then treats a block
such as a security-group rule as unreadable and passes it. So we scan a copy
with every null removed (null means unset in Terraform JSON, so the copy is
the same configuration).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

CHECKOV = Path(os.environ.get("PLATFORM_CHECKOV", ROOT / ".tools" / "checkov" / "bin" / "checkov"))
ALLOWLIST = Path(__file__).with_name("checkov_allowlist.yaml")


@dataclass(frozen=True)
class Finding:
    check: str
    stack: str
    resource: str
    name: str
    framework: str = "terraform_json"

    def __str__(self) -> str:
        return f"{self.check} {self.stack} {self.resource}: {self.name}"


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


def write_stripped(stacks: dict[str, dict[str, Any]], target: Path) -> None:
    for name, doc in stacks.items():
        (target / name).mkdir(parents=True)
        copy = without_nulls(doc)
        # checkov 3.3.30's terraform_json parser fails on a string `required_version`
        # ("this method receives only dicts") and then scans nothing; it has no check on it.
        copy.get("terraform", {}).pop("required_version", None)
        (target / name / "cdk.tf.json").write_text(json.dumps(copy))


@dataclass(frozen=True)
class Report:
    failed: list[Finding]
    passed: list[Finding]

    def where(self, keep: Callable[[Finding], bool]) -> Report:
        return Report([f for f in self.failed if keep(f)], [f for f in self.passed if keep(f)])


def write_kubernetes_manifests(stacks: dict[str, dict[str, Any]], target: Path) -> int:
    """Every `kubernetes_manifest` of every stack as a YAML file beside the stack's
    JSON, for checkov's Kubernetes checks (which do not read Terraform JSON).
    Returns the count."""
    count = 0
    for name, doc in stacks.items():
        for address, resource in doc.get("resource", {}).get("kubernetes_manifest", {}).items():
            (target / name).mkdir(parents=True, exist_ok=True)
            (target / name / f"{address}.yaml").write_text(yaml.safe_dump(without_nulls(resource["manifest"])))
            count += 1
    return count


# One checkov run for both: it takes seconds to start.
FRAMEWORKS = ("terraform_json", "kubernetes")


def scan(directory: Path) -> list[Finding]:
    return scan_report(directory).failed


def scan_report(directory: Path, frameworks: tuple[str, ...] = FRAMEWORKS) -> Report:
    """checkov over `directory`, whose folders are stacks (their JSON and their manifests' YAML)."""
    result = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--framework", *frameworks, "--skip-download", "-o", "json"],
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"checkov failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    failed: list[Finding] = []
    passed: list[Finding] = []
    for section in report if isinstance(report, list) else [report]:
        if not isinstance(section, dict) or "results" not in section:
            continue
        if section["summary"].get("parsing_errors"):
            raise RuntimeError(f"checkov could not parse: {section['results'].get('parsing_errors')}")
        for kind, target in (("failed_checks", failed), ("passed_checks", passed)):
            for check in section["results"][kind]:
                stack = Path(check["file_path"]).parts[1]
                finding = Finding(
                    check["check_id"], stack, check["resource"], check["check_name"], section["check_type"]
                )
                target.append(finding)
    return Report(failed=failed, passed=passed)


def load_allowlist() -> list[dict[str, str]]:
    entries: list[dict[str, str]] = yaml.safe_load(ALLOWLIST.read_text())
    return entries


CLASSES = {"production": True, "non-production": False}


def allowed(finding: Finding, entry: dict[str, str], production: Mapping[str, bool]) -> bool:
    """`production`: environment name -> its class; an entry limited to a class
    matches stacks of environments of that class only."""
    environment = finding.stack.rpartition("-")[0]
    wanted = entry.get("environments")
    return (
        finding.check == entry["check"]
        and fnmatch.fnmatchcase(finding.stack, entry["stack"])
        and fnmatch.fnmatchcase(finding.resource, entry["resource"])
        and (wanted is None or production.get(environment) == CLASSES[wanted])
    )


def require_checkov() -> None:
    import pytest

    if shutil.which(str(CHECKOV)) is None:
        if os.environ.get("PLATFORM_REQUIRE_TOOLS") == "1":
            raise AssertionError(f"checkov not found at {CHECKOV}; `make test` installs it")
        pytest.skip(f"checkov not installed at {CHECKOV} (run `make test`, which installs it)")
