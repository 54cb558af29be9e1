"""modules/network: the VPC construct as a cdktf unit test, on a known subnet plan:
private worker subnets that never assign public IPs nor route to the internet gateway,
intra subnets without a route out, NAT, encrypted flow logs, a default security group
without rules; and the synth-time rules find nothing in it."""

from __future__ import annotations

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider

from modules.best_practices import BestPractices, add_best_practices
from modules.network.vpc import Network, NetworkSettings
from planning.subnets import plan_subnets
from tests.modules.helpers import REGION, Doc, data, only, parse, ref, resources, statements

PLAN = plan_subnets("10.0.0.0/16", 2, public=24, private=20, intra=28, secondary_cidr="100.64.0.0/16", pod=18)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, BestPractices]:
    """Two AZs, one NAT gateway, pod subnets in a secondary CIDR, protected."""
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("network"))), "network")
    AwsProvider(stack, "aws", region=REGION)
    settings = NetworkSettings(
        name="demo",
        cluster_name="demo-cluster",
        plan=PLAN,
        single_nat_gateway=True,
        flow_log_retention_days=30,
        protect=True,
    )
    Network(stack, "network", settings)
    rules = add_best_practices(stack)
    return Testing.synth(stack, run_validations=True), rules


@pytest.fixture(scope="module")
def synthesized(network: tuple[str, BestPractices]) -> str:
    return network[0]


