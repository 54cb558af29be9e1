"""Every Helm chart the platform installs, pinned in one place, and how a
release of one is installed (atomic, cleaned up on failure, waited for)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct


@dataclass(frozen=True)
class Chart:
    repository: str
    name: str
    version: str


KARPENTER_CRD = Chart(repository="oci://public.ecr.aws/karpenter", name="karpenter-crd", version="1.14.1")
KARPENTER = Chart(repository="oci://public.ecr.aws/karpenter", name="karpenter", version="1.14.1")
CNI_METRICS_HELPER = Chart(repository="https://aws.github.io/eks-charts", name="cni-metrics-helper", version="1.22.4")
AWS_LOAD_BALANCER_CONTROLLER = Chart(
    repository="https://aws.github.io/eks-charts", name="aws-load-balancer-controller", version="3.5.0"
)


def helm_release(
    scope: Construct, id_: str, chart: Chart, namespace: str, values: Mapping[str, Any], **extra: Any
) -> Release:
    return Release(
        scope,
        id_,
        name=chart.name,
        repository=chart.repository,
        chart=chart.name,
        version=chart.version,
        namespace=namespace,
        values=[json.dumps(values, sort_keys=True)] if values else None,
        atomic=True,
        cleanup_on_fail=True,
        wait=True,
        **extra,
    )
