"""Right-sizing advice: the Vertical Pod Autoscaler's recommender, and nothing that
acts on its advice (`E-addons`).

Only the recommender runs. It reads usage from the metrics API (the metrics-server
add-on), keeps its histograms in VerticalPodAutoscalerCheckpoint objects and writes
a recommendation into each VerticalPodAutoscaler's status. The updater (which
evicts pods to resize them) and the admission controller (a mutating webhook on
every pod creation) are off: a VPA acting on CPU would fight the workloads'
HorizontalPodAutoscalers, and a webhook that is down can block pod creation.
The VerticalPodAutoscaler objects themselves, `updateMode: "Off"`, come with each
workload (modules/tenancy/workload.py); docs/observability.md says how to read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from modules.base.charts import helm_release
from modules.base.manifests import container_security_context
from modules.conventions import CRITICAL_ADDONS_TAINT, SYSTEM_NODE_LABEL
from planning.pins import VPA

NAMESPACE = "kube-system"


@dataclass(frozen=True)
class VpaRecommenderSettings:
    """Configuration of the VPA recommender's Helm release."""

    cpu_request: str = "50m"
    """CPU the recommender requests. Default: 50m."""
    cpu_limit: str = "200m"
    """CPU it may use: its loop is periodic and light. Default: 200m."""
    memory: str = "500Mi"
    """Memory it requests and may use (request = limit: its histograms grow with the pods it
    watches, and an OOM kill loses nothing but time). Default: 500Mi."""
    log_verbosity: int = 2
    """klog verbosity; the chart's default of 4 logs every pod at every loop. Default: 2."""


def vpa_recommender_values(s: VpaRecommenderSettings) -> dict[str, Any]:
    return {
        "recommender": {
            "enabled": True,
            "replicaCount": 1,
            # Merged into the chart's defaults (minimum recommendations of 15m CPU and 100 MB).
            "extraArgs": {"v": str(s.log_verbosity)},
            "image": {"pullPolicy": "IfNotPresent"},
            "securityContext": container_security_context(),
            "resources": {
                "requests": {"cpu": s.cpu_request, "memory": s.memory},
                # Written out: Helm merges these into the chart's defaults, which limit CPU to 200m.
                "limits": {"cpu": s.cpu_limit, "memory": s.memory},
            },
            "nodeSelector": {SYSTEM_NODE_LABEL[0]: SYSTEM_NODE_LABEL[1]},
            "tolerations": [{"key": CRITICAL_ADDONS_TAINT, "operator": "Exists"}],
        },
        "updater": {"enabled": False},
        "admissionController": {"enabled": False},
        # The metrics API comes from the EKS metrics-server add-on, not the chart's subchart.
        "metrics-server": {"enabled": False},
    }


def vpa_recommender_release(
    scope: Construct,
    settings: VpaRecommenderSettings | None = None,
    *,
    after: Sequence[ITerraformDependable] = (),
) -> Release:
    values = vpa_recommender_values(settings or VpaRecommenderSettings())
    return helm_release(scope, "vpa", VPA, NAMESPACE, values, after=after)
