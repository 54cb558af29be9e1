"""Upstream reference data (../shared/upstream by default, PLATFORM_UPSTREAM_DIR
to override): Karpenter CRDs, chart values, the getting-started IAM template.
Read in place, never copied into the project; tests skip with the reason when absent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import UPSTREAM

KARPENTER = UPSTREAM / "karpenter" / "1.14.1"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"upstream reference data not found at {path} (set PLATFORM_UPSTREAM_DIR)")
    return path


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads CloudFormation short tags (!Sub, !Ref, !GetAtt) as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _tag)


def karpenter_template() -> dict[str, Any]:
    text = require(KARPENTER / "cloudformation.yaml").read_text()
    loaded: dict[str, Any] = yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


def karpenter_policy(template: dict[str, Any], name: str, substitutions: dict[str, str]) -> dict[str, Any]:
    """One controller policy document of the template, with ${...} replaced."""
    document = template["Resources"][name]["Properties"]["PolicyDocument"]
    text = re.sub(r"\$\{([^}]+)\}", lambda m: substitutions[m.group(1)], document)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def crd_schema(file_name: str, version: str = "v1") -> dict[str, Any]:
    crd = yaml.safe_load(require(KARPENTER / "crds" / file_name).read_text())
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            schema: dict[str, Any] = v["schema"]["openAPIV3Schema"]
            return schema
    raise AssertionError(f"{file_name} has no version {version}")


def chart_values(chart_dir: Path) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(require(chart_dir / "values.yaml").read_text())
    return values


# Keys whose value is a map of arbitrary keys in any chart (label and selector maps).
FREE_FORM_KEYS = frozenset({"nodeSelector", "podAnnotations", "podLabels", "annotations", "labels"})


def unknown_value_paths(ours: Any, upstream: Any, prefix: str = "") -> list[str]:
    """Paths set in `ours` that upstream's values.yaml does not have. Below a key
    whose upstream value is a free-form map or list ({} / [] / null), or one of
    FREE_FORM_KEYS, anything goes."""
    if prefix.rsplit(".", 1)[-1] in FREE_FORM_KEYS or not isinstance(ours, dict):
        return []
    if not isinstance(upstream, dict):
        return [] if upstream in ({}, [], None) or isinstance(upstream, list) else [prefix or "(root)"]
    if not upstream:
        return []
    missing = []
    for key, value in ours.items():
        path = f"{prefix}.{key}" if prefix else key
        if key not in upstream:
            missing.append(path)
        else:
            missing.extend(unknown_value_paths(value, upstream[key], path))
    return missing
