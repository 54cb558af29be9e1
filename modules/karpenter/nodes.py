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
    """Configuration of the EC2NodeClass that Karpenter's nodes are launched from."""

    name: str
    """The EC2NodeClass's name, which node pools refer to."""
    cluster_name: str
    """The cluster: subnets and security groups are selected by its `karpenter.sh/discovery` tag."""
    node_role_name: str
    """The IAM role (name, not ARN) of the nodes."""
    ami_alias: str
    """The AMI alias, e.g. `al2023@v20261015` (pinned: `@latest` rolls every node on each AMI release)."""
    disk_size_gib: int = 50
    """Size of the nodes' encrypted gp3 root volume, in GiB. Default: 50."""
    max_pods: int | None = None
    """Kubelet maxPods, the same as the managed node group's. Default: None (Karpenter's default)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on the AWS resources Karpenter creates for these nodes. Default: none."""


@dataclass(frozen=True)
class Budget:
    """A disruption budget of a node pool."""

    nodes: str
    """How many nodes may be disrupted at once: a count or a percentage ("10%")."""
    schedule: str | None = None
    """When the budget starts to apply (cron, UTC), with `duration`. Default: None (always)."""
    duration: str | None = None
    """How long the budget applies from each `schedule` time. Default: None (always)."""
    reasons: Sequence[str] = ()
    """Disruption reasons it limits (Underutilized, Empty, Drifted). Default: all."""


@dataclass(frozen=True)
class NodePoolSettings:
    """Configuration of one Karpenter NodePool."""

    name: str
    """The NodePool's name."""
    node_class: str
    """Name of the EC2NodeClass its nodes are launched from."""
    capacity_types: Sequence[str]
    """Capacity types it may launch: "on-demand", "spot"."""
    instance_categories: Sequence[str]
    """EC2 instance categories it may launch, e.g. "c", "m", "r"."""
    min_generation: int
    """Oldest instance generation it may launch."""
    min_vcpu: int
    """Fewest vCPUs of an instance it may launch."""
    architectures: Sequence[str]
    """CPU architectures it may launch: "amd64", "arm64"."""
    cpu_limit: int
    """Most vCPUs of all its nodes together."""
    memory_limit_gib: int
    """Most memory of all its nodes together, in GiB."""
    consolidation_policy: str
    """When nodes may be consolidated: "WhenEmptyOrUnderutilized" or "WhenEmpty"."""
    consolidate_after: str
    """How long a node must be consolidatable before it is consolidated, e.g. "1m"."""
    expire_after: str
    """Age at which a node is replaced, e.g. "720h"."""
    termination_grace_period: str
    """Longest a draining node waits for its pods before they are deleted, PDBs notwithstanding, e.g. "48h"."""
    budgets: Sequence[Budget]
    """How many nodes may be disrupted at once, and when."""
    weight: int | None = None
    """Priority over other pools (higher is tried first). Default: None (the lowest)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on its nodes. Default: none."""


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
                # Bounds the drain: with expireAfter alone a PDB could keep an expired node forever.
                "terminationGracePeriod": s.termination_grace_period,
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
