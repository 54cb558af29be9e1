"""Karpenter's EC2NodeClass and NodePools against the upstream CRDs (schema with
jsonschema, the CEL rules that matter re-implemented), and the chart values against
the upstream chart."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from planning.pins import KARPENTER, KARPENTER_CRD
from tests.conformance.upstream import KARPENTER as UPSTREAM_KARPENTER
from tests.conformance.upstream import chart_values, crd_schema, require, unknown_value_paths
from tests.conftest import ENV_NAMES, Synth


def manifests(synth: Synth, env: str, kind: str) -> list[dict[str, Any]]:
    found = [m["manifest"] for m in synth.resources(f"{env}-platform", "kubernetes_manifest").values()]
    return [m for m in found if m["kind"] == kind]


def releases(synth: Synth, env: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in synth.resources(f"{env}-addons", "helm_release").values()}


def _allowed_keys(crd_file: str, domain: str) -> list[str]:
    """The allowed keys of a restricted label domain, read from the upstream CEL rule itself."""
    text = require(UPSTREAM_KARPENTER / "crds" / crd_file).read_text()
    for rule in re.findall(r"rule: (.*)", text):
        if f'endsWith("{domain}")' in rule:
            inner = re.search(r"in \[([^\]]*)\]", rule)
            assert inner is not None
            return re.findall(r'"([^"]+)"', inner.group(1))
    raise AssertionError(f"no rule restricting {domain} in {crd_file}")


def node_class_violations(manifest: dict[str, Any]) -> list[str]:
    spec = manifest["spec"]
    problems = []
    if ("role" in spec) == ("instanceProfile" in spec):
        problems.append("must specify exactly one of role, instanceProfile")
    terms = spec.get("amiSelectorTerms", [])
    aliases = [t for t in terms if "alias" in t]
    if not aliases and "amiFamily" not in spec:
        problems.append("must specify amiFamily if amiSelectorTerms does not contain an alias")
    if aliases and (len(terms) != 1 or set(aliases[0]) != {"alias"}):
        problems.append("'alias' is mutually exclusive with other fields and other terms")
    for term in aliases:
        family, _, version = term["alias"].partition("@")
        if family not in ("al2", "al2023", "bottlerocket", "windows2019", "windows2022", "windows2025") or not version:
            problems.append(f"alias {term['alias']} is not family@version of a supported family")
    for key in spec.get("tags", {}):
        if key in (
            "eks:eks-cluster-name",
            "karpenter.sh/nodepool",
            "karpenter.sh/nodeclaim",
            "karpenter.k8s.aws/ec2nodeclass",
        ) or key.startswith("kubernetes.io/cluster"):
            problems.append(f"tag {key} is restricted")
    for field in ("subnetSelectorTerms", "securityGroupSelectorTerms"):
        if not spec.get(field):
            problems.append(f"{field} cannot be empty")
    return problems


def restricted_label(key: str, karpenter_aws_allowed: list[str]) -> bool:
    domain = key.split("/")[0] if "/" in key else ""
    if key in ("karpenter.sh/nodepool", "kubernetes.io/hostname"):
        return True
    if domain.endswith("karpenter.sh") and key != "karpenter.sh/capacity-type":
        return True
    return domain.endswith("karpenter.k8s.aws") and key not in karpenter_aws_allowed


def node_pool_violations(manifest: dict[str, Any], karpenter_aws_allowed: list[str]) -> list[str]:
    spec = manifest["spec"]
    problems = []
    labels = spec["template"].get("metadata", {}).get("labels", {})
    for key in labels:
        if restricted_label(key, karpenter_aws_allowed):
            problems.append(f"label {key} is restricted")
    for req in spec["template"]["spec"]["requirements"]:
        if restricted_label(req["key"], karpenter_aws_allowed) and req["key"] != "karpenter.sh/capacity-type":
            problems.append(f"requirement key {req['key']} is restricted")
        if req["operator"] == "In" and not req.get("values"):
            problems.append(f"requirement {req['key']} with In has no value")
        if req["operator"] in ("Gt", "Lt", "Gte", "Lte") and (len(req["values"]) != 1 or int(req["values"][0]) < 0):
            problems.append(f"requirement {req['key']} needs one non-negative integer")
    for budget in spec.get("disruption", {}).get("budgets", []):
        if ("schedule" in budget) != ("duration" in budget):
            problems.append("budget schedule must be set with duration")
    return problems


@pytest.fixture(scope="module")
def karpenter_aws_allowed() -> list[str]:
    return _allowed_keys("karpenter.sh_nodepools.yaml", "karpenter.k8s.aws")


@pytest.mark.parametrize("env", ENV_NAMES)
def test_node_classes_validate_against_upstream_crd(synth: Synth, env: str) -> None:
    schema = crd_schema("karpenter.k8s.aws_ec2nodeclasses.yaml")
    (node_class,) = manifests(synth, env, "EC2NodeClass")
    jsonschema.Draft7Validator(schema).validate(node_class)
    assert node_class_violations(node_class) == []


@pytest.mark.parametrize("env", ENV_NAMES)
def test_node_pools_validate_against_upstream_crd(synth: Synth, env: str, karpenter_aws_allowed: list[str]) -> None:
    schema = crd_schema("karpenter.sh_nodepools.yaml")
    pools = manifests(synth, env, "NodePool")
    assert len(pools) == 2
    for pool in pools:
        jsonschema.Draft7Validator(schema).validate(pool)
        assert node_pool_violations(pool, karpenter_aws_allowed) == []
        # The field exists upstream where we put it (the schema above does not refuse unknown keys).
        template = schema["properties"]["spec"]["properties"]["template"]["properties"]["spec"]["properties"]
        assert "terminationGracePeriod" in template and "expireAfter" in template
        assert pool["spec"]["template"]["spec"]["terminationGracePeriod"]


def test_the_re_implemented_rules_catch_what_they_should(karpenter_aws_allowed: list[str]) -> None:
    bad_class = {
        "spec": {
            "role": "r",
            "instanceProfile": "p",
            "amiSelectorTerms": [{"alias": "al2023@latest", "tags": {"a": "b"}}, {"id": "ami-1"}],
            "subnetSelectorTerms": [],
            "securityGroupSelectorTerms": [{"tags": {"a": "b"}}],
            "tags": {"kubernetes.io/cluster/x": "owned"},
        }
    }
    assert len(node_class_violations(bad_class)) == 4
    assert node_class_violations(
        {
            "spec": {
                "role": "r",
                "amiSelectorTerms": [{"id": "ami-1"}],
                "subnetSelectorTerms": [{"id": "s"}],
                "securityGroupSelectorTerms": [{"id": "g"}],
            }
        }
    ) == ["must specify amiFamily if amiSelectorTerms does not contain an alias"]
    bad_pool = {
        "spec": {
            "template": {
                "metadata": {"labels": {"karpenter.sh/custom": "x", "karpenter.k8s.aws/made-up": "m5", "team": "a"}},
                "spec": {
                    "requirements": [
                        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n"]},
                        {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["-1"]},
                    ]
                },
            },
            "disruption": {"budgets": [{"nodes": "0", "schedule": "0 9 * * *"}]},
        }
    }
    assert len(node_pool_violations(bad_pool, karpenter_aws_allowed)) == 5
    assert "karpenter.k8s.aws/instance-tenancy" in karpenter_aws_allowed


def test_karpenter_chart_values_exist_upstream(synth: Synth) -> None:
    upstream = chart_values(UPSTREAM_KARPENTER)
    chart = yaml.safe_load(require(UPSTREAM_KARPENTER / "Chart.yaml").read_text())
    assert KARPENTER.version == chart["version"] == KARPENTER_CRD.version
    for env in ENV_NAMES:
        values = json.loads(releases(synth, env)["karpenter"]["values"][0])
        assert unknown_value_paths(values, upstream) == []
        assert set(values["settings"]) <= set(upstream["settings"])
    # The check itself notices a misspelt key.
    assert unknown_value_paths({"settings": {"clusterNme": "x"}, "replica": 1}, upstream) == [
        "settings.clusterNme",
        "replica",
    ]
