"""Prints the IP plan of every selected environment: per AZ and subnet, its size,
usable addresses, nodes and pods at maximum scale, addresses needed, headroom.
Warns (stderr) where a subnet is above the environment's `cni.warning_percent`."""

from __future__ import annotations

import sys

from envs import ConfigError, Environment, load_environments
from planning.ip_capacity import IpPlan


def format_table(env_name: str, plan: IpPlan) -> str:
    header = f"{'env':<9} {'AZ':>2} {'subnet':<6} {'cidr':<18} {'size':>6} {'usable':>6} {'nodes':>5} {'pods':>6} {'needed':>6} {'headroom':>8} {'use':>5}"
    rows = [header]
    for s in plan.subnets:
        rows.append(
            f"{env_name:<9} {s.az_index:>2} {s.role:<6} {s.cidr:<18} {s.size:>6} {s.usable:>6} {s.max_nodes:>5} "
            f"{s.max_pods:>6} {s.needed:>6} {s.headroom:>8} {s.utilisation:>5.0%}"
        )
    return "\n".join(rows)


def report(environments: list[Environment]) -> tuple[str, list[str]]:
    tables, warnings = [], []
    for env in environments:
        plan = env.ip_plan()
        mode = env.cni.mode()
        cni = "prefix delegation" if mode.prefix_delegation else "secondary IPs"
        if mode.custom_networking:
            cni += ", custom networking"
        tables.append(f"{env.name}: {cni}, max pods per node {plan.max_pods}\n{format_table(env.name, plan)}")
        warnings += [
            f"warning: {env.name}: {s.role} subnet {s.cidr} (AZ {s.az_index}) would be {s.utilisation:.0%} used "
            f"at maximum scale (above {env.cni.warning_percent}%)"
            for s in plan.above(env.cni.warning_percent)
        ]
    return "\n\n".join(tables), warnings


def main() -> int:
    try:
        environments = load_environments()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    tables, warnings = report(environments)
    print(tables)
    for warning in warnings:
        print(warning, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
