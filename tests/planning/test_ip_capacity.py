"""planning/ip_capacity.py: the IP planner with hand-checked numbers."""

from __future__ import annotations

import pytest

from planning.instances import FACTS_BY_VCPU, INSTANCE_FACTS
from planning.ip_capacity import (
    CniMode,
    NodeKind,
    max_pods_capacity,
    node_addresses,
    plan_ip_capacity,
)

SECONDARY = CniMode(prefix_delegation=False, custom_networking=False)


PREFIX = CniMode(prefix_delegation=True, custom_networking=False, warm_prefix_target=1)


SECONDARY_CUSTOM = CniMode(prefix_delegation=False, custom_networking=True)


PREFIX_CUSTOM = CniMode(prefix_delegation=True, custom_networking=True, warm_prefix_target=1)


@pytest.mark.parametrize(
    ("instance", "mode", "expected"),
    [
        # ENIs x (IPv4 per ENI - 1) + 2
        ("t3.large", SECONDARY, 3 * 11 + 2),  # 35
        ("m7i.large", SECONDARY, 3 * 9 + 2),  # 29
        ("m7i.xlarge", SECONDARY, 4 * 14 + 2),  # 58
        # custom networking: the primary ENI carries no pods
        ("t3.large", SECONDARY_CUSTOM, 2 * 11 + 2),  # 24
        ("m7i.xlarge", SECONDARY_CUSTOM, 3 * 14 + 2),  # 44
        # prefixes: x16, then capped at 110 below 30 vCPUs (raw: 530, 434, 898)
        ("t3.large", PREFIX, 110),
        ("m7i.large", PREFIX, 110),
        ("m7i.xlarge", PREFIX, 110),
    ],
)
def test_max_pods_per_instance_type(instance: str, mode: CniMode, expected: int) -> None:
    assert max_pods_capacity(INSTANCE_FACTS[instance], mode) == expected


def test_large_instances_are_capped_at_250() -> None:
    facts = FACTS_BY_VCPU[32]  # 8 ENIs x 30 IPs
    assert max_pods_capacity(facts, SECONDARY) == 8 * 29 + 2  # 234, below the cap
    assert max_pods_capacity(facts, PREFIX) == 250


@pytest.mark.parametrize(
    ("instance", "max_pods", "node_ips"),
    [
        # whole ENIs: min(ENIs, ceil((pods + one warm ENI) / slots)) x IPs per ENI
        ("t3.large", 35, 3 * 12),  # ceil(46/11) = 5 -> 3 ENIs
        ("m7i.large", 29, 3 * 10),  # ceil(38/9) = 5 -> 3 ENIs
        ("m7i.xlarge", 58, 4 * 15),  # ceil(72/14) = 6 -> 4 ENIs
        ("m7i.xlarge", 20, 3 * 15),  # ceil(34/14) = 3 ENIs
    ],
)
def test_secondary_ip_mode_node_addresses(instance: str, max_pods: int, node_ips: int) -> None:
    addresses = node_addresses(INSTANCE_FACTS[instance], SECONDARY, max_pods)
    assert (addresses.node_subnet_individual, addresses.prefixes) == (node_ips, 0)


@pytest.mark.parametrize("instance", ["t3.large", "m7i.large", "m7i.xlarge"])
def test_prefix_mode_node_addresses(instance: str) -> None:
    addresses = node_addresses(INSTANCE_FACTS[instance], PREFIX, 110)
    # ceil(110 / 16) = 7 prefixes + 1 warm; one ENI holds them (8 <= IPs per ENI - 1)
    assert (addresses.node_subnet_individual, addresses.prefixes) == (1, 8)
    custom = node_addresses(INSTANCE_FACTS[instance], PREFIX_CUSTOM, 110)
    assert (custom.node_subnet_individual, custom.pod_subnet_individual, custom.prefixes) == (1, 1, 8)


def test_warm_ip_target_in_secondary_mode() -> None:
    mode = CniMode(prefix_delegation=False, custom_networking=False, warm_ip_target=5, minimum_ip_target=10)
    # pods 20 + warm 5 = 25 addresses on ceil(25/11) = 3 ENIs: 3 primaries + 25
    assert node_addresses(INSTANCE_FACTS["t3.large"], mode, 20).node_subnet_individual == 28


def test_shipped_prod_plan_worked_example() -> None:
    # docs/ip-planning.md: 3 AZs, custom networking, prefix mode, max pods 110.
    kinds = [
        NodeKind("system", 6, INSTANCE_FACTS["m7i.xlarge"]),
        NodeKind("on-demand", 200, FACTS_BY_VCPU[4]),  # 800 vCPU / 4
        NodeKind("spot", 50, FACTS_BY_VCPU[4]),  # 200 vCPU / 4
    ]
    plan = plan_ip_capacity(
        node_subnets=["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"],
        pod_subnets=["100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18"],
        kinds=kinds,
        mode=PREFIX_CUSTOM,
        max_pods=110,
        reserved_ips=32,
    )
    node, pod = plan.subnets[0], plan.subnets[3]
    assert node.max_nodes == 2 + 67 + 17 == 86
    assert node.needed == 86 + 32  # one primary address per node, plus load balancers
    assert pod.needed == 16 * (86 * 8 + 86 * 1) + 27 == 12411
    assert pod.usable == 16384 - 5 and pod.headroom == 3968
    assert plan.shortfalls() == [] and plan.above(80) == []


def test_a_plan_that_cannot_fit() -> None:
    kinds = [NodeKind("pool", 200, FACTS_BY_VCPU[4])]
    plan = plan_ip_capacity(
        node_subnets=["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        pod_subnets=[],
        kinds=kinds,
        mode=PREFIX,
        max_pods=110,
        reserved_ips=32,
    )
    short = plan.shortfalls()
    assert len(short) == 3
    # ceil(200/3) = 67 nodes: 16 x (67 x 8 prefixes + 67 primaries + 32 reserved) + 27
    assert short[0].needed == 16 * (67 * 8 + 67 + 32) + 27 == 10187
    assert short[0].headroom == 251 - 10187
