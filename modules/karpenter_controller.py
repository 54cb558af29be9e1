"""The Karpenter controller: Helm releases `karpenter-crd` then `karpenter`.

The controller runs only on the system node group (node selector on its label,
the `CriticalAddonsOnly` toleration), never on nodes it creates itself, with two
replicas spread over zones and a PodDisruptionBudget.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from modules.charts import KARPENTER, KARPENTER_CRD, Chart
from modules.karpenter_aws import NAMESPACE, SERVICE_ACCOUNT
from modules.node_group import CRITICAL_ADDONS_TAINT, SYSTEM_NODE_LABEL


@dataclass(frozen=True)
class ControllerSettings:
    cluster_name: str
    interruption_queue: str  # the queue *name*, as the chart expects
    cpu: str = "1"
    memory: str = "1Gi"
    replicas: int = 2


def karpenter_values(s: ControllerSettings) -> dict[str, Any]:
    resources = {"cpu": s.cpu, "memory": s.memory}
    return {
        "settings": {"clusterName": s.cluster_name, "interruptionQueue": s.interruption_queue},
        "replicas": s.replicas,
        "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
        "serviceAccount": {"name": SERVICE_ACCOUNT},
        "controller": {"resources": {"requests": resources, "limits": resources}},
        "nodeSelector": {"kubernetes.io/os": "linux", SYSTEM_NODE_LABEL[0]: SYSTEM_NODE_LABEL[1]},
        "tolerations": [{"key": CRITICAL_ADDONS_TAINT, "operator": "Exists"}],
    }


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


class KarpenterController(Construct):
    def __init__(self, scope: Construct, id_: str, settings: ControllerSettings) -> None:
        super().__init__(scope, id_)
        # CRDs in their own release, so `helm upgrade` updates them (Helm never
        # upgrades a chart's crds/ folder); upgrade this one first.
        self.crds = helm_release(self, "crds", KARPENTER_CRD, NAMESPACE, {})
        self.controller = helm_release(
            self, "controller", KARPENTER, NAMESPACE, karpenter_values(settings), skip_crds=True, depends_on=[self.crds]
        )