@pytest.fixture(scope="module")
def per_az(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three AZs, a NAT gateway per AZ, no secondary CIDR, not protected."""
    stack = TerraformStack(Testing.app(outdir=str(tmp_path_factory.mktemp("network-per-az"))), "network")
    AwsProvider(stack, "aws", region=REGION)
    plan = plan_subnets("10.1.0.0/16", 3, public=24, private=19, intra=28)
    Network(
        stack,
        "network",
        NetworkSettings(name="ha", cluster_name="ha", plan=plan, single_nat_gateway=False, flow_log_retention_days=7),
    )
    return Testing.synth(stack)


def subnets(doc: Doc, tier: str) -> dict[str, Doc]:
    return {n: s for n, s in resources(doc, "aws_subnet").items() if s["tags"]["platform/subnet-tier"] == tier}


def tables_of(doc: Doc, subnet_names: set[str]) -> set[str]:
    """Route tables (references) the subnets are associated with."""
    return {
        a["route_table_id"]
        for a in resources(doc, "aws_route_table_association").values()
        if a["subnet_id"].removeprefix("${aws_subnet.").removesuffix(".id}") in subnet_names
    }


def test_vpc_and_subnets_follow_the_plan(synthesized: str) -> None:
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_vpc",
        {"cidr_block": "10.0.0.0/16", "enable_dns_support": True, "enable_dns_hostnames": True},
    )
    assert Testing.to_have_resource_with_properties(
        synthesized, "aws_vpc_ipv4_cidr_block_association", {"cidr_block": "100.64.0.0/16"}
    )
    doc = parse(synthesized)
    for tier in ("public", "private", "intra", "pod"):
        assert sorted(s["cidr_block"] for s in subnets(doc, tier).values()) == sorted(PLAN.tier(tier)), tier
    # Pod subnets wait for the secondary CIDR: they are created in it.
    assert all(s["vpc_id"].startswith("${aws_vpc_ipv4_cidr_block_association.") for s in subnets(doc, "pod").values())
    # One subnet of each tier per AZ, from the AZs that need no opt-in.
    (azs,) = data(doc, "aws_availability_zones")
    assert sorted(s["availability_zone"] for s in subnets(doc, "private").values()) == [
        f"${{element(data.aws_availability_zones.{azs}.names, {index})}}" for index in range(2)
    ]
    assert Testing.to_have_data_source_with_properties(
        synthesized,
        "aws_availability_zones",
        {"state": "available", "filter": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]},
    )


def test_no_subnet_assigns_public_ips(synthesized: str) -> None:
    assert not Testing.to_have_resource_with_properties(synthesized, "aws_subnet", {"map_public_ip_on_launch": True})
    assert all(s["map_public_ip_on_launch"] is False for s in resources(parse(synthesized), "aws_subnet").values())


def test_private_subnets_are_the_worker_subnets(synthesized: str) -> None:
    doc = parse(synthesized)
    for subnet in subnets(doc, "private").values():
        assert subnet["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert subnet["tags"]["karpenter.sh/discovery"] == "demo-cluster"
    for subnet in subnets(doc, "public").values():
        assert subnet["tags"]["kubernetes.io/role/elb"] == "1" and "karpenter.sh/discovery" not in subnet["tags"]
    for tier in ("intra", "pod"):
        assert not any("karpenter.sh/discovery" in s["tags"] for s in subnets(doc, tier).values())


def test_only_public_subnets_route_to_the_internet_gateway(synthesized: str) -> None:
    doc = parse(synthesized)
    igw_name, _ = only(doc, "aws_internet_gateway")
    routes = list(resources(doc, "aws_route").values())
    (igw_route,) = [r for r in routes if "gateway_id" in r]
    assert igw_route["gateway_id"] == ref("aws_internet_gateway", igw_name, "id")
    assert tables_of(doc, set(subnets(doc, "public"))) == {igw_route["route_table_id"]}
    for tier in ("private", "pod", "intra"):
        assert igw_route["route_table_id"] not in tables_of(doc, set(subnets(doc, tier))), tier


def test_private_and_pod_subnets_egress_through_nat(synthesized: str) -> None:
    doc = parse(synthesized)
    nat_name, nat = only(doc, "aws_nat_gateway")  # single NAT
    assert nat["subnet_id"] in {ref("aws_subnet", n, "id") for n in subnets(doc, "public")}
    private_tables = tables_of(doc, set(subnets(doc, "private")))
    assert len(private_tables) == 2  # one per AZ
    assert tables_of(doc, set(subnets(doc, "pod"))) == private_tables
    nat_routes = [r for r in resources(doc, "aws_route").values() if "nat_gateway_id" in r]
    assert {r["route_table_id"] for r in nat_routes} == private_tables
    assert all(r["destination_cidr_block"] == "0.0.0.0/0" for r in nat_routes)
    assert {r["nat_gateway_id"] for r in nat_routes} == {ref("aws_nat_gateway", nat_name, "id")}


def test_intra_subnets_have_no_route_out(synthesized: str) -> None:
    doc = parse(synthesized)
    (intra_table,) = tables_of(doc, set(subnets(doc, "intra")))
    assert [r for r in resources(doc, "aws_route").values() if r["route_table_id"] == intra_table] == []


def test_default_security_group_has_no_rules(synthesized: str) -> None:
    _, group = only(parse(synthesized), "aws_default_security_group")
    assert "ingress" not in group and "egress" not in group


def test_flow_logs_are_encrypted_and_expire(synthesized: str) -> None:
    doc = parse(synthesized)
    key_name, key = only(doc, "aws_kms_key")
    log_group_name, _ = only(doc, "aws_cloudwatch_log_group")
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_cloudwatch_log_group",
        {"name": "/aws/vpc-flow-logs/demo", "retention_in_days": 30, "kms_key_id": ref("aws_kms_key", key_name, "arn")},
    )
    assert key["enable_key_rotation"] is True and key["lifecycle"] == {"prevent_destroy": True}
    assert "CloudWatchLogsUse" in statements(doc, key["policy"])
    assert Testing.to_have_resource_with_properties(
        synthesized,
        "aws_flow_log",
        {
            "traffic_type": "ALL",
            "log_destination_type": "cloud-watch-logs",
            "log_destination": ref("aws_cloudwatch_log_group", log_group_name, "arn"),
        },
    )
    _, role = only(doc, "aws_iam_role")
    (trust,) = statements(doc, role["assume_role_policy"]).values()
    assert trust["principals"] == [{"type": "Service", "identifiers": ["vpc-flow-logs.amazonaws.com"]}]
    assert trust["condition"][0]["variable"] == "aws:SourceAccount"
    _, write = only(doc, "aws_iam_role_policy")
    (allowed,) = statements(doc, write["policy"]).values()
    log_group_arn = ref("aws_cloudwatch_log_group", log_group_name, "arn")
    assert allowed["resources"] == [log_group_arn, f"{log_group_arn}:*"]


def test_the_rules_find_nothing(network: tuple[str, BestPractices]) -> None:
    _, rules = network
    assert rules.checked["worker-subnet-routes"] == 2 and rules.checked["log-group"] == 1
    assert rules.violations == []


def test_nat_gateway_per_az(per_az: str) -> None:
    doc = parse(per_az)
    nats = {ref("aws_nat_gateway", n, "id"): nat for n, nat in resources(doc, "aws_nat_gateway").items()}
    assert len(nats) == 3
    nat_routes = [r for r in resources(doc, "aws_route").values() if "nat_gateway_id" in r]
    assert len({r["nat_gateway_id"] for r in nat_routes}) == 3 and len(nat_routes) == 3
    assert len({nat["subnet_id"] for nat in nats.values()}) == 3
    assert subnets(doc, "pod") == {}
    # Not protected: the key can be destroyed.
    _, key = only(doc, "aws_kms_key")
    assert "lifecycle" not in key
