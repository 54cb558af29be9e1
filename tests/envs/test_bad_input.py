"""Every configuration mistake: one line naming file, field and reason; exit
code 1; no traceback; the output folder untouched."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from main import synth
from tests.conftest import FIXTURE_ENVS, ROOT

GOOD = (FIXTURE_ENVS / "dev.yaml").read_text()


@dataclass(frozen=True)
class Result:
    returncode: int
    stderr: str


def run_main(envs_dir: Path, outdir: Path, **extra_env: str) -> Result:
    """main.py's synth in this process, with only these settings: what `python main.py`
    prints and returns, without an interpreter start per case. An exception escaping
    it (a traceback on the command line) fails the test; test_the_command_line_* runs
    the real command once."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        returncode = synth(outdir, {"PLATFORM_ENVS_DIR": str(envs_dir), **extra_env})
    return Result(returncode, stderr.getvalue())


def run_command(envs_dir: Path, outdir: Path) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATFORM_")}
    env.update({"PLATFORM_ENVS_DIR": str(envs_dir), "CDKTF_OUTDIR": str(outdir)})
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    return Result(result.returncode, result.stderr)


def assert_one_clean_line(result: Result, outdir: Path, *expected: str) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    # The existing output folder is exactly as it was, and nothing else was written beside it.
    assert sorted(p.name for p in outdir.iterdir()) == ["sentinel"]
    assert sorted(p.name for p in outdir.parent.iterdir()) == ["cdktf.out", "envs"]
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> tuple[Path, Path]:
    envs_dir, outdir = tmp_path / "envs", tmp_path / "cdktf.out"
    envs_dir.mkdir()
    outdir.mkdir()
    (outdir / "sentinel").write_text("from an earlier synth")
    return envs_dir, outdir


