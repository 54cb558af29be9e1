"""Every version pin, per environment, in one table (`make versions`): Kubernetes,
the EKS add-ons (pinned in config or EKS's default), the Helm charts, the node
AMI alias, the pause image, and the Python and Node packages that shape the JSON.

Pure: the chart and image pins come from planning/pins.py (no jsii is loaded),
the environments through the loader, the packages from the Pipfile and package.json. The upgrade order: docs/upgrades.md."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from envs import ConfigError, Environment, load_environments
from envs.fields import AddonName
from planning.pins import CHARTS, PAUSE_IMAGE, PAUSE_VERSION

ROOT = Path(__file__).resolve().parent.parent
# The Pipfile packages that shape the synthesized JSON: cdktf and the provider bindings.
PACKAGES = (
    "cdktf",
    "constructs",
    "cdktf-cdktf-provider-aws",
    "cdktf-cdktf-provider-kubernetes",
    "cdktf-cdktf-provider-helm",
)
NODE_PACKAGES = ("cdktf-cli",)


@dataclass(frozen=True)
class Pin:
    kind: str  # kubernetes, eks-addon, helm-chart, ami, image, python-package, node-package
    name: str
    where: str  # the file that holds it
    versions: dict[str, str]  # environment -> version


def chart_pins() -> dict[str, str]:
    """Chart name -> version (planning/pins.py)."""
    return {chart.name: chart.version for chart in CHARTS}


def pause_image() -> str:
    return f"{PAUSE_IMAGE}:{PAUSE_VERSION}"


def python_packages(pipfile: Path = ROOT / "Pipfile") -> dict[str, str]:
    packages: Mapping[str, object] = tomllib.loads(pipfile.read_text())["packages"]
    return {name: str(packages[name]).removeprefix("==") for name in PACKAGES}


def terraform_providers() -> dict[str, str]:
    """hashicorp/<name> -> the Terraform provider version each installed binding is generated for
    (read from the binding's source; its __init__ is not run)."""
    found = {}
    for binding in PACKAGES[2:]:
        spec = importlib.util.find_spec(binding.replace("-", "_"))
        assert spec is not None and spec.origin is not None, f"{binding} is not installed"
        text = (Path(spec.origin).parent / "provider" / "__init__.py").read_text()
        match = re.search(r"registry\.terraform\.io/providers/(hashicorp/[a-z0-9-]+)/(\d+\.\d+\.\d+)", text)
        if match is None:
            raise ValueError(f"{binding}: no Terraform provider version found in its provider module")
        found[match.group(1)] = match.group(2)
    return found


def in_promotion_order(environments: list[Environment]) -> list[Environment]:
    """Lower `ci.deploy_order` first (the order upgrades go through), environments without CI last."""
    return sorted(environments, key=lambda e: (e.ci is None, e.ci.deploy_order if e.ci else 0, e.name))


def environment_order(names: list[str]) -> list[str]:
    """names in envs/'s promotion order; names envs/ does not hold (or cannot load) after, by name."""
    try:
        known = [e.name for e in in_promotion_order(load_environments({}))]
    except ConfigError:
        known = []
    return [n for n in known if n in names] + sorted(set(names) - set(known))


def node_packages(package_json: Path = ROOT / "package.json") -> dict[str, str]:
    dependencies: Mapping[str, str] = json.loads(package_json.read_text())["devDependencies"]
    return {name: dependencies[name] for name in NODE_PACKAGES}


def addons(env: Environment) -> list[str]:
    """The EKS add-ons env's cluster stack installs (the EFS CSI driver only with EFS)."""
    return [a for a in get_args(AddonName) if a != "aws-efs-csi-driver" or env.storage.efs.enabled]


def collect(environments: list[Environment]) -> list[Pin]:
    """Every pin, with its version in each environment ("-" where it is not installed)."""
    names = [e.name for e in environments]

    def same(value: str) -> dict[str, str]:
        return dict.fromkeys(names, value)

    pins = [
        Pin(
            "kubernetes",
            "EKS control plane",
            "envs/<env>.yaml",
            {e.name: e.cluster.kubernetes_version for e in environments},
        )
    ]
    pins.append(
        Pin("support", "upgrade policy", "envs/<env>.yaml", {e.name: e.cluster.support_type for e in environments})
    )
    for addon in get_args(AddonName):
        versions = {}
        for e in environments:
            pinned = e.cluster.addon_versions.get(addon)
            default = f"EKS default for {e.cluster.kubernetes_version}"
            versions[e.name] = "-" if addon not in addons(e) else (pinned or default)
        pins.append(Pin("eks-addon", addon, "envs/<env>.yaml", versions))
    pins += [Pin("helm-chart", n, "planning/pins.py", same(v)) for n, v in chart_pins().items()]
    pins.append(Pin("ami", "node AMI alias", "envs/<env>.yaml", {e.name: e.karpenter.ami_alias for e in environments}))
    pins.append(Pin("image", "pause", "planning/pins.py", same(pause_image())))
    pins += [Pin("python-package", n, "Pipfile", same(v)) for n, v in python_packages().items()]
    pins += [Pin("terraform-provider", n, "Pipfile (binding)", same(v)) for n, v in terraform_providers().items()]
    pins += [Pin("node-package", n, "package.json", same(v)) for n, v in node_packages().items()]
    return pins


def format_table(pins: list[Pin], names: list[str]) -> str:
    rows = [["kind", "name", *names, "pinned in"]]
    rows += [[p.kind, p.name, *(p.versions[n] for n in names), p.where] for p in pins]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def main() -> int:
    try:
        environments = load_environments()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    environments = in_promotion_order(environments)
    print(format_table(collect(environments), [e.name for e in environments]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
