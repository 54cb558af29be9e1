"""The IP plan checked against the subnets (planning/ip_capacity.py does the
arithmetic): a shortfall names the subnet, the numbers and the levers that
would close it (docs/ip-planning.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envs.fields import FieldError
from envs.network import SecondaryCidr
from planning.instances import INSTANCE_FACTS
from planning.ip_capacity import AWS_RESERVED_PER_SUBNET, SubnetUse, max_pods_capacity

if TYPE_CHECKING:
    from envs.schema import Environment

LARGEST_SUBNET_PREFIX = 16  # a /16 is the largest subnet (and VPC CIDR) AWS allows


def check_ip_plan(env: Environment) -> None:
    if env.cni.custom_networking and env.network.secondary_cidr is None:
        raise FieldError("cni.custom_networking", "needs network.secondary_cidr: pods go to its subnets, one per AZ")
    group = env.cluster.system_node_group
    for index, name in enumerate(group.instance_types):
        if name not in INSTANCE_FACTS:
            raise FieldError(
                f"cluster.system_node_group.instance_types.{index}",
                f"no network facts for '{name}' in the IP planner (planning/ip_capacity.py INSTANCE_FACTS): add them",
            )
    mode = env.cni.mode()
    for kind in env.node_kinds():
        capacity = max_pods_capacity(kind.facts, mode)
        if env.cni.max_pods is not None and env.cni.max_pods > capacity:
            raise FieldError(
                "cni.max_pods",
                f"{env.cni.max_pods} is more than the CNI can address on the smallest {kind.name} node ({capacity})",
            )
    for use in env.ip_plan().shortfalls():
        field = "network.secondary_cidr.pod_subnet_prefix" if use.role == "pod" else "network.subnet_sizes.private"
        raise FieldError(
            field,
            f"IP plan of {env.name} does not fit: {use.role} subnet {use.cidr} (AZ {use.az_index}) needs "
            f"{use.needed} addresses at maximum scale ({use.max_nodes} nodes, {use.max_pods} pods) but has "
            f"{use.usable} usable: short by {-use.headroom}; levers: {'; '.join(levers(env, use, field))}",
        )


def prefix_holding(addresses: int) -> int:
    """The longest prefix length whose subnet has `addresses` usable (AWS keeps 5)."""
    return 32 - (addresses + AWS_RESERVED_PER_SUBNET - 1).bit_length()


def levers(env: Environment, use: SubnetUse, field: str) -> list[str]:
    """What would make this subnet hold its share at maximum scale. A CNI mode not
    in use is named only if the plan with it needs fewer addresses here (with
    prefix delegation each node may run more pods, which can need more)."""
    found = []
    if not env.cni.prefix_delegation:
        need = _need(env, use, {"prefix_delegation": True})
        pinned = _need(env, use, {"prefix_delegation": True, "max_pods": env.max_pods()})
        if need is not None and need < use.needed:
            found.append(f"cni.prefix_delegation: true ({need} needed here)")
        elif pinned is not None and pinned < use.needed:
            found.append(f"cni.prefix_delegation: true with cni.max_pods: {env.max_pods()} ({pinned} needed here)")
    if use.role == "node" and not env.cni.custom_networking:
        need = _need(env, use, {"custom_networking": True}, env.network.secondary_cidr or SecondaryCidr())
        if need is None or need < use.needed:
            then = f", {need} needed here" if need is not None else ""
            found.append(f"cni.custom_networking: true with network.secondary_cidr (pods in their own subnets{then})")
    found.append(
        "smaller pools: lower karpenter.node_pools[].limits.cpu or cluster.system_node_group.max_size, "
        "raise min_vcpu (fewer, larger nodes) or lower cni.max_pods"
    )
    prefix = prefix_holding(use.needed)
    if prefix >= LARGEST_SUBNET_PREFIX:
        within = "the VPC" if use.role == "node" else "network.secondary_cidr.cidr"
        found.append(
            f"a larger subnet: {field}: {prefix} or lower (now {_current(env, use)}, if {within} holds "
            f"{env.network.az_count} of them)"
        )
    return found


def _need(
    env: Environment, use: SubnetUse, cni: dict[str, object], secondary: SecondaryCidr | None = None
) -> int | None:
    """Addresses this subnet would need with other CNI settings (None: no such plan)."""
    network = env.network if secondary is None else env.network.model_copy(update={"secondary_cidr": secondary})
    trial = env.model_copy(update={"cni": env.cni.model_copy(update=cni), "network": network})
    try:
        plan = trial.ip_plan()
    except ValueError:  # SubnetPlanError: the secondary CIDR does not fit beside the VPC
        return None
    return next((s.needed for s in plan.subnets if (s.role, s.az_index) == (use.role, use.az_index)), None)


def _current(env: Environment, use: SubnetUse) -> int:
    if use.role == "pod" and env.network.secondary_cidr is not None:
        return env.network.secondary_cidr.pod_subnet_prefix
    return env.network.subnet_sizes.private
