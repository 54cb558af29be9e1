"""Facts about Kubernetes objects as plain data, with no cdktf import: what an
object needs to exist before it is created. Shared by the construct that writes
manifests (modules/base/manifests.py) and the first-deploy model
(tools/first_deploy.py)."""

from __future__ import annotations

from typing import Any


def _pod_spec(manifest: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = manifest.get("spec") or {}
    if manifest.get("kind") == "Pod":
        return spec
    if manifest.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template: dict[str, Any] = (spec.get("template") or {}).get("spec") or {}
    return template


def prerequisites(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The cluster-scoped objects (kind, name) that must exist before this one is
    created: its namespace, the PriorityClass its pods name, the StorageClass its
    claims name. Terraform creates what nothing orders in parallel."""
    needs: list[tuple[str, str]] = []
    namespace = manifest.get("metadata", {}).get("namespace")
    if namespace:
        needs.append(("Namespace", namespace))
    priority_class = _pod_spec(manifest).get("priorityClassName")
    if priority_class:
        needs.append(("PriorityClass", priority_class))
    spec = manifest.get("spec") or {}
    if manifest.get("kind") == "PersistentVolumeClaim":
        claims = [spec]
    else:
        claims = [template.get("spec") or {} for template in spec.get("volumeClaimTemplates", [])]
    needs += [("StorageClass", claim["storageClassName"]) for claim in claims if claim.get("storageClassName")]
    return needs