CASES = {
    "unknown key": (GOOD.replace("nat: single", "nat: single\n  nat_gatway: 2"), "network.nat_gatway", "unknown key"),
    "invalid CIDR": (GOOD.replace("10.10.0.0/16", "10.10.0.0/33"), "network.vpc_cidr", "not a valid IPv4 network"),
    "host bits set": (GOOD.replace("10.10.0.0/16", "10.10.0.1/16"), "network.vpc_cidr", "host bits set"),
    "overlapping subnets": (
        GOOD.replace("nat: single", "nat: single\n  secondary_cidr: {cidr: 10.10.128.0/17, pod_subnet_prefix: 20}"),
        "network.secondary_cidr.cidr",
        "overlaps",
    ),
    "subnet outside the VPC": (
        GOOD.replace("10.10.0.0/16", "10.10.0.0/18"),
        "network.subnet_sizes.private",
        "outside the VPC",
    ),
    "too-small subnets": (
        GOOD.replace("private: 19", "private: 26"),
        "network.subnet_sizes.private",
        "too small",
    ),
    "fewer than 2 AZs": (GOOD.replace("az_count: 3", "az_count: 1"), "network.az_count", "greater than or equal to 2"),
    "retention CloudWatch refuses": (
        GOOD.replace("log_retention_days: 7", "log_retention_days: 31"),
        "cluster.log_retention_days",
        "31 days is not a retention CloudWatch Logs accepts",
    ),
    "flow log retention": (
        GOOD.replace("retention_days: 7}", "retention_days: 0}"),
        "network.flow_logs.retention_days",
        "not a retention",
    ),
    "malformed account id": (
        GOOD.replace("region: eu-west-1", 'region: eu-west-1\n  account_id: "12345"'),
        "aws.account_id",
        "not an AWS account id",
    ),
    "bad region": (GOOD.replace("region: eu-west-1", "region: europe"), "aws.region", "not an AWS region"),
    "unsupported kubernetes version": (
        GOOD.replace('kubernetes_version: "1.34"', 'kubernetes_version: "1.20"'),
        "cluster.kubernetes_version",
        "not a supported version",
    ),
    "duplicate key": (GOOD.replace("nat: single", "nat: single\n  nat: per_az"), "nat' appears twice", "line"),
    "not yaml": ("network: [", "not valid YAML", "dev.yaml"),
    "karpenter limit not positive": (
        GOOD.replace("limits: {cpu: 32,", "limits: {cpu: 0,"),
        "karpenter.node_pools.0.limits.cpu",
        "greater than 0",
    ),
    "karpenter limits missing": (
        GOOD.replace("      limits: {cpu: 16, memory_gib: 64}\n", ""),
        "karpenter.node_pools.1.limits",
        "required but not set",
    ),
    "unknown instance category": (
        GOOD.replace("consolidate_after: 30s", "consolidate_after: 30s\n      instance_categories: [m, q]"),
        "karpenter.node_pools.0.instance_categories.1",
        "not an EC2 instance category",
    ),
    "budget schedule without duration": (
        GOOD.replace(
            "consolidate_after: 30s", "consolidate_after: 30s\n      budgets: [{nodes: '0', schedule: '0 9 * * *'}]"
        ),
        "karpenter.node_pools.0.budgets.0.schedule",
        "must be set together",
    ),
    "node group sizes": (GOOD.replace("min_size: 2", "min_size: 5"), "cluster.system_node_group", "min_size"),
    "name in file": ("name: prod\n" + GOOD, "name", "file name"),
    "unknown alarm threshold": (
        GOOD.replace("evaluation_periods: 1", "evaluation_periods: 1\n  thresholds: {Forbiden403: 5}"),
        "alarms.thresholds.Forbiden403",
        "no metric filter of this name",
    ),
    "threshold not positive": (
        GOOD.replace("evaluation_periods: 1", "evaluation_periods: 1\n  thresholds: {Forbidden403: 0}"),
        "alarms.thresholds.Forbidden403",
        "greater than 0",
    ),
    "malformed addon version": (
        GOOD.replace("log_retention_days: 7", "log_retention_days: 7\n  addon_versions: {coredns: latest}"),
        "cluster.addon_versions.coredns",
        "should match pattern",
    ),
    "unknown addon": (
        GOOD.replace("log_retention_days: 7", "log_retention_days: 7\n  addon_versions: {cordns: v1.2.3-eksbuild.1}"),
        "cluster.addon_versions.cordns",
        "Input should be",
    ),
    "public endpoint without allow-list": (
        GOOD.replace("public_access_cidrs: [203.0.113.0/24]", "public_access_cidrs: []"),
        "cluster.public_access_cidrs",
        "no CIDR is allowed",
    ),
    "IP plan does not fit": (
        GOOD.replace("private: 19", "private: 24").replace(
            "limits: {cpu: 32, memory_gib: 128}", "limits: {cpu: 800, memory_gib: 3200}"
        ),
        "network.subnet_sizes.private",
        "IP plan of dev does not fit: node subnet 10.10.3.0/24 (AZ 0) needs 10619 addresses at maximum scale (70 nodes, 7700 pods) but has 251 usable: short by 10368",
    ),
    "contradictory warm targets": (
        GOOD + "\ncni: {warm_prefix_target: 1, warm_ip_target: 5}\n",
        "cni.warm_ip_target",
        "contradicts warm_prefix_target",
    ),
    "custom networking without secondary CIDR": (
        GOOD + "\ncni: {custom_networking: true}\n",
        "cni.custom_networking",
        "needs network.secondary_cidr",
    ),
    "max pods beyond what the CNI can address": (
        GOOD + "\ncni: {prefix_delegation: false, max_pods: 110}\n",
        "cni.max_pods",
        "more than the CNI can address",
    ),
    "instance type unknown to the IP planner": (
        GOOD.replace("instance_types: [t3.large]", "instance_types: [x2iedn.large]"),
        "cluster.system_node_group.instance_types.0",
        "no network facts",
    ),
    "quota smaller than one pod's defaults": (
        GOOD.replace('requests_cpu: "4"', 'requests_cpu: "50m"'),
        "teams.0.quota.requests_cpu",
        "smaller than the LimitRange default for one container (100m)",
    ),
    "workload in an unknown namespace": (
        GOOD.replace("    team: web\n", "    team: mobile\n"),
        "workloads.0.team",
        "unknown namespace 'mobile' (teams: web)",
    ),
    "probe port the container does not expose": (
        GOOD.replace("readiness: {path: /readyz, port: 9898}", "readiness: {path: /readyz, port: 8080}"),
        "workloads.0.probes.readiness.port",
        "8080 is not a port the container exposes (port: 9898)",
    ),
    "workload missing a startup probe": (
        GOOD.replace("      startup: {path: /healthz, port: 9898, period_seconds: 2, failure_threshold: 30}\n", ""),
        "workloads.0.probes.startup",
        "required but not set",
    ),
    "internet-facing load balancer where not allowed": (
        GOOD.replace("ingress: {path: /}", "ingress: {path: /, internet_facing: true}"),
        "workloads.0.ingress.internet_facing",
        "this environment allows only internal load balancers (ingress.internet_facing_allowed: false)",
    ),
    "unpinned image": (
        GOOD.replace("podinfo:6.7.1", "podinfo:latest"),
        "workloads.0.image",
        "is not pinned",
    ),
    "workload beyond its team quota": (
        GOOD.replace("requests: {cpu: 100m, memory: 64Mi}", "requests: {cpu: '2', memory: 64Mi}").replace(
            "limits: {cpu: 500m, memory: 128Mi}", "limits: {cpu: '2', memory: 128Mi}"
        ),
        "workloads.0.resources.requests.cpu",
        "4 replicas x 2 exceed team web's quota requests_cpu (4)",
    ),
    "not a quantity": (
        GOOD.replace("memory: 64Mi}", "memory: 64MB}"),
        "workloads.0.resources.requests.memory",
        "is not a Kubernetes quantity",
    ),
    "no principal can apply the Kubernetes stacks": (
        GOOD[: GOOD.index("\nci:")],
        ": ci:",
        "no principal could apply the addons, platform and apps stacks",
    ),
    "GitHub-hosted jobs cannot reach the endpoint": (
        GOOD.replace("kubernetes_jobs: codebuild", "kubernetes_jobs: github-hosted"),
        "ci.kubernetes_jobs",
        "GitHub-hosted runners cannot reach this cluster's endpoint",
    ),
    "not a CodeConnections ARN": (
        GOOD.replace(
            "kubernetes_jobs: codebuild",
            "kubernetes_jobs: codebuild\n  codebuild_connection_arn: arn:aws:iam::123456789012:role/x",
        ),
        "ci.codebuild_connection_arn",
        "is not a CodeConnections connection ARN",
    ),
    "not a GitHub repository": (
        GOOD.replace("github_repository: example-org/eks-platform", "github_repository: eks-platform"),
        "ci.github_repository",
        "is not a GitHub repository as owner/name",
    ),
    "unknown volume type": (
        GOOD + "\nstorage: {volume_type: gp4}\n",
        "storage.volume_type",
        "Input should be 'gp3'",
    ),
    "bad instance type": (
        GOOD.replace("instance_types: [t3.large]", "instance_types: [t3large]"),
        "cluster.system_node_group.instance_types.0",
        "not an EC2 instance type",
    ),
    "mixed architectures": (
        GOOD.replace("instance_types: [t3.large]", "instance_types: [t3.large, t4g.large]"),
        "cluster.system_node_group.instance_types",
        "mixes arm64",
    ),
    "bad admin principal": (
        GOOD.replace("log_retention_days: 7", "log_retention_days: 7\n  admin_principal_arns: [admin]"),
        "cluster.admin_principal_arns.0",
        "not an IAM role or user ARN",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file(case: str, workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    text, field, reason = CASES[case]
    assert text != GOOD
    (envs_dir / "dev.yaml").write_text(text)
    line = assert_one_clean_line(run_main(envs_dir, outdir), outdir, field, reason)
    assert "dev.yaml" in line


@pytest.mark.parametrize("case", ["unknown key", "not yaml"])
def test_the_command_line_prints_one_line_and_exits_1(case: str, workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    text, field, reason = CASES[case]
    (envs_dir / "dev.yaml").write_text(text)
    line = assert_one_clean_line(run_command(envs_dir, outdir), outdir, field, reason)
    assert "dev.yaml" in line


def test_production_refuses_open_api_endpoint(workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    text = (
        (FIXTURE_ENVS / "prod.yaml")
        .read_text()
        .replace("endpoint_public_access: false", "endpoint_public_access: true\n  public_access_cidrs: [0.0.0.0/0]")
    )
    (envs_dir / "prod.yaml").write_text(text)
    assert_one_clean_line(run_main(envs_dir, outdir), outdir, "prod.yaml", "cluster.public_access_cidrs", "0.0.0.0/0")


PROD = (FIXTURE_ENVS / "prod.yaml").read_text()


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (PROD.replace("al2023@v20261015", "al2023@latest"), "karpenter.ami_alias", "@latest in a production"),
        (
            PROD.replace("capacity_types: [on-demand]", "capacity_types: [spot]"),
            "karpenter.node_pools",
            "needs an on-demand pool",
        ),
    ],
    ids=["latest alias in production", "spot-only production"],
)
def test_production_karpenter_rules(text: str, field: str, reason: str, workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    assert text != PROD
    (envs_dir / "prod.yaml").write_text(text)
    assert_one_clean_line(run_main(envs_dir, outdir), outdir, "prod.yaml", field, reason)


def test_unknown_environment_in_selection(workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    (envs_dir / "dev.yaml").write_text(GOOD)
    line = assert_one_clean_line(run_main(envs_dir, outdir, PLATFORM_ENVS="dev,qa"), outdir, "PLATFORM_ENVS", "'qa'")
    assert "dev" in line


def test_override_variable_is_named(workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    (envs_dir / "dev.yaml").write_text(GOOD)
    result = run_main(envs_dir, outdir, PLATFORM_DEV_ACCOUNT_ID="not-an-account")
    assert_one_clean_line(result, outdir, "PLATFORM_DEV_ACCOUNT_ID", "aws.account_id", "not an AWS account id")


def test_two_environments_sharing_a_state_bucket(workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    (envs_dir / "dev.yaml").write_text(GOOD)
    (envs_dir / "dev2.yaml").write_text(GOOD)
    assert_one_clean_line(run_main(envs_dir, outdir), outdir, "state.bucket", "each environment needs its own")
    # Checked whatever PLATFORM_ENVS selects: the other file's stacks would share the state.
    assert_one_clean_line(
        run_main(envs_dir, outdir, PLATFORM_ENVS="dev"), outdir, "dev2.yaml", "state.bucket", "also the state.bucket"
    )


def test_two_environments_creating_the_oidc_provider_in_one_account(workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    (envs_dir / "prod.yaml").write_text(PROD)
    other = PROD.replace("example-platform-prod-tfstate", "example-platform-prod2-tfstate")
    (envs_dir / "prod2.yaml").write_text(other.replace("10.30.0.0/16", "10.31.0.0/16"))
    line = assert_one_clean_line(
        run_main(envs_dir, outdir, PLATFORM_ENVS="prod"), outdir, "prod2.yaml", "ci.oidc_provider", "set 'existing'"
    )
    assert "333333333333" in line


def test_two_environments_creating_the_spot_service_linked_role_in_one_account(workdir: tuple[Path, Path]) -> None:
    envs_dir, outdir = workdir
    prod = PROD  # the fixture's prod creates it
    assert "create_spot_service_linked_role: true" in prod
    (envs_dir / "prod.yaml").write_text(prod)
    other = prod.replace("example-platform-prod-tfstate", "example-platform-prod2-tfstate")
    other = other.replace("oidc_provider: create", "oidc_provider: existing")
    (envs_dir / "prod2.yaml").write_text(other.replace("10.30.0.0/16", "10.31.0.0/16"))
    line = assert_one_clean_line(
        run_main(envs_dir, outdir, PLATFORM_ENVS="prod"),
        outdir,
        "prod2.yaml",
        "aws.create_spot_service_linked_role",
        "set false",
    )
    assert "333333333333" in line
