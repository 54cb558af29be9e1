"""Overprovisioning, team namespaces and workloads: the objects, the synth-time
rules (with the one exemption) and Kubernetes schema validation."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

from modules.best_practices import add_best_practices
from modules.tenancy.overprovisioning import overprovisioning_manifests
from modules.tenancy.teams import TeamSettings, team_manifests
from modules.tenancy.workload import ProbeSpec, Resources, Workload, WorkloadSettings, workload_manifests
from tests.conftest import ENV_NAMES, Synth


def manifests(synth: Synth, stack: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = [m["manifest"] for m in synth.resources(stack, "kubernetes_manifest").values()]
    return [m for m in found if kind is None or m["kind"] == kind]


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in items}


PROBE = ProbeSpec(port=8080, path="/healthz")
SPEC = WorkloadSettings(
    name="api",
    namespace="web",
    image="example/api:1.2.3",
    port=8080,
    liveness=PROBE,
    readiness=ProbeSpec(port=8080, path="/readyz"),
    startup=ProbeSpec(port=8080, path="/healthz", failure_threshold=30),
    requests=Resources("100m", "128Mi"),
    limits=Resources("500m", "256Mi"),
)


# --- the rules ---


def synth_rules(tmp_path: Path, objects: list[dict[str, Any]]) -> list[str]:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "k8s")
    KubernetesProvider(stack, "kubernetes")
    for index, manifest in enumerate(objects):
        Manifest(stack, f"m{index}", manifest=manifest)
    rules = add_best_practices(app)
    try:
        app.synth()
    except Exception as err:  # jsii raises when an error annotation exists
        assert "ERROR" in str(err)
    return [str(v) for v in rules.violations]


def test_a_workload_without_a_startup_probe_fails_synth_naming_it(tmp_path: Path) -> None:
    deployment = workload_manifests(SPEC)[0]
    del deployment["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
    assert synth_rules(tmp_path, [deployment]) == [
        "k8s/m0: [workload-probes] Deployment web/api: container api has no startupProbe; every workload needs "
        "liveness, readiness and startup probes"
    ]


def test_the_workload_construct_cannot_be_built_without_probes_or_resources() -> None:
    with pytest.raises(TypeError, match="startup"):
        WorkloadSettings(  # type: ignore[call-arg]
            name="api",
            namespace="web",
            image="a:1",
            port=1,
            liveness=PROBE,
            readiness=PROBE,
            requests=Resources("1", "1Gi"),
            limits=Resources("1", "1Gi"),
        )
    with pytest.raises(TypeError, match="requests"):
        WorkloadSettings(  # type: ignore[call-arg]
            name="api",
            namespace="web",
            image="a:1",
            port=1,
            liveness=PROBE,
            readiness=PROBE,
            startup=PROBE,
            limits=Resources("1", "1Gi"),
        )


def test_statefulset_without_requests_fails(tmp_path: Path) -> None:
    stateful = workload_manifests(SPEC)[0] | {"kind": "StatefulSet"}
    del stateful["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    violations = synth_rules(tmp_path, [stateful])
    assert len(violations) == 1 and "[workload-requests] StatefulSet web/api" in violations[0]


def test_the_placeholder_exemption_admits_only_placeholders(tmp_path: Path) -> None:
    placeholder = overprovisioning_manifests(3, "1", "2Gi")[2]
    assert synth_rules(tmp_path / "ok", [placeholder]) == []

    def variant(change: Any) -> dict[str, Any]:
        copy = overprovisioning_manifests(3, "1", "2Gi")[2]
        change(copy)
        return copy

    def pod(m: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, Any] = m["spec"]["template"]["spec"]
        return spec

    sneaky = [
        variant(lambda m: pod(m)["containers"][0].update(image="nginx:1.27")),  # not pause
        variant(lambda m: m["metadata"].update(namespace="web")),  # not in its namespace
        variant(lambda m: pod(m).pop("priorityClassName")),  # not at placeholder priority
        variant(lambda m: pod(m)["containers"].append({"name": "app", "image": "nginx:1.27"})),  # pause + another
    ]
    for index, manifest in enumerate(sneaky):
        violations = synth_rules(tmp_path / str(index), [manifest])
        assert any("[workload-probes]" in v for v in violations), index


def test_team_namespace_without_quota_and_limit_range_fails(tmp_path: Path) -> None:
    team = TeamSettings("web", "4", "8Gi", "8", "16Gi", 10, 5, 5, "10Gi", "100m", "128Mi", "500m", "512Mi")
    namespace, quota, *_ = team_manifests(team)
    assert synth_rules(tmp_path / "ok", [namespace, quota, team_manifests(team)[2]]) == []
    assert synth_rules(tmp_path / "bad", [namespace, quota]) == [
        "k8s/m0: [team-namespace-limits] team namespace web has no LimitRange; one team's runaway could take "
        "the whole cluster"
    ]


def test_rules_looked_at_every_shipped_workload_and_team(synth: Synth) -> None:
    assert synth.rules.checked["workload"] == 3 + 1  # a placeholder per environment, podinfo in dev
    assert synth.rules.checked["team-namespace"] == 4  # web x 3, payments in prod


# --- what the stacks hold ---


@pytest.mark.parametrize(("env", "replicas", "cpu"), [("dev", 3, "500m"), ("staging", 3, "1"), ("prod", 3, "1")])
def test_overprovisioning(synth: Synth, env: str, replicas: int, cpu: str) -> None:
    stack = f"{env}-platform"
    (priority,) = manifests(synth, stack, "PriorityClass")
    assert priority["value"] < 0 and priority["globalDefault"] is False
    deployment = by_name(manifests(synth, stack, "Deployment"))["placeholder"]
    assert deployment["metadata"]["namespace"] == "overprovisioning"
    spec = deployment["spec"]
    assert spec["replicas"] == replicas
    pod = spec["template"]["spec"]
    assert pod["priorityClassName"] == priority["metadata"]["name"]
    (container,) = pod["containers"]
    assert container["image"] == "registry.k8s.io/pause:3.10"
    assert container["resources"]["requests"]["cpu"] == cpu
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"


@pytest.mark.parametrize("env", ENV_NAMES)
def test_team_namespaces(synth: Synth, env: str) -> None:
    stack = f"{env}-platform"
    namespaces = by_name(manifests(synth, stack, "Namespace"))
    assert namespaces["web"]["metadata"]["labels"]["eks-platform/team"] == "web"
    quotas = [q for q in manifests(synth, stack, "ResourceQuota") if q["metadata"]["namespace"] == "web"]
    hard = quotas[0]["spec"]["hard"]
    assert set(hard) == {
        "requests.cpu",
        "requests.memory",
        "limits.cpu",
        "limits.memory",
        "pods",
        "services",
        "persistentvolumeclaims",
        "requests.storage",
    }
    (limits,) = [lr for lr in manifests(synth, stack, "LimitRange") if lr["metadata"]["namespace"] == "web"]
    assert limits["spec"]["limits"][0]["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}
    policies = by_name([p for p in manifests(synth, stack, "NetworkPolicy") if p["metadata"]["namespace"] == "web"])
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["allow-dns"]["spec"]["egress"][0]
    assert {p["port"] for p in dns["ports"]} == {53}
    # Pods of the namespace may call each other; the callee's own policy picks the port.
    assert policies["allow-egress-in-namespace"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {}}]}],
    }


def test_team_access_entry_is_scoped_to_its_namespace(synth: Synth) -> None:
    (entry,) = synth.resources("prod-platform", "aws_eks_access_entry").values()
    assert entry["principal_arn"] == "arn:aws:iam::333333333333:role/PaymentsTeam"
    (association,) = synth.resources("prod-platform", "aws_eks_access_policy_association").values()
    assert association["policy_arn"].endswith("cluster-access-policy/AmazonEKSEditPolicy")
    assert association["access_scope"] == {"type": "namespace", "namespaces": ["payments"]}


def test_sample_workload_in_dev(synth: Synth) -> None:
    objects = {m["kind"]: m for m in manifests(synth, "dev-apps")}
    assert set(objects) == {"Deployment", "Service", "NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler"}
    # The team namespace denies all ingress; the workload's own policy opens its port.
    policy = objects["NetworkPolicy"]
    assert policy["metadata"]["namespace"] == "web"
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "podinfo"}}
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9898}]
    assert rule["from"][0] == {"podSelector": {}}
    deployment = objects["Deployment"]
    assert deployment["metadata"]["namespace"] == "web" and "replicas" not in deployment["spec"]
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": 0}
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 9898}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 9898}
    assert container["startupProbe"]["failureThreshold"] == 30
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"cpu": "500m", "memory": "128Mi"},
    }
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["seccompProfile"] == {
        "type": "RuntimeDefault"
    }
    assert objects["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == 2
    assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
    assert manifests(synth, "prod-apps") == []
    for env in ENV_NAMES:
        deps = set(synth.manifest["stacks"][f"{env}-apps"]["dependencies"])
        assert f"{env}-platform" in deps


def test_every_core_manifest_is_valid_kubernetes(synth: Synth) -> None:
    core_groups = ("v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1", "scheduling.k8s.io/v1")
    checked = 0
    for doc in synth.stacks.values():
        for resource in doc.get("resource", {}).get("kubernetes_manifest", {}).values():
            manifest = resource["manifest"]
            if manifest["apiVersion"] in core_groups:
                kubernetes_validate.validate(manifest, "1.34", strict=True)
                checked += 1
    assert checked >= 30
    # strict mode does catch a misspelt key
    bad = workload_manifests(SPEC)[0]
    bad["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, "1.34", strict=True)


def test_workload_construct_builds_five_objects(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "w")
    KubernetesProvider(stack, "kubernetes")
    workload = Workload(stack, "api", SPEC)
    assert len(workload.manifests) == 5


def test_workload_port_admits_the_namespaces_it_names() -> None:
    spec = dataclasses.replace(SPEC, allow_from_namespaces=("ingress-nginx",))
    (policy,) = [m for m in workload_manifests(spec) if m["kind"] == "NetworkPolicy"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [
        {"podSelector": {}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": SPEC.port}]
