"""The folder layout is the architecture: dependencies point one way
(envs -> planning <- modules <- stacks <- main), the planning core and the
configuration load without jsii, and features share names only through
modules/conventions.py."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# What each top-level package may import from this project.
ALLOWED = {
    "planning": {"planning"},
    "envs": {"envs", "planning"},
    "modules": {"modules", "planning"},
    "stacks": {"stacks", "modules", "envs", "planning"},
}
SHARED = {"base", "conventions"}  # modules/ every feature may use


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every import in a file, at any depth."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_dependencies_point_one_way(package: str) -> None:
    project = {"planning", "envs", "modules", "stacks", "tools", "tests", "main"}
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(package)
        for module, _ in imports(path)
        if module.split(".")[0] in project and module.split(".")[0] not in ALLOWED[package]
    ]
    assert wrong == []


def test_the_planning_core_and_envs_import_no_cdk() -> None:
    for package in ("planning", "envs"):
        for path in sources(package):
            heavy = [m for m, _ in imports(path) if m.split(".")[0].startswith(("cdktf", "constructs", "jsii"))]
            assert heavy == [], f"{path.relative_to(ROOT)} imports {heavy}"
    # And at run time: loading the configuration loads no jsii (a config error is reported in a blink).
    probe = "import sys, envs; envs.load_environments(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'constructs')))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def feature(path: Path) -> str:
    """modules/<feature>/x.py -> feature; modules/x.py -> x."""
    parts = path.relative_to(ROOT / "modules").with_suffix("").parts
    return parts[0]


def test_features_share_constants_only_through_conventions() -> None:
    """A feature may use a sibling's constructs and functions, but a constant
    (an UPPER_CASE name) two features need lives in modules/conventions.py."""
    wrong = []
    for path in sources("modules"):
        own = feature(path)
        for module, names in imports(path):
            parts = module.split(".")
            if parts[0] != "modules" or len(parts) < 2 or parts[1] in SHARED | {own}:
                continue
            constants = [n for n in names if n.isupper()]
            if constants:
                wrong.append(f"{path.relative_to(ROOT)} takes {constants} from {module}")
    assert wrong == []


def test_the_check_sees_a_sideways_constant(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from modules.network.vpc import KARPENTER_DISCOVERY_TAG, Network\n")
    module, names = imports(sample)[0]
    assert module == "modules.network.vpc" and [n for n in names if n.isupper()] == ["KARPENTER_DISCOVERY_TAG"]
