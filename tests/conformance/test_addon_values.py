"""Every EKS add-on's configuration values hold against the upstream chart the
add-on is built from (../shared/upstream): a key the chart does not know is
silently ignored by the add-on, which is how a setting (an ENIConfig, a
toleration) goes missing without an error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.upstream import chart_values, unknown_value_paths
from tests.conftest import ENV_NAMES, UPSTREAM, Synth

ADDON_CHARTS: dict[str, Path] = {
    "vpc-cni": UPSTREAM / "aws-vpc-cni" / "1.22.4",
    "metrics-server": UPSTREAM / "metrics-server" / "3.13.1",
}


# Add-ons without an upstream chart here: the top-level keys of the configuration
# schema EKS documents for them (`aws eks describe-addon-configuration`).
DOCUMENTED_ADDON_KEYS: dict[str, frozenset[str]] = {
    "coredns": frozenset(
        {
            "affinity",
            "autoScaling",
            "computeType",
            "corefile",
            "nodeSelector",
            "podAnnotations",
            "podDisruptionBudget",
            "podLabels",
            "replicaCount",
            "resources",
            "tolerations",
            "topologySpreadConstraints",
        }
    ),
}


# aws-node reads any variable of `env`; values.yaml lists only those with a
# default. These are documented in the VPC CNI README beside them.
DOCUMENTED_CNI_VARIABLES = frozenset({"WARM_IP_TARGET", "MINIMUM_IP_TARGET", "ENI_CONFIG_LABEL_DEF"})


def unknown_addon_keys(addon: str, values: dict[str, Any]) -> list[str]:
    if addon in DOCUMENTED_ADDON_KEYS:
        return [key for key in values if key not in DOCUMENTED_ADDON_KEYS[addon]]
    upstream = chart_values(ADDON_CHARTS[addon])
    unknown = unknown_value_paths({k: v for k, v in values.items() if k != "env"}, upstream)
    if "env" in values:
        known = set(upstream.get("env") or {}) | DOCUMENTED_CNI_VARIABLES
        unknown += [f"env.{name}" for name in values["env"] if name not in known]
    return unknown


def configured_addons(synth: Synth, env: str) -> dict[str, dict[str, Any]]:
    return {
        a["addon_name"]: json.loads(a["configuration_values"])
        for a in synth.resources(f"{env}-cluster", "aws_eks_addon").values()
        if a.get("configuration_values")
    }


@pytest.mark.parametrize("env", ENV_NAMES)
def test_addon_configuration_values_are_upstream_chart_values(synth: Synth, env: str) -> None:
    addons = configured_addons(synth, env)
    assert {"vpc-cni", "metrics-server", "coredns"} <= set(addons)
    unmapped = set(addons) - set(ADDON_CHARTS) - set(DOCUMENTED_ADDON_KEYS)
    assert not unmapped, f"add-ons with configuration values but no upstream chart to check against: {unmapped}"
    for addon, values in addons.items():
        assert unknown_addon_keys(addon, values) == [], addon


def test_the_check_catches_a_misspelt_key() -> None:
    assert unknown_addon_keys("vpc-cni", {"eniConfig": {"craete": True, "subnets": {}}}) == ["eniConfig.craete"]
    assert unknown_addon_keys("vpc-cni", {"env": {"ENABLE_PREFIX_DELEGATON": "true"}}) == [
        "env.ENABLE_PREFIX_DELEGATON"
    ]
    assert unknown_addon_keys("metrics-server", {"toleration": []}) == ["toleration"]
    assert unknown_addon_keys("coredns", {"nodeselector": {}, "tolerations": []}) == ["nodeselector"]


def test_cni_metrics_helper_values_are_upstream_chart_values(synth: Synth) -> None:
    upstream = chart_values(UPSTREAM / "cni-metrics-helper" / "1.22.4")
    for env in ENV_NAMES:
        (release,) = [
            r for r in synth.resources(f"{env}-addons", "helm_release").values() if r["name"] == "cni-metrics-helper"
        ]
        values = json.loads(release["values"][0])
        assert unknown_value_paths(values, upstream) == []


def test_load_balancer_controller_values_are_upstream_chart_values(synth: Synth) -> None:
    upstream = chart_values(UPSTREAM / "aws-load-balancer-controller" / "3.5.0")
    for env in ENV_NAMES:
        (release,) = [
            r
            for r in synth.resources(f"{env}-addons", "helm_release").values()
            if r["name"] == "aws-load-balancer-controller"
        ]
        values = json.loads(release["values"][0])
        assert unknown_value_paths(values, upstream) == []
    assert unknown_value_paths({"serviceAccount": {"nmae": "x"}}, upstream) == ["serviceAccount.nmae"]
