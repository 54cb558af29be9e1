"""`E-platform` on the shared synth: Karpenter's node class and pools, StorageClasses,
overprovisioning, team namespaces."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ENV_NAMES, Synth


def manifests(synth: Synth, stack: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = [m["manifest"] for m in synth.resources(stack, "kubernetes_manifest").values()]
    return [m for m in found if kind is None or m["kind"] == kind]


def test_platform_is_deployed_after_addons(synth: Synth) -> None:
    for env in ENV_NAMES:
        dependencies = set(synth.manifest["stacks"][f"{env}-platform"]["dependencies"])
        # also storage (the data key of the default StorageClass); prod also the network (ENIConfigs).
        expected = {f"{env}-addons", f"{env}-cluster", f"{env}-storage"}
        assert expected <= dependencies <= expected | {f"{env}-network"}


def test_node_class_settings(synth: Synth) -> None:
    (node_class,) = manifests(synth, "prod-platform", "EC2NodeClass")
    spec = node_class["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@v20261015"}]
    assert spec["role"].startswith("${data.terraform_remote_state.") and "karpenter_node-role" in spec["role"]
    discovery = [{"tags": {"karpenter.sh/discovery": "prod-platform"}}]
    assert spec["subnetSelectorTerms"] == discovery == spec["securityGroupSelectorTerms"]
    assert (
        spec["metadataOptions"]["httpTokens"] == "required" and spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    )
    (device,) = spec["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] is True and device["ebs"]["volumeType"] == "gp3"


def test_node_pools_per_environment(synth: Synth) -> None:
    pools = {p["metadata"]["name"]: p["spec"] for p in manifests(synth, "prod-platform", "NodePool")}
    assert pools["on-demand"]["weight"] > pools["spot"]["weight"]
    assert pools["on-demand"]["limits"] == {"cpu": "800", "memory": "3200Gi"}
    capacity = {n: p["template"]["spec"]["requirements"][0]["values"] for n, p in pools.items()}
    assert capacity == {"on-demand": ["on-demand"], "spot": ["spot"]}
    business_hours = [b for b in pools["on-demand"]["disruption"]["budgets"] if "schedule" in b]
    assert business_hours == [
        {"nodes": "0", "schedule": "0 7 * * mon-fri", "duration": "11h", "reasons": ["Underutilized", "Drifted"]}
    ]
    assert pools["on-demand"]["template"]["spec"]["expireAfter"] == "720h"
    dev = {p["metadata"]["name"]: p["spec"] for p in manifests(synth, "dev-platform", "NodePool")}
    assert dev["spot"]["weight"] > dev["on-demand"]["weight"]


@pytest.mark.parametrize(("env", "first"), [("dev", "spot"), ("staging", "spot"), ("prod", "on-demand")])
def test_node_pool_weights_follow_the_stated_intent(synth: Synth, env: str, first: str) -> None:
    """docs/karpenter.md: spot first for cost (dev, staging), on-demand first for steadiness (prod)."""
    weights = {p["metadata"]["name"]: p["spec"]["weight"] for p in manifests(synth, f"{env}-platform", "NodePool")}
    assert max(weights, key=weights.__getitem__) == first
    assert len(set(weights.values())) == len(weights)  # no tie: the order is explicit


def test_every_node_pool_bounds_its_drain(synth: Synth) -> None:
    """With expireAfter and no terminationGracePeriod a PDB could hold an expired node forever."""
    grace = {
        (env, p["metadata"]["name"]): p["spec"]["template"]["spec"]["terminationGracePeriod"]
        for env in ("dev", "prod")
        for p in manifests(synth, f"{env}-platform", "NodePool")
    }
    assert grace[("dev", "spot")] == "24h"  # set in the fixture
    assert grace[("prod", "on-demand")] == "48h"  # the default


def classes(synth: Synth, env: str) -> dict[str, dict[str, Any]]:
    found = [m["manifest"] for m in synth.resources(f"{env}-platform", "kubernetes_manifest").values()]
    return {m["metadata"]["name"]: m for m in found if m["kind"] == "StorageClass"}


@pytest.mark.parametrize("env", ENV_NAMES)
def test_default_storage_class_is_encrypted_gp3(synth: Synth, env: str) -> None:
    by_name = classes(synth, env)
    gp3 = by_name["gp3"]
    assert gp3["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert gp3["provisioner"] == "ebs.csi.aws.com"
    assert gp3["parameters"]["type"] == "gp3" and gp3["parameters"]["encrypted"] == "true"
    assert gp3["parameters"]["kmsKeyId"].startswith(
        f"${{data.terraform_remote_state.cross-stack-reference-input-{env}-storage."
    )
    assert gp3["volumeBindingMode"] == "WaitForFirstConsumer" and gp3["allowVolumeExpansion"] is True
    (annotation,) = synth.resources(f"{env}-platform", "kubernetes_annotations").values()
    assert annotation["metadata"] == {"name": "gp2"} and annotation["kind"] == "StorageClass"
    assert annotation["annotations"] == {"storageclass.kubernetes.io/is-default-class": "false"}
    assert ("efs" in by_name) is (env == "prod")


def test_efs_storage_class(synth: Synth) -> None:
    efs = classes(synth, "prod")["efs"]
    assert efs["provisioner"] == "efs.csi.aws.com"
    assert efs["parameters"]["provisioningMode"] == "efs-ap"
    assert "aws_efs_file_system" in efs["parameters"]["fileSystemId"]


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in items}


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


@pytest.mark.parametrize("stack", ["dev-platform", "prod-platform"])
def test_team_objects_wait_for_their_namespace(synth: Synth, stack: str) -> None:
    manifests = synth.resources(stack, "kubernetes_manifest")
    namespaced = [m for m in manifests.values() if m["manifest"]["metadata"].get("namespace") == "web"]
    assert len(namespaced) >= 4
    assert all("kubernetes_manifest.team-web_namespace-web_" in " ".join(m["depends_on"]) for m in namespaced)


def test_team_guardrails_guarded_for_the_platform_principals(synth: Synth) -> None:
    kinds = {m["kind"]: m for m in manifests(synth, "prod-platform")}
    policy = kinds["ValidatingAdmissionPolicy"]
    assert kinds["ValidatingAdmissionPolicyBinding"]["spec"]["policyName"] == policy["metadata"]["name"]
    (validation,) = policy["spec"]["validations"]
    # the fixture's admin (a role) and the CI deploy role, as EKS names their sessions
    assert "arn:aws:sts::333333333333:assumed-role/PlatformAdmin/" in validation["expression"]
    assert ":assumed-role/prod-platform-ci-deploy/" in validation["expression"]
    guarded = [
        m
        for m in manifests(synth, "prod-platform")
        if m["kind"] in ("ResourceQuota", "LimitRange", "NetworkPolicy") and m["metadata"]["namespace"] == "payments"
    ]
    assert guarded and all(m["metadata"]["labels"] == {"eks-platform/managed": "true"} for m in guarded)
