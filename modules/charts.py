"""Every Helm chart the platform installs, pinned in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    repository: str
    name: str
    version: str


KARPENTER_CRD = Chart(repository="oci://public.ecr.aws/karpenter", name="karpenter-crd", version="1.14.1")
KARPENTER = Chart(repository="oci://public.ecr.aws/karpenter", name="karpenter", version="1.14.1")
CNI_METRICS_HELPER = Chart(repository="https://aws.github.io/eks-charts", name="cni-metrics-helper", version="1.22.4")
