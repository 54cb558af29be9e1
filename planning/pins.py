"""Version pins that are plain data: every Helm chart the platform installs and
the pause image of the overprovisioning placeholders. Here, without cdktf, so
`make versions` reads them without loading jsii; modules/ install them."""

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
AWS_LOAD_BALANCER_CONTROLLER = Chart(
    repository="https://aws.github.io/eks-charts", name="aws-load-balancer-controller", version="3.5.0"
)
# Fairwinds' chart of the Vertical Pod Autoscaler (app 1.4.1); its CRDs come from its crds/ folder.
VPA = Chart(repository="https://charts.fairwinds.com/stable", name="vpa", version="4.10.1")
CHARTS = (KARPENTER_CRD, KARPENTER, CNI_METRICS_HELPER, AWS_LOAD_BALANCER_CONTROLLER, VPA)

PAUSE_IMAGE = "registry.k8s.io/pause"
PAUSE_VERSION = "3.10"
