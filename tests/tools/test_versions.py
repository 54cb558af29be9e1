"""tools/versions.py: every pin it lists is the one the synthesized JSON uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envs import load_environment, load_environments
from tests.conftest import ENV_NAMES, FIXTURE_ENVS, FIXTURES, Synth
from tools.versions import Pin, chart_pins, collect, format_table, in_promotion_order, pause_image


@pytest.fixture(scope="module")
def pins() -> dict[str, Pin]:
    return {p.name: p for p in collect(load_environments(FIXTURES))}


def test_charts_and_pause_image_are_the_synthesized_ones(synth: Synth) -> None:
    releases = {r["chart"]: r["version"] for r in synth.resources("dev-addons", "helm_release").values()}
    assert releases == chart_pins()
    assert pause_image() in json.dumps(synth.stack("dev-platform"))


@pytest.mark.parametrize("env", ENV_NAMES)
def test_environment_pins_are_the_synthesized_ones(synth: Synth, pins: dict[str, Pin], env: str) -> None:
    cluster = next(iter(synth.resources(f"{env}-cluster", "aws_eks_cluster").values()))
    assert pins["EKS control plane"].versions[env] == cluster["version"]
    assert pins["upgrade policy"].versions[env] == cluster["upgrade_policy"]["support_type"]
    assert f'"alias": "{pins["node AMI alias"].versions[env]}"' in json.dumps(synth.stack(f"{env}-platform"))
    required = synth.stack(f"{env}-cluster")["terraform"]["required_providers"]
    assert pins["hashicorp/aws"].versions[env] == required["aws"]["version"]


def test_addons_pinned_or_eks_default(tmp_path: Path, pins: dict[str, Pin]) -> None:
    assert pins["coredns"].versions == dict.fromkeys(ENV_NAMES, "EKS default for 1.34")
    assert pins["aws-efs-csi-driver"].versions == {"dev": "-", "staging": "-", "prod": "EKS default for 1.34"}
    text = (FIXTURE_ENVS / "dev.yaml").read_text()
    text = text.replace("cluster:\n", "cluster:\n  addon_versions: {coredns: v1.12.4-eksbuild.1}\n", 1)
    (tmp_path / "dev.yaml").write_text(text)
    pinned = {p.name: p for p in collect([load_environment(tmp_path / "dev.yaml", {})])}
    assert pinned["coredns"].versions == {"dev": "v1.12.4-eksbuild.1"}
    assert pinned["kube-proxy"].versions == {"dev": "EKS default for 1.34"}


def test_table_in_promotion_order() -> None:
    environments = in_promotion_order(load_environments(FIXTURES))
    assert [e.name for e in environments] == ["dev", "staging", "prod"]
    table = format_table(collect(environments), [e.name for e in environments]).splitlines()
    assert table[0].split() == ["kind", "name", "dev", "staging", "prod", "pinned", "in"]
    assert table[1].split() == ["kubernetes", "EKS", "control", "plane", "1.34", "1.34", "1.34", "envs/<env>.yaml"]
