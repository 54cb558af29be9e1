"""Subnet CIDRs computed from the VPC CIDR and per-tier sizes (pure Python).

Tiers are carved largest first, so every block lands on its natural boundary
without gaps, and the result is the same every time for the same input. The
remaining space at the end of the VPC is left free for growth.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from ipaddress import IPv4Network
from itertools import pairwise

# Smallest sensible subnet per tier: private subnets carry nodes and (without
# custom networking) every pod IP; public ones NAT gateways and load balancers;
# EKS needs at least a /28 for its control-plane ENIs.
SMALLEST_PREFIX = {"private": 24, "public": 27, "intra": 28, "pod": 22}


class SubnetPlanError(ValueError):
    """The sizes asked for cannot be laid out; `field` names the setting to change."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True)
class SubnetPlan:
    vpc_cidr: str
    public: tuple[str, ...]
    private: tuple[str, ...]
    intra: tuple[str, ...]
    pod: tuple[str, ...] = ()
    secondary_cidr: str | None = None

    def tier(self, name: str) -> tuple[str, ...]:
        cidrs: tuple[str, ...] = getattr(self, name)
        return cidrs


def _carve(
    vpc: IPv4Network, tiers: list[tuple[str, int]], az_count: int, field_prefix: str
) -> dict[str, list[IPv4Network]]:
    for name, prefix in tiers:
        if prefix < vpc.prefixlen:
            raise SubnetPlanError(
                f"{field_prefix}.{name}",
                f"a /{prefix} subnet is larger than the whole {vpc}",
            )
        if prefix > SMALLEST_PREFIX[name]:
            raise SubnetPlanError(
                f"{field_prefix}.{name}",
                f"/{prefix} is too small for {name} subnets (at most /{SMALLEST_PREFIX[name]})",
            )
    result: dict[str, list[IPv4Network]] = {name: [] for name, _ in tiers}
    cursor = int(vpc.network_address)
    end = int(vpc.broadcast_address) + 1
    for name, prefix in sorted(tiers, key=lambda t: t[1]):
        size = 2 ** (32 - prefix)
        for _ in range(az_count):
            cursor = -(-cursor // size) * size  # align up to the block's boundary
            if cursor + size > end:
                needed = sum(az_count * 2 ** (32 - p) for _, p in tiers)
                raise SubnetPlanError(
                    f"{field_prefix}.{name}",
                    f"{az_count} x /{prefix} {name} subnets do not fit in {vpc} "
                    f"with the other tiers (need {needed} addresses, the VPC has {vpc.num_addresses}); "
                    f"a subnet would fall outside the VPC",
                )
            result[name].append(IPv4Network((cursor, prefix)))
            cursor += size
    return result


def check_disjoint(vpc_cidrs: list[str], subnets: list[str]) -> None:
    """Every subnet inside one VPC CIDR and no two subnets overlapping."""
    vpcs = [ipaddress.IPv4Network(c) for c in vpc_cidrs]
    nets = sorted(ipaddress.IPv4Network(s) for s in subnets)
    for net in nets:
        if not any(net.subnet_of(v) for v in vpcs):
            raise SubnetPlanError("subnets", f"subnet {net} lies outside the VPC ({', '.join(vpc_cidrs)})")
    for a, b in pairwise(nets):
        if a.overlaps(b):
            raise SubnetPlanError("subnets", f"subnets {a} and {b} overlap")


def plan_subnets(
    vpc_cidr: str,
    az_count: int,
    public: int,
    private: int,
    intra: int,
    secondary_cidr: str | None = None,
    pod: int | None = None,
) -> SubnetPlan:
    vpc = ipaddress.IPv4Network(vpc_cidr)
    if not 16 <= vpc.prefixlen <= 24:
        raise SubnetPlanError("vpc_cidr", f"a VPC CIDR must be between /16 and /24 here (got /{vpc.prefixlen})")
    tiers = _carve(vpc, [("public", public), ("private", private), ("intra", intra)], az_count, "subnet_sizes")
    pods: list[IPv4Network] = []
    if secondary_cidr is not None:
        secondary = ipaddress.IPv4Network(secondary_cidr)
        if secondary.overlaps(vpc):
            raise SubnetPlanError("secondary_cidr.cidr", f"{secondary} overlaps the VPC CIDR {vpc}")
        pods = _carve(secondary, [("pod", pod or SMALLEST_PREFIX["pod"])], az_count, "secondary_cidr")["pod"]
    all_subnets = [str(n) for group in (*tiers.values(), pods) for n in group]
    check_disjoint([str(vpc)] + ([secondary_cidr] if secondary_cidr else []), all_subnets)
    return SubnetPlan(
        vpc_cidr=str(vpc),
        public=tuple(str(n) for n in tiers["public"]),
        private=tuple(str(n) for n in tiers["private"]),
        intra=tuple(str(n) for n in tiers["intra"]),
        pod=tuple(str(n) for n in pods),
        secondary_cidr=secondary_cidr,
    )
