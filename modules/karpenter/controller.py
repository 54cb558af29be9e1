"""The Karpenter controller: Helm releases `karpenter-crd` then `karpenter`.

The controller runs only on the system node group (node selector on its label,
the `CriticalAddonsOnly` toleration), never on nodes it creates itself, with two
replicas spread over zones and a PodDisruptionBudget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import ITerraformDependable
from constructs import Construct

from modules.base.charts import helm_release
from modules.conventions import CRITICAL_ADDONS_TAINT, SYSTEM_NODE_LABEL
from modules.karpenter.aws import NAMESPACE, SERVICE_ACCOUNT
from planning.pins import KARPENTER, KARPENTER_CRD


@dataclass(frozen=True)
class ControllerSettings:
    """Configuration of the Karpenter controller's Helm release."""

    cluster_name: str
    """The cluster whose nodes Karpenter manages."""
    interruption_queue: str
    """The interruption queue's *name*, as the chart expects."""
    cpu: str = "1"
    """CPU request and limit of the controller. Default: "1"."""
    memory: str = "1Gi"
    """Memory request and limit of the controller. Default: "1Gi"."""
    replicas: int = 2
    """Controller replicas. Default: 2."""


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


class KarpenterController(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        settings: ControllerSettings,
        *,
        after: Sequence[ITerraformDependable] = (),
    ) -> None:
        """`after`: what both releases wait for (e.g. a webhook that must serve their Services)."""
        super().__init__(scope, id_)
        # CRDs in their own release, so `helm upgrade` updates them (Helm never
        # upgrades a chart's crds/ folder); upgrade this one first.
        self.crds = helm_release(self, "crds", KARPENTER_CRD, NAMESPACE, {}, after=after)
        self.controller = helm_release(
            self, "controller", KARPENTER, NAMESPACE, karpenter_values(settings), skip_crds=True, after=[self.crds]
        )
