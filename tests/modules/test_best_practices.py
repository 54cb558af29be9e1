"""modules/best_practices.py: each synth-time rule shown failing (synth refused, one line
naming the construct) on a stack built to break it, and the one exemption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_node_group import EksNodeGroup, EksNodeGroupScalingConfig
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider

from modules.best_practices import add_best_practices
from modules.conventions import INTERNAL_ELB_ROLE_TAG
from modules.tenancy.overprovisioning import overprovisioning_manifests
from modules.tenancy.teams import TeamSettings, team_manifests
from modules.tenancy.workload import workload_manifests
from tests.modules.helpers import SPEC


def synth_violations(tmp_path: Path, build: object) -> list[str]:
    app = Testing.app(outdir=str(tmp_path))
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


def synth_rules(tmp_path: Path, objects: list[dict[str, Any]]) -> list[str]:
    app = Testing.app(outdir=str(tmp_path))
    stack = TerraformStack(app, "k8s")
    KubernetesProvider(stack, "kubernetes")
    for index, manifest in enumerate(objects):
        Manifest(stack, f"m{index}", manifest=manifest)
    rules = add_best_practices(app)
    try:
        app.synth()
    except Exception as err:  # jsii raises when an error annotation exists
        assert "ERROR" in str(err)
    return [str(v) for v in rules.violations]


def test_a_workload_without_a_startup_probe_fails_synth_naming_it(tmp_path: Path) -> None:
    deployment = workload_manifests(SPEC)[0]
    del deployment["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
    assert synth_rules(tmp_path, [deployment]) == [
        "k8s/m0: [workload-probes] Deployment web/api: container api has no startupProbe; every workload needs "
        "liveness, readiness and startup probes"
    ]


def test_statefulset_without_requests_fails(tmp_path: Path) -> None:
    stateful = workload_manifests(SPEC)[0] | {"kind": "StatefulSet"}
    del stateful["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    violations = synth_rules(tmp_path, [stateful])
    assert len(violations) == 1 and "[workload-requests] StatefulSet web/api" in violations[0]


def test_the_placeholder_exemption_admits_only_placeholders(tmp_path: Path) -> None:
    placeholder = overprovisioning_manifests(3, "1", "2Gi")[2]
    assert synth_rules(tmp_path / "ok", [placeholder]) == []

    def variant(change: Any) -> dict[str, Any]:
        copy = overprovisioning_manifests(3, "1", "2Gi")[2]
        change(copy)
        return copy

    def pod(m: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, Any] = m["spec"]["template"]["spec"]
        return spec

    sneaky = [
        variant(lambda m: pod(m)["containers"][0].update(image="nginx:1.27")),  # not pause
        variant(lambda m: m["metadata"].update(namespace="web")),  # not in its namespace
        variant(lambda m: pod(m).pop("priorityClassName")),  # not at placeholder priority
        variant(lambda m: pod(m)["containers"].append({"name": "app", "image": "nginx:1.27"})),  # pause + another
    ]
    for index, manifest in enumerate(sneaky):
        violations = synth_rules(tmp_path / str(index), [manifest])
        assert any("[workload-probes]" in v for v in violations), index


def test_team_namespace_without_quota_and_limit_range_fails(tmp_path: Path) -> None:
    team = TeamSettings("web", "4", "8Gi", "8", "16Gi", 10, 5, 5, "10Gi", "100m", "128Mi", "500m", "512Mi")
    namespace, quota, *_ = team_manifests(team)
    assert synth_rules(tmp_path / "ok", [namespace, quota, team_manifests(team)[2]]) == []
    assert synth_rules(tmp_path / "bad", [namespace, quota]) == [
        "k8s/m0: [team-namespace-limits] team namespace web has no LimitRange; one team's runaway could take "
        "the whole cluster"
    ]
