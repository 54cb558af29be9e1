"""`E-network` on the shared synth: subnets, routes and NAT, flow logs, protection."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.conftest import ENV_NAMES, Synth, resolve_policy


def subnets_by_tier(synth: Synth, stack: str) -> dict[str, list[dict[str, Any]]]:
    tiers: dict[str, list[dict[str, Any]]] = {}
    for subnet in synth.resources(stack, "aws_subnet").values():
        tiers.setdefault(subnet["tags"]["platform/subnet-tier"], []).append(subnet)
    return tiers


@pytest.mark.parametrize("env", ENV_NAMES)
def test_subnets_math_and_tags(synth: Synth, env: str) -> None:
    stack = f"{env}-network"
    (vpc,) = synth.resources(stack, "aws_vpc").values()
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    vpc_net = ipaddress.IPv4Network(vpc["cidr_block"])
    tiers = subnets_by_tier(synth, stack)
    expected = {"public": 3, "private": 3, "intra": 3} | ({"pod": 3} if env == "prod" else {})
    assert {t: len(s) for t, s in tiers.items()} == expected
    if env == "prod":  # pod subnets live in the secondary CIDR
        pods = [ipaddress.IPv4Network(s["cidr_block"]) for s in tiers.pop("pod")]
        assert all(p.subnet_of(ipaddress.IPv4Network("100.64.0.0/16")) for p in pods)
    nets = [ipaddress.IPv4Network(s["cidr_block"]) for group in tiers.values() for s in group]
    assert all(n.subnet_of(vpc_net) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert {ipaddress.IPv4Network(s["cidr_block"]).prefixlen for s in tiers["private"]} == {19}
    for s in tiers["public"]:
        assert s["tags"]["kubernetes.io/role/elb"] == "1"
    for s in tiers["private"]:
        assert s["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert s["tags"]["karpenter.sh/discovery"] == f"{env}-platform"
    assert all(s["map_public_ip_on_launch"] is False for group in tiers.values() for s in group)
    azs = [s["availability_zone"] for s in tiers["private"]]
    assert len(set(azs)) == 3


@pytest.mark.parametrize(("env", "nat_count"), [("dev", 1), ("staging", 3), ("prod", 3)])
def test_routes_and_nat_strategy(synth: Synth, env: str, nat_count: int) -> None:
    stack = f"{env}-network"
    nats = synth.resources(stack, "aws_nat_gateway")
    assert len(nats) == nat_count
    routes = list(synth.resources(stack, "aws_route").values())
    igw_routes = [r for r in routes if r.get("gateway_id", "").startswith("${aws_internet_gateway.")]
    nat_routes = [r for r in routes if r.get("nat_gateway_id")]
    assert len(igw_routes) == 1 and igw_routes[0]["destination_cidr_block"] == "0.0.0.0/0"
    assert len(nat_routes) == 3
    assert len({r["nat_gateway_id"] for r in nat_routes}) == nat_count
    # The public route table is associated only with public subnets.
    tiers = subnets_by_tier(synth, stack)
    subnet_ref = {
        f"${{aws_subnet.{k}.id}}": s["tags"]["platform/subnet-tier"]
        for k, s in synth.resources(stack, "aws_subnet").items()
    }
    public_rt = igw_routes[0]["route_table_id"]
    associated = [
        a for a in synth.resources(stack, "aws_route_table_association").values() if a["route_table_id"] == public_rt
    ]
    assert sorted(subnet_ref[a["subnet_id"]] for a in associated) == ["public"] * len(tiers["public"])
    # Intra subnets have a route table without any route.
    intra_rts = {
        a["route_table_id"]
        for a in synth.resources(stack, "aws_route_table_association").values()
        if subnet_ref[a["subnet_id"]] == "intra"
    }
    assert len(intra_rts) == 1
    assert not [r for r in routes if r["route_table_id"] in intra_rts]


@pytest.mark.parametrize(("env", "retention"), [("dev", 7), ("staging", 30), ("prod", 365)])
def test_flow_logs_encrypted_with_retention(synth: Synth, env: str, retention: int) -> None:
    stack = f"{env}-network"
    (flow_log,) = synth.resources(stack, "aws_flow_log").values()
    assert flow_log["traffic_type"] == "ALL" and flow_log["log_destination_type"] == "cloud-watch-logs"
    (group,) = synth.resources(stack, "aws_cloudwatch_log_group").values()
    assert group["retention_in_days"] == retention
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    (key,) = synth.resources(stack, "aws_kms_key").values()
    assert key["enable_key_rotation"] is True
    statements = resolve_policy(synth, stack, key["policy"])["statement"]
    logs = next(s for s in statements if s["sid"] == "CloudWatchLogsUse")
    assert logs["principals"][0]["identifiers"][0].startswith("logs.")
    assert logs["condition"][0]["variable"] == "kms:EncryptionContext:aws:logs:arn"
    (default_sg,) = synth.resources(stack, "aws_default_security_group").values()
    assert "ingress" not in default_sg and "egress" not in default_sg


def test_deletion_protection_only_where_configured(synth: Synth) -> None:
    def protected(stack: str) -> bool:
        (key,) = synth.resources(stack, "aws_kms_key").values()
        return key.get("lifecycle") == {"prevent_destroy": True}

    assert protected("prod-network") and not protected("dev-network")


def discovered_by_load_balancer_controller(subnets: list[dict[str, Any]], scheme: str) -> list[dict[str, Any]]:
    """The AWS Load Balancer Controller's subnet auto-discovery: subnets whose role tag
    for the scheme is "1" or empty (docs: "Subnet auto-discovery")."""
    tag = "kubernetes.io/role/elb" if scheme == "internet-facing" else "kubernetes.io/role/internal-elb"
    return [s for s in subnets if s["tags"].get(tag) in ("1", "")]


@pytest.mark.parametrize("env", ENV_NAMES)
def test_load_balancer_controller_discovers_public_and_private_subnets(synth: Synth, env: str) -> None:
    tiers = subnets_by_tier(synth, f"{env}-network")
    every = [s for subnets in tiers.values() for s in subnets]
    for scheme, tier in (("internet-facing", "public"), ("internal", "private")):
        found = discovered_by_load_balancer_controller(every, scheme)
        assert found == tiers[tier], scheme
        # An ALB needs subnets in at least two zones, one per zone.
        zones = [s["availability_zone"] for s in found]
        assert len(set(zones)) == len(zones) >= 2
