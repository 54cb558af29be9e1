"""Shared pieces of the Kubernetes objects the platform writes as `kubernetes_manifest`:
the hardened security contexts and the construct that hands manifests to Terraform."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from planning.kubernetes_objects import prerequisites

# A high, non-root UID/GID: no clash with host users, and what checkov expects.
NON_ROOT_ID = 10001


def pod_security_context(run_as: int = NON_ROOT_ID) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": run_as,
        "runAsGroup": run_as,
        "fsGroup": run_as,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def zone_spread(labels: dict[str, str], when_unsatisfiable: str = "ScheduleAnyway") -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": when_unsatisfiable,
            "labelSelector": {"matchLabels": labels},
        }
    ]


def manifest_id(manifest: dict[str, Any]) -> str:
    metadata = manifest["metadata"]
    return "-".join(p for p in (manifest["kind"].lower(), metadata.get("namespace"), metadata["name"]) if p)


def add_manifests(
    scope: Construct, manifests: Sequence[dict[str, Any]], depends_on: Sequence[ITerraformDependable] = ()
) -> list[Manifest]:
    """One `kubernetes_manifest` per object, each depending on the prerequisites
    (see `prerequisites`) that come earlier in the same list."""
    created: dict[tuple[str, str], Manifest] = {}
    resources: list[Manifest] = []
    for m in manifests:
        needs = [created[key] for key in prerequisites(m) if key in created]
        resource = Manifest(scope, manifest_id(m), manifest=m, depends_on=[*depends_on, *needs] or None)
        created[(m["kind"], m["metadata"]["name"])] = resource
        resources.append(resource)
    return resources
