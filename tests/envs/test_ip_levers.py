"""An IP plan that does not fit names the levers that would make it fit, and
only those: a CNI mode is named only if it lowers the need in that subnet."""

from __future__ import annotations

import re
from pathlib import Path

from envs.capacity import prefix_holding
from tests.envs.envfile import BASE, load, one_line

# 800 vCPUs of 4-vCPU nodes in /24 private subnets: far too many addresses.
CROWDED = BASE.replace("nat: single", "nat: single\n  subnet_sizes: {private: 24}").replace(
    "limits: {cpu: 64, memory_gib: 256}", "limits: {cpu: 800, memory_gib: 3200}"
)
NODE_SHORTFALL = "network.subnet_sizes.private: IP plan of qa does not fit: node subnet 10.0.3.0/24 (AZ 0) needs "


def levers(line: str) -> list[str]:
    assert "; levers: " in line, line
    return line.split("; levers: ", 1)[1].split("; ")


def test_a_node_subnet_shortfall_names_custom_networking_pools_and_a_larger_subnet(tmp_path: Path) -> None:
    line = one_line(tmp_path, CROWDED)
    assert line.startswith(NODE_SHORTFALL)
    found = levers(line)
    assert found[0].startswith("cni.custom_networking: true with network.secondary_cidr (pods in their own subnets, ")
    assert found[1].startswith("smaller pools: lower karpenter.node_pools[].limits.cpu")
    assert found[2] == "a larger subnet: network.subnet_sizes.private: 18 or lower (now 24, if the VPC holds 3 of them)"
    assert not any("prefix_delegation" in lever for lever in found)  # already on


def test_the_larger_subnet_it_names_holds_the_plan(tmp_path: Path) -> None:
    prefix = re.search(r"network\.subnet_sizes\.private: (\d+) or lower", one_line(tmp_path, CROWDED))
    assert prefix is not None
    fitting = CROWDED.replace("{private: 24}", f"{{private: {prefix[1]}}}")
    assert load(tmp_path, fitting).network.subnet_sizes.private == int(prefix[1])
    too_small = CROWDED.replace("{private: 24}", f"{{private: {int(prefix[1]) + 1}}}")
    assert one_line(tmp_path, too_small).startswith("network.subnet_sizes.private: IP plan of qa does not fit")


def test_the_custom_networking_it_names_holds_the_plan(tmp_path: Path) -> None:
    fixed = CROWDED.replace("{private: 24}", "{private: 24}\n  secondary_cidr: {cidr: 100.64.0.0/16}")
    env = load(tmp_path, fixed + "cni: {custom_networking: true}\n")
    assert env.cni.custom_networking and not env.ip_plan().shortfalls()


def test_prefix_delegation_is_not_named_where_it_would_need_more(tmp_path: Path) -> None:
    # Small nodes: prefix mode lets each run 110 pods instead of 29, which needs more addresses.
    line = one_line(tmp_path, CROWDED + "cni: {prefix_delegation: false}\n")
    assert line.startswith(NODE_SHORTFALL)
    assert not any("prefix_delegation" in lever for lever in levers(line))


def test_prefix_delegation_is_named_where_it_needs_fewer(tmp_path: Path) -> None:
    # 48-vCPU nodes in secondary-IP mode take whole ENIs of 50 addresses; prefixes at the same pod count take fewer.
    big_nodes = CROWDED.replace(
        "limits: {cpu: 800, memory_gib: 3200}", "limits: {cpu: 4800, memory_gib: 19200}\n      min_vcpu: 48"
    )
    line = one_line(tmp_path, big_nodes + "cni: {prefix_delegation: false}\n")
    needed = int(line.removeprefix(NODE_SHORTFALL).split()[0])
    lever = levers(line)[0]
    match = re.fullmatch(r"cni\.prefix_delegation: true with cni\.max_pods: (\d+) \((\d+) needed here\)", lever)
    assert match is not None, lever
    assert int(match[2]) < needed


def test_a_pod_subnet_shortfall_names_the_pod_subnet_size(tmp_path: Path) -> None:
    text = (
        CROWDED.replace(
            "{private: 24}", "{private: 20}\n  secondary_cidr: {cidr: 100.64.0.0/16, pod_subnet_prefix: 22}"
        )
        + "cni: {custom_networking: true}\n"
    )
    line = one_line(tmp_path, text)
    assert line.startswith("network.secondary_cidr.pod_subnet_prefix: IP plan of qa does not fit: pod subnet ")
    found = levers(line)
    assert not any("custom_networking" in lever for lever in found)  # already on
    assert found[-1].startswith("a larger subnet: network.secondary_cidr.pod_subnet_prefix: ")
    assert found[-1].endswith(" or lower (now 22, if network.secondary_cidr.cidr holds 3 of them)")


def test_prefix_holding() -> None:
    assert prefix_holding(251) == 24  # a /24 has 256 - 5 usable
    assert prefix_holding(252) == 23
    assert prefix_holding(16379) == 18
