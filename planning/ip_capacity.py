"""IP capacity planning for the VPC CNI (pure Python).

With the VPC CNI every pod takes a VPC address, so subnets must be sized for
the cluster at its *maximum* scale: every node group and NodePool at its limit.
For each worker subnet (one per AZ) this computes the addresses needed at that
scale and compares them with what the subnet holds. docs/ip-planning.md walks
through the arithmetic with the shipped prod config.

Model (conservative on purpose):
- Nodes spread evenly over the AZs: ceil(max nodes / AZs) per subnet.
- Every node runs `max_pods` pods.
- Secondary-IP mode: without WARM_IP_TARGET the CNI keeps one spare ENI (the
  default WARM_ENI_TARGET=1) and fills each attached ENI with addresses, so a node
  takes whole ENIs: min(ENIs, ceil((pods + one ENI of warm IPs) / (IPs per ENI - 1)))
  x IPs per ENI. With WARM_IP_TARGET it takes one primary per ENI + pods + warm IPs.
- Prefix mode: each node holds ceil(pods / 16) + WARM_PREFIX_TARGET /28 prefixes
  (or ceil((pods + WARM_IP_TARGET) / 16)), plus one primary IP per ENI. A /28
  prefix needs an aligned, entirely free /28 block: the first and last block of a
  subnet hold AWS's reserved addresses, and each individually assigned address
  (ENI primaries, load balancers, endpoints) may spoil a block. So such an address
  counts as 16, and the two edge blocks as 27 addresses beyond the reserved 5.
- Custom networking: a node's primary ENI (one address) stays in the node subnet;
  pod ENIs, their prefixes or IPs go to the AZ's pod subnet.
- Every node subnet keeps `reserved_ips` for load balancers and endpoint ENIs.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass

from planning.instances import InstanceFacts

AWS_RESERVED_PER_SUBNET = 5
PREFIX_SIZE = 16
EDGE_BLOCKS_LOSS = 2 * PREFIX_SIZE - AWS_RESERVED_PER_SUBNET  # 27


@dataclass(frozen=True)
class CniMode:
    prefix_delegation: bool
    custom_networking: bool
    warm_prefix_target: int | None = None
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None


def pod_enis(facts: InstanceFacts, mode: CniMode) -> int:
    """ENIs that can carry pods (custom networking keeps the primary ENI for the node)."""
    return facts.enis - 1 if mode.custom_networking else facts.enis


def max_pods_capacity(facts: InstanceFacts, mode: CniMode) -> int:
    """Most pods the CNI can address on this instance (+2 for host-network pods),
    capped as EKS recommends: 110 below 30 vCPUs, 250 from there."""
    slots = pod_enis(facts, mode) * (facts.ipv4_per_eni - 1)
    capacity = (slots * PREFIX_SIZE if mode.prefix_delegation else slots) + 2
    return min(capacity, 110 if facts.vcpus < 30 else 250)


@dataclass(frozen=True)
class NodeAddresses:
    """Addresses one node takes at full density."""

    node_subnet_individual: int  # individually assigned addresses in the node subnet
    pod_subnet_individual: int  # ... in the pod subnet (custom networking)
    prefixes: int  # /28 prefixes (in the pod subnet with custom networking, else the node subnet)


def node_addresses(facts: InstanceFacts, mode: CniMode, max_pods: int) -> NodeAddresses:
    per_eni = facts.ipv4_per_eni - 1  # secondary slots per ENI (one address is the ENI's primary)
    if mode.prefix_delegation:
        if mode.warm_ip_target is not None:
            prefixes = math.ceil((max_pods + mode.warm_ip_target) / PREFIX_SIZE)
        else:
            prefixes = math.ceil(max_pods / PREFIX_SIZE) + (mode.warm_prefix_target or 0)
        if mode.minimum_ip_target is not None:
            prefixes = max(prefixes, math.ceil(mode.minimum_ip_target / PREFIX_SIZE))
        enis = min(pod_enis(facts, mode), math.ceil(prefixes / per_eni))
        pod_individual, individual_ips = enis, 0
    elif mode.warm_ip_target is not None or mode.minimum_ip_target is not None:
        addresses = max(max_pods + (mode.warm_ip_target or 0), mode.minimum_ip_target or 0)
        enis = min(pod_enis(facts, mode), math.ceil(addresses / per_eni))
        prefixes, pod_individual, individual_ips = 0, enis + addresses, 0
    else:
        enis = min(pod_enis(facts, mode), math.ceil((max_pods + per_eni) / per_eni))
        prefixes, pod_individual, individual_ips = 0, enis * facts.ipv4_per_eni, 0
    if mode.custom_networking:
        return NodeAddresses(node_subnet_individual=1, pod_subnet_individual=pod_individual, prefixes=prefixes)
    # Without custom networking the primary ENI is one of the pod ENIs.
    return NodeAddresses(
        node_subnet_individual=pod_individual + individual_ips, pod_subnet_individual=0, prefixes=prefixes
    )


@dataclass(frozen=True)
class NodeKind:
    """A group of nodes with the same network limits: a node group or a NodePool."""

    name: str
    max_nodes: int
    facts: InstanceFacts  # the smallest instance it may run: the most nodes per vCPU


@dataclass(frozen=True)
class SubnetUse:
    role: str  # "node" or "pod"
    az_index: int
    cidr: str
    size: int
    usable: int
    max_nodes: int
    max_pods: int
    needed: int

    @property
    def headroom(self) -> int:
        return self.usable - self.needed

    @property
    def utilisation(self) -> float:
        return self.needed / self.usable


@dataclass(frozen=True)
class IpPlan:
    max_pods: int
    subnets: tuple[SubnetUse, ...]

    def shortfalls(self) -> list[SubnetUse]:
        return [s for s in self.subnets if s.headroom < 0]

    def above(self, percent: int) -> list[SubnetUse]:
        return [s for s in self.subnets if s.headroom >= 0 and s.utilisation * 100 > percent]


def _needed(individual: int, prefixes: int, reserved: int) -> int:
    if prefixes:
        return PREFIX_SIZE * (prefixes + individual + reserved) + EDGE_BLOCKS_LOSS
    return individual + reserved


def plan_ip_capacity(
    *,
    node_subnets: Sequence[str],
    pod_subnets: Sequence[str],
    kinds: Sequence[NodeKind],
    mode: CniMode,
    max_pods: int,
    reserved_ips: int,
) -> IpPlan:
    az_count = len(node_subnets)
    node_total = {"individual": 0, "pod_individual": 0, "prefixes": 0}
    nodes_per_az = 0
    for kind in kinds:
        per_az = math.ceil(kind.max_nodes / az_count)
        nodes_per_az += per_az
        addresses = node_addresses(kind.facts, mode, max_pods)
        node_total["individual"] += per_az * addresses.node_subnet_individual
        node_total["pod_individual"] += per_az * addresses.pod_subnet_individual
        node_total["prefixes"] += per_az * addresses.prefixes
    uses = []
    for index, cidr in enumerate(node_subnets):
        size = ipaddress.IPv4Network(cidr).num_addresses
        prefixes_here = 0 if mode.custom_networking else node_total["prefixes"]
        needed = _needed(node_total["individual"], prefixes_here, reserved_ips)
        uses.append(
            SubnetUse(
                "node", index, cidr, size, size - AWS_RESERVED_PER_SUBNET, nodes_per_az, nodes_per_az * max_pods, needed
            )
        )
    if mode.custom_networking:
        for index, cidr in enumerate(pod_subnets):
            size = ipaddress.IPv4Network(cidr).num_addresses
            needed = _needed(node_total["pod_individual"], node_total["prefixes"], 0)
            uses.append(
                SubnetUse(
                    "pod",
                    index,
                    cidr,
                    size,
                    size - AWS_RESERVED_PER_SUBNET,
                    nodes_per_az,
                    nodes_per_az * max_pods,
                    needed,
                )
            )
    return IpPlan(max_pods=max_pods, subnets=tuple(uses))
