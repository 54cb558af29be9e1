"""Karpenter's EC2NodeClass and NodePools as validated code (in `E-platform`,
after `E-addons` installed their CRDs).

The manifests are built by pure functions so tests can validate them against
the upstream CRD schemas; the construct only hands them to `kubernetes_manifest`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from modules.conventions import KARPENTER_DISCOVERY_TAG

NODE_CLASS_API = "karpenter.k8s.aws/v1"
NODE_POOL_API = "karpenter.sh/v1"


@dataclass(frozen=True)
class NodeClassSettings:
    name: str
    cluster_name: str
    node_role_name: str
    ami_alias: str
    disk_size_gib: int = 50
    max_pods: int | None = None  # kubelet maxPods, the same as the managed node group's
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Budget:
    nodes: str
    schedule: str | None = None
    duration: str | None = None
    reasons: Sequence[str] = ()


@dataclass(frozen=True)
class NodePoolSettings:
    name: str
    node_class: str
    capacity_types: Sequence[str]
    instance_categories: Sequence[str]
    min_generation: int
    min_vcpu: int
    architectures: Sequence[str]
    cpu_limit: int
    memory_limit_gib: int
    consolidation_policy: str
    consolidate_after: str
    expire_after: str
    budgets: Sequence[Budget]
    weight: int | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


def ec2_node_class(s: NodeClassSettings) -> dict[str, Any]:
    discovery = {"tags": {KARPENTER_DISCOVERY_TAG: s.cluster_name}}
    return {
        "apiVersion": NODE_CLASS_API,
        "kind": "EC2NodeClass",
        "metadata": {"name": s.name},
        "spec": {
            "role": s.node_role_name,
            "amiSelectorTerms": [{"alias": s.ami_alias}],
            "subnetSelectorTerms": [discovery],
            "securityGroupSelectorTerms": [discovery],
            # IMDSv2 only, one hop: pods cannot borrow the node's role.
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "ebs": {
                        "volumeSize": f"{s.disk_size_gib}Gi",
                        "volumeType": "gp3",
                        "encrypted": True,
                        "deleteOnTermination": True,
                    },
                }
            ],
            "tags": dict(s.tags),
            **({"kubelet": {"maxPods": s.max_pods}} if s.max_pods else {}),
        },
    }


def node_pool(s: NodePoolSettings) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "template": {
            "metadata": {"labels": dict(s.labels)} if s.labels else {},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": s.node_class},
                "requirements": [
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(s.capacity_types)},
                    {
                        "key": "karpenter.k8s.aws/instance-category",
                        "operator": "In",
                        "values": list(s.instance_categories),
                    },
                    {
                        "key": "karpenter.k8s.aws/instance-generation",
                        "operator": "Gt",
                        "values": [str(s.min_generation - 1)],
                    },
                    {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": [str(s.min_vcpu - 1)]},
                    {"key": "kubernetes.io/arch", "operator": "In", "values": list(s.architectures)},
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                ],
                "expireAfter": s.expire_after,
            },
        },
        "limits": {"cpu": str(s.cpu_limit), "memory": f"{s.memory_limit_gib}Gi"},
        "disruption": {
            "consolidationPolicy": s.consolidation_policy,
            "consolidateAfter": s.consolidate_after,
            "budgets": [
                {
                    "nodes": b.nodes,
                    **({"schedule": b.schedule, "duration": b.duration} if b.schedule else {}),
                    **({"reasons": list(b.reasons)} if b.reasons else {}),
                }
                for b in s.budgets
            ],
        },
    }
    if s.weight is not None:
        spec["weight"] = s.weight
    return {"apiVersion": NODE_POOL_API, "kind": "NodePool", "metadata": {"name": s.name}, "spec": spec}


class KarpenterNodes(Construct):
    def __init__(
        self, scope: Construct, id_: str, node_class: NodeClassSettings, pools: Sequence[NodePoolSettings]
    ) -> None:
        super().__init__(scope, id_)
        self.node_class = Manifest(self, f"nodeclass-{node_class.name}", manifest=ec2_node_class(node_class))
        self.node_pools = [
            Manifest(self, f"nodepool-{pool.name}", manifest=node_pool(pool), depends_on=[self.node_class])
            for pool in pools
        ]
