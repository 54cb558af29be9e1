"""Every core Kubernetes object of every stack is valid Kubernetes 1.34 (kubernetes-validate,
strict: a misspelt key fails)."""

from __future__ import annotations

import kubernetes_validate
import pytest

from modules.tenancy.workload import workload_manifests
from tests.conftest import Synth
from tests.modules.helpers import SPEC


def test_every_core_manifest_is_valid_kubernetes(synth: Synth) -> None:
    core_groups = (
        "v1",
        "apps/v1",
        "policy/v1",
        "autoscaling/v2",
        "networking.k8s.io/v1",
        "scheduling.k8s.io/v1",
        "admissionregistration.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
    )
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
