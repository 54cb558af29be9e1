"""The synth-time best-practice rules, each shown failing on a stack built to break it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_node_group import EksNodeGroup, EksNodeGroupScalingConfig
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc

from modules.best_practices import add_best_practices
from modules.conventions import INTERNAL_ELB_ROLE_TAG
from tests.conftest import Synth


def synth_violations(tmp_path: Path, build: object) -> list[str]:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "rules")
    AwsProvider(stack, "aws", region="eu-west-1")
    assert callable(build)
    build(stack)
    rules = add_best_practices(app)
    with pytest.raises(Exception, match="ERROR"):
        app.synth()
    return [str(v) for v in rules.violations]


def test_log_group_without_retention_or_kms(tmp_path: Path) -> None:
    violations = synth_violations(tmp_path, lambda s: CloudwatchLogGroup(s, "plain", name="/plain"))
    assert violations == [
        "rules/plain: [log-group-retention] log group has no retention; logs would be kept (and billed) forever",
        "rules/plain: [log-group-kms] log group is not encrypted with a customer-managed KMS key",
    ]


def _public_worker_subnet(stack: TerraformStack, public_ip: bool) -> None:
    vpc = Vpc(stack, "vpc", cidr_block="10.0.0.0/16")
    subnet = Subnet(
        stack,
        "workers",
        vpc_id=vpc.id,
        cidr_block="10.0.0.0/24",
        map_public_ip_on_launch=public_ip,
        tags={INTERNAL_ELB_ROLE_TAG: "1"},
    )
    if not public_ip:
        igw = InternetGateway(stack, "igw", vpc_id=vpc.id)
        rt = RouteTable(stack, "rt", vpc_id=vpc.id)
        Route(stack, "default", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id)
        RouteTableAssociation(stack, "rta", subnet_id=subnet.id, route_table_id=rt.id)


def test_worker_subnet_with_public_ips(tmp_path: Path) -> None:
    violations = synth_violations(tmp_path, lambda s: _public_worker_subnet(s, public_ip=True))
    assert len(violations) == 1 and violations[0].startswith("rules/workers: [worker-subnet-private] ")


def test_worker_subnet_routed_to_internet_gateway(tmp_path: Path) -> None:
    violations = synth_violations(tmp_path, lambda s: _public_worker_subnet(s, public_ip=False))
    assert len(violations) == 1 and "routes to an internet gateway" in violations[0]
    assert violations[0].startswith("rules/workers: ")


def test_shipped_environments_break_no_rule(synth: Synth) -> None:
    # The rules did look at every environment's subnets and log groups ...
    assert synth.rules.checked["worker-subnet-routes"] >= 9
    assert synth.rules.checked["log-group"] >= 3
    assert synth.rules.violations == []
    # ... and nothing else reported an error.
    for name, entry in synth.manifest["stacks"].items():
        assert [a for a in entry["annotations"] if a["level"] == "ERROR"] == [], name


def _node_group_in(stack: TerraformStack, worker_tagged: bool) -> None:
    vpc = Vpc(stack, "vpc", cidr_block="10.0.0.0/16")
    tags = {INTERNAL_ELB_ROLE_TAG: "1"} if worker_tagged else {"kubernetes.io/role/elb": "1"}
    subnet = Subnet(stack, "subnet", vpc_id=vpc.id, cidr_block="10.0.0.0/24", tags=tags)
    EksNodeGroup(
        stack,
        "nodes",
        cluster_name="c",
        node_role_arn="arn:aws:iam::123456789012:role/n",
        subnet_ids=[subnet.id],
        scaling_config=EksNodeGroupScalingConfig(min_size=1, max_size=1, desired_size=1),
    )


def test_node_group_in_a_public_subnet(tmp_path: Path) -> None:
    violations = synth_violations(tmp_path, lambda s: _node_group_in(s, worker_tagged=False))
    assert violations == [
        "rules/nodes: [node-group-private-subnets] a node group uses a subnet that is not one of the private "
        "worker subnets; nodes belong in private subnets only"
    ]


def test_node_group_rule_follows_cross_stack_references(synth: Synth) -> None:
    # Each cluster stack's node group reads its subnets from the network stack.
    assert synth.rules.checked["node-group-subnets"] == 3
