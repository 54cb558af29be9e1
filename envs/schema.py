"""Typed schema of one environment file.

Every model is frozen and forbids unknown keys, so a typo in a key is an error
rather than a silently ignored setting. Checks that need several fields (the IP
plan fitting the VPC, production-only rules) live in validators here, so a bad
file fails before any construct is built.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from modules.control_plane_filters import FILTER_NAMES
from modules.instance_types import architecture, is_instance_type
from modules.ip_plan import (
    INSTANCE_FACTS,
    CniMode,
    IpPlan,
    NodeKind,
    facts_for_vcpus,
    max_pods_capacity,
    plan_ip_capacity,
)
from modules.quantities import parse_quantity
from modules.subnet_plan import SubnetPlan, SubnetPlanError, plan_subnets

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
# 0 ("never expire") is left out on purpose: every log group gets a retention.
CLOUDWATCH_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Kubernetes versions this project is tested against; EKS versions outside this
# set are refused rather than guessed at.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35")

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
CONTROL_PLANE_LOG_TYPES: tuple[LogType, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")

# Instance categories Karpenter's `karpenter.k8s.aws/instance-category` label takes.
INSTANCE_CATEGORIES: tuple[str, ...] = (
    "a",
    "c",
    "d",
    "f",
    "g",
    "hpc",
    "i",
    "im",
    "inf",
    "is",
    "m",
    "p",
    "r",
    "t",
    "trn",
    "u",
    "vt",
    "x",
    "z",
)

# EKS add-ons the cluster stack installs; versions may be pinned per environment.
AddonName = Literal[
    "vpc-cni",
    "kube-proxy",
    "eks-pod-identity-agent",
    "coredns",
    "metrics-server",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
]

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IAM_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)/[\w+=,.@/-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class FieldError(ValueError):
    """A rule spanning several fields; `field` (dotted, relative to the model that
    raised it) tells the loader which setting to name in its one-line message."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ipv4_network(value: str) -> str:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"'{value}' is not a valid IPv4 network ({err})") from None
    return str(net)


def _account_id(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise ValueError(f"'{value}' is not an AWS account id (12 digits)")
    return value


def _retention(value: int) -> int:
    if value not in CLOUDWATCH_RETENTION_DAYS:
        allowed = ", ".join(str(v) for v in CLOUDWATCH_RETENTION_DAYS)
        raise ValueError(f"{value} days is not a retention CloudWatch Logs accepts ({allowed})")
    return value


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"'{value}' is not {what}")
        return value

    return AfterValidator(check)


def _kubernetes_version(value: str) -> str:
    if value not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(f"'{value}' is not a supported version ({', '.join(SUPPORTED_KUBERNETES_VERSIONS)})")
    return value


def _quantity(value: str | int) -> str:
    text = str(value)
    parse_quantity(text)  # raises with the reason
    return text


def _image(value: str) -> str:
    name, _, tag = value.rpartition(":")
    if "@sha256:" not in value and (not name or not tag or tag == "latest" or "/" in tag):
        raise ValueError(f"'{value}' is not pinned: give a version tag or a digest (never :latest)")
    return value


def _principal_arn(value: str) -> str:
    if not _IAM_PRINCIPAL_ARN.match(value):
        raise ValueError(f"'{value}' is not an IAM role or user ARN")
    return value


Ipv4Cidr = Annotated[str, AfterValidator(_ipv4_network)]
AccountId = Annotated[str, AfterValidator(_account_id)]
RetentionDays = Annotated[int, AfterValidator(_retention)]
PrincipalArn = Annotated[str, AfterValidator(_principal_arn)]
PrefixLength = Annotated[int, Field(ge=16, le=28)]
PositiveInt = Annotated[int, Field(gt=0)]
DnsLabel = Annotated[str, _pattern(_DNS_LABEL, "a DNS label (lower-case letters, digits, '-')")]
Region = Annotated[str, _pattern(_REGION, "an AWS region name (e.g. eu-west-1)")]
BucketName = Annotated[str, _pattern(_BUCKET, "a valid S3 bucket name")]
Email = Annotated[str, _pattern(_EMAIL, "an e-mail address")]
KubernetesVersion = Annotated[str, AfterValidator(_kubernetes_version)]
Quantity = Annotated[str | int, AfterValidator(_quantity)]
Image = Annotated[str, AfterValidator(_image)]
Port = Annotated[int, Field(ge=1, le=65535)]


class NatStrategy(StrEnum):
    SINGLE = "single"  # one NAT gateway: cheaper, one AZ's outage cuts egress for all
    PER_AZ = "per_az"  # one per AZ: the production choice


class Aws(Frozen):
    region: Region
    account_id: AccountId | None = None


class State(Frozen):
    bucket: BucketName


class SubnetSizes(Frozen):
    """Prefix lengths per tier; the CIDRs themselves are computed, never typed."""

    public: PrefixLength = 24
    private: PrefixLength = 19
    intra: PrefixLength = 28


class SecondaryCidr(Frozen):
    """Secondary VPC CIDR for VPC CNI custom networking (pods off the node subnets)."""

    cidr: Ipv4Cidr = "100.64.0.0/16"
    pod_subnet_prefix: PrefixLength = 18


class FlowLogs(Frozen):
    retention_days: RetentionDays = 30
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"


class Network(Frozen):
    vpc_cidr: Ipv4Cidr
    az_count: Annotated[int, Field(ge=2, le=6)] = 3
    subnet_sizes: SubnetSizes = SubnetSizes()
    nat: NatStrategy = NatStrategy.PER_AZ
    flow_logs: FlowLogs = FlowLogs()
    secondary_cidr: SecondaryCidr | None = None

    def subnet_plan(self) -> SubnetPlan:
        sizes, secondary = self.subnet_sizes, self.secondary_cidr
        return plan_subnets(
            self.vpc_cidr,
            self.az_count,
            public=sizes.public,
            private=sizes.private,
            intra=sizes.intra,
            secondary_cidr=secondary.cidr if secondary else None,
            pod=secondary.pod_subnet_prefix if secondary else None,
        )

    @model_validator(mode="after")
    def _check_plan(self) -> Network:
        try:
            self.subnet_plan()
        except SubnetPlanError as err:
            raise FieldError(err.field, str(err)) from None
        return self


class NodeGroup(Frozen):
    instance_types: Annotated[list[str], Field(min_length=1)]
    min_size: Annotated[int, Field(ge=1)] = 2
    desired_size: Annotated[int, Field(ge=1)] = 2
    max_size: Annotated[int, Field(ge=1)] = 4
    disk_size_gib: Annotated[int, Field(ge=20, le=16384)] = 50

    @model_validator(mode="after")
    def _check_sizes(self) -> NodeGroup:
        for index, name in enumerate(self.instance_types):
            if not is_instance_type(name):
                raise FieldError(f"instance_types.{index}", f"'{name}' is not an EC2 instance type (e.g. m7i.large)")
        if len({architecture(t) for t in self.instance_types}) > 1:
            raise FieldError("instance_types", "mixes arm64 (Graviton) and amd64 types; one node group has one AMI")
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"sizes must satisfy min_size <= desired_size <= max_size "
                f"(got {self.min_size} <= {self.desired_size} <= {self.max_size})"
            )
        return self


class Cluster(Frozen):
    kubernetes_version: KubernetesVersion = "1.34"
    endpoint_public_access: bool = False
    public_access_cidrs: list[Ipv4Cidr] = []
    admin_principal_arns: list[PrincipalArn] = []
    log_types: list[LogType] = list(CONTROL_PLANE_LOG_TYPES)
    log_retention_days: RetentionDays = 90
    # Adopt a control-plane log group left behind by an earlier cluster of this
    # name (Terraform import) instead of failing with "already exists".
    adopt_existing_log_group: bool = False
    system_node_group: NodeGroup = NodeGroup(instance_types=["m7i.large"])
    # Pinned add-on versions; an add-on not listed gets the default version
    # EKS publishes for the cluster's Kubernetes version.
    addon_versions: dict[AddonName, Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]] = {}

    @model_validator(mode="after")
    def _check(self) -> Cluster:
        if len(set(self.log_types)) != len(self.log_types):
            raise FieldError("log_types", "a log type is listed twice")
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise FieldError(
                "public_access_cidrs",
                "endpoint_public_access is on but no CIDR is allowed: list the CIDRs allowed to reach the API server",
            )
        return self


class KarpenterLimits(Frozen):
    cpu: PositiveInt
    memory_gib: PositiveInt


class DisruptionBudget(Frozen):
    """A Karpenter disruption budget: at most `nodes` (count or percentage) may be
    disrupted at once; with `schedule` (cron, UTC) and `duration` it applies only then."""

    nodes: Annotated[str, Field(pattern=r"^((100|[0-9]{1,2})%|[0-9]+)$")]
    schedule: str | None = None
    duration: Annotated[str, Field(pattern=r"^([0-9]+(s|m|h))+$")] | None = None
    reasons: list[Literal["Underutilized", "Empty", "Drifted"]] = []

    @model_validator(mode="after")
    def _schedule_with_duration(self) -> DisruptionBudget:
        if (self.schedule is None) != (self.duration is None):
            raise FieldError("schedule", "schedule and duration must be set together")
        if self.schedule is not None and len(self.schedule.split()) != 5:
            raise FieldError("schedule", f"'{self.schedule}' is not a five-field cron expression")
        return self


Duration = Annotated[str, Field(pattern=r"^([0-9]+(s|m|h))+$")]


class NodePool(Frozen):
    name: DnsLabel
    capacity_types: Annotated[list[Literal["on-demand", "spot"]], Field(min_length=1)]
    weight: Annotated[int, Field(ge=1, le=100)] | None = None
    instance_categories: Annotated[list[str], Field(min_length=1)] = ["c", "m", "r"]
    min_generation: Annotated[int, Field(ge=1)] = 5
    # Smallest instance (vCPUs) the pool may launch; with the CPU limit it bounds
    # the node count the IP plan must hold.
    min_vcpu: Annotated[int, Field(ge=2, le=48)] = 4
    architectures: Annotated[list[Literal["amd64", "arm64"]], Field(min_length=1)] = ["amd64"]
    limits: KarpenterLimits
    consolidation_policy: Literal["WhenEmptyOrUnderutilized", "WhenEmpty"] = "WhenEmptyOrUnderutilized"
    consolidate_after: Duration = "1m"
    expire_after: Duration = "720h"
    budgets: list[DisruptionBudget] = [DisruptionBudget(nodes="10%")]

    @model_validator(mode="after")
    def _check_categories(self) -> NodePool:
        for index, category in enumerate(self.instance_categories):
            if category not in INSTANCE_CATEGORIES:
                raise FieldError(
                    f"instance_categories.{index}",
                    f"'{category}' is not an EC2 instance category ({', '.join(INSTANCE_CATEGORIES)})",
                )
        return self


class Karpenter(Frozen):
    # AL2023 AMI alias, pinned: `al2023@v20261015`. `al2023@latest` rolls every
    # node whenever AWS publishes an AMI, which production must not do.
    ami_alias: Annotated[str, Field(pattern=r"^al2023@(latest|v\d{8})$")]
    node_pools: Annotated[list[NodePool], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_names(self) -> Karpenter:
        names = [p.name for p in self.node_pools]
        if len(set(names)) != len(names):
            raise FieldError("node_pools", "a node pool name appears twice")
        return self


class TeamQuota(Frozen):
    requests_cpu: Quantity
    requests_memory: Quantity
    limits_cpu: Quantity
    limits_memory: Quantity
    pods: PositiveInt = 50
    services: PositiveInt = 10
    persistent_volume_claims: Annotated[int, Field(ge=0)] = 10
    requests_storage: Quantity = "100Gi"


class CpuMemory(Frozen):
    cpu: Quantity
    memory: Quantity


class TeamLimits(Frozen):
    """LimitRange defaults for containers that set no requests or limits."""

    default_request: CpuMemory = CpuMemory(cpu="100m", memory="128Mi")
    default: CpuMemory = CpuMemory(cpu="500m", memory="512Mi")

    @model_validator(mode="after")
    def _request_below_limit(self) -> TeamLimits:
        for name in ("cpu", "memory"):
            if parse_quantity(str(getattr(self.default_request, name))) > parse_quantity(
                str(getattr(self.default, name))
            ):
                raise FieldError(
                    f"default_request.{name}", f"is above the default limit ({getattr(self.default, name)})"
                )
        return self


class Team(Frozen):
    name: DnsLabel
    quota: TeamQuota
    limits: TeamLimits = TeamLimits()
    # Default-deny NetworkPolicy with DNS egress allowed.
    network_policy: bool = True
    # IAM principal that gets edit rights in the namespace only (EKS access entry).
    principal_arn: PrincipalArn | None = None

    @model_validator(mode="after")
    def _quota_admits_one_pod(self) -> Team:
        pairs = (
            ("requests_cpu", self.limits.default_request.cpu),
            ("requests_memory", self.limits.default_request.memory),
            ("limits_cpu", self.limits.default.cpu),
            ("limits_memory", self.limits.default.memory),
        )
        for field, default in pairs:
            if parse_quantity(str(getattr(self.quota, field))) < parse_quantity(str(default)):
                raise FieldError(
                    f"quota.{field}",
                    f"{getattr(self.quota, field)} is smaller than the LimitRange default for one container "
                    f"({default}): not even one pod could start in this namespace",
                )
        return self


class Probe(Frozen):
    """An HTTP GET probe (`path`) or, without a path, a TCP probe on `port`."""

    port: Port
    path: Annotated[str, Field(pattern=r"^/")] | None = None
    initial_delay_seconds: Annotated[int, Field(ge=0)] = 0
    period_seconds: Annotated[int, Field(ge=1)] = 10
    failure_threshold: Annotated[int, Field(ge=1)] = 3


class Probes(Frozen):
    liveness: Probe
    readiness: Probe
    startup: Probe


class Replicas(Frozen):
    min: Annotated[int, Field(ge=1)] = 2
    max: Annotated[int, Field(ge=1)] = 4

    @model_validator(mode="after")
    def _ordered(self) -> Replicas:
        if self.min > self.max:
            raise FieldError("min", f"{self.min} is above max ({self.max})")
        return self


class ContainerResources(Frozen):
    requests: CpuMemory
    limits: CpuMemory


class Workload(Frozen):
    name: DnsLabel
    team: DnsLabel
    image: Image
    port: Port
    probes: Probes
    resources: ContainerResources
    replicas: Replicas = Replicas()
    target_cpu_utilisation: Annotated[int, Field(ge=10, le=100)] = 70
    env: dict[str, str] = {}

    @model_validator(mode="after")
    def _probe_ports_exposed(self) -> Workload:
        for kind in ("liveness", "readiness", "startup"):
            probe: Probe = getattr(self.probes, kind)
            if probe.port != self.port:
                raise FieldError(
                    f"probes.{kind}.port",
                    f"{probe.port} is not a port the container exposes (port: {self.port})",
                )
        return self


class Overprovisioning(Frozen):
    """Low-priority placeholder pods that keep room for real pods (see docs/tenancy.md)."""

    enabled: bool = True
    replicas: Annotated[int, Field(ge=0)] | None = None  # None: one per AZ
    cpu: Quantity = "1"
    memory: Quantity = "2Gi"


class Alarms(Frozen):
    email: Email | None = None
    # Threshold per control-plane metric filter (see docs/observability.md), in
    # events per period; filters not listed use their default.
    period_seconds: Annotated[int, Field(ge=60)] = 300
    evaluation_periods: PositiveInt = 1
    thresholds: dict[str, PositiveInt] = {}
    # VPC CNI alarms: assigned/total IPs and attached/attachable ENIs above this.
    ip_utilisation_percent: Annotated[int, Field(ge=1, le=100)] = 80

    @model_validator(mode="after")
    def _check_period(self) -> Alarms:
        unknown = sorted(set(self.thresholds) - set(FILTER_NAMES))
        if unknown:
            raise FieldError(
                f"thresholds.{unknown[0]}", f"no metric filter of this name (known: {', '.join(FILTER_NAMES)})"
            )
        if self.period_seconds % 60:
            raise FieldError("period_seconds", f"{self.period_seconds} is not a multiple of 60")
        return self


class Cni(Frozen):
    """VPC CNI settings (the vpc-cni add-on) and the IP plan's assumptions."""

    prefix_delegation: bool = True
    # None: 1 prefix in prefix mode unless warm_ip_target is set.
    warm_prefix_target: Annotated[int, Field(ge=0, le=16)] | None = None
    warm_ip_target: Annotated[int, Field(ge=0)] | None = None
    minimum_ip_target: Annotated[int, Field(ge=0)] | None = None
    # Pods in the secondary CIDR's pod subnets (ENIConfig per AZ).
    custom_networking: bool = False
    # None: the most every node kind can address (capped at 110 below 30 vCPUs).
    max_pods: Annotated[int, Field(ge=8, le=250)] | None = None
    # Addresses each node subnet keeps for load balancers and endpoint ENIs.
    reserved_ips_per_subnet: Annotated[int, Field(ge=0)] = 32
    warning_percent: Annotated[int, Field(ge=1, le=100)] = 80

    @model_validator(mode="after")
    def _check_warm_targets(self) -> Cni:
        if self.warm_prefix_target is not None and not self.prefix_delegation:
            raise FieldError("warm_prefix_target", "only applies with prefix_delegation on")
        if self.warm_prefix_target is not None and self.warm_ip_target is not None:
            raise FieldError(
                "warm_ip_target",
                "contradicts warm_prefix_target: with both set the CNI ignores WARM_PREFIX_TARGET; set one",
            )
        if (
            self.warm_ip_target is not None
            and self.minimum_ip_target is not None
            and self.minimum_ip_target < self.warm_ip_target
        ):
            raise FieldError("minimum_ip_target", "is below warm_ip_target, so it never takes effect")
        return self

    def mode(self) -> CniMode:
        warm_prefix = self.warm_prefix_target
        if self.prefix_delegation and warm_prefix is None and self.warm_ip_target is None:
            warm_prefix = 1
        return CniMode(
            prefix_delegation=self.prefix_delegation,
            custom_networking=self.custom_networking,
            warm_prefix_target=warm_prefix,
            warm_ip_target=self.warm_ip_target,
            minimum_ip_target=self.minimum_ip_target,
        )


class Efs(Frozen):
    enabled: bool = False
    transition_to_ia: Literal[
        "AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS"
    ] = "AFTER_30_DAYS"
    throughput_mode: Literal["elastic", "bursting"] = "elastic"


class Storage(Frozen):
    # EBS volume type of the default StorageClass (named after it).
    volume_type: Literal["gp3", "io2", "io1", "gp2", "st1", "sc1"] = "gp3"
    efs: Efs = Efs()


class Environment(Frozen):
    """One environment file. `name` comes from the file name, not the file."""

    name: DnsLabel
    production: bool = False
    deletion_protection: bool = False
    aws: Aws
    state: State
    network: Network
    cluster: Cluster = Cluster()
    karpenter: Karpenter
    teams: list[Team] = []
    workloads: list[Workload] = []
    overprovisioning: Overprovisioning = Overprovisioning()
    alarms: Alarms = Alarms()
    cni: Cni = Cni()
    storage: Storage = Storage()

    def node_kinds(self) -> list[NodeKind]:
        group = self.cluster.system_node_group
        smallest = min((INSTANCE_FACTS[t] for t in group.instance_types), key=lambda f: (f.enis, f.ipv4_per_eni))
        kinds = [NodeKind("system", group.max_size, smallest)]
        for pool in self.karpenter.node_pools:
            kinds.append(NodeKind(pool.name, -(-pool.limits.cpu // pool.min_vcpu), facts_for_vcpus(pool.min_vcpu)))
        return kinds

    def max_pods(self) -> int:
        """One max-pods value for every node (node group and Karpenter alike)."""
        mode = self.cni.mode()
        capacity = min(max_pods_capacity(k.facts, mode) for k in self.node_kinds())
        return self.cni.max_pods or capacity

    def ip_plan(self) -> IpPlan:
        plan = self.network.subnet_plan()
        return plan_ip_capacity(
            node_subnets=plan.private,
            pod_subnets=plan.pod,
            kinds=self.node_kinds(),
            mode=self.cni.mode(),
            max_pods=self.max_pods(),
            reserved_ips=self.cni.reserved_ips_per_subnet,
        )

    @property
    def cluster_name(self) -> str:
        return f"{self.name}-platform"

    @model_validator(mode="after")
    def _production_rules(self) -> Environment:
        if self.production:
            open_cidrs = [c for c in self.cluster.public_access_cidrs if c == "0.0.0.0/0"]
            if self.cluster.endpoint_public_access and open_cidrs:
                raise FieldError(
                    "cluster.public_access_cidrs",
                    "0.0.0.0/0 opens the API server to the internet, which a production environment must not do",
                )
            if self.network.nat is not NatStrategy.PER_AZ:
                raise FieldError(
                    "network.nat",
                    "a production environment needs a NAT gateway per AZ "
                    "(one NAT gateway is a single point of failure for all egress)",
                )
        if self.production:
            if self.karpenter.ami_alias.endswith("@latest"):
                raise FieldError(
                    "karpenter.ami_alias",
                    "@latest in a production environment replaces every node whenever AWS publishes an AMI; "
                    "pin a version (al2023@vYYYYMMDD)",
                )
            if not any("on-demand" in p.capacity_types for p in self.karpenter.node_pools):
                raise FieldError(
                    "karpenter.node_pools",
                    "a production environment needs an on-demand pool to fall back on when spot capacity runs out",
                )
        names = [t.name for t in self.teams]
        if len(set(names)) != len(names):
            raise FieldError("teams", "a team name appears twice")
        self._check_workloads()
        self._check_ip_plan()
        return self

    def _check_workloads(self) -> None:
        teams = {t.name: t for t in self.teams}
        names = [w.name for w in self.workloads]
        if len(set(names)) != len(names):
            raise FieldError("workloads", "a workload name appears twice")
        for index, workload in enumerate(self.workloads):
            team = teams.get(workload.team)
            if team is None:
                raise FieldError(
                    f"workloads.{index}.team",
                    f"unknown namespace '{workload.team}' (teams: {', '.join(teams) or 'none'})",
                )
            for field in ("cpu", "memory"):
                request = parse_quantity(str(getattr(workload.resources.requests, field)))
                limit = parse_quantity(str(getattr(workload.resources.limits, field)))
                if request > limit:
                    raise FieldError(f"workloads.{index}.resources.requests.{field}", "is above its limit")
                quota = parse_quantity(str(getattr(team.quota, f"requests_{field}")))
                if request * workload.replicas.max > quota:
                    raise FieldError(
                        f"workloads.{index}.resources.requests.{field}",
                        f"{workload.replicas.max} replicas x {getattr(workload.resources.requests, field)} exceed "
                        f"team {team.name}'s quota requests_{field} ({getattr(team.quota, f'requests_{field}')})",
                    )

    def _check_ip_plan(self) -> None:
        if self.cni.custom_networking and self.network.secondary_cidr is None:
            raise FieldError(
                "cni.custom_networking", "needs network.secondary_cidr: pods go to its subnets, one per AZ"
            )
        group = self.cluster.system_node_group
        for index, name in enumerate(group.instance_types):
            if name not in INSTANCE_FACTS:
                raise FieldError(
                    f"cluster.system_node_group.instance_types.{index}",
                    f"no network facts for '{name}' in the IP planner (modules/ip_plan.py INSTANCE_FACTS): add them",
                )
        mode = self.cni.mode()
        for kind in self.node_kinds():
            capacity = max_pods_capacity(kind.facts, mode)
            if self.cni.max_pods is not None and self.cni.max_pods > capacity:
                raise FieldError(
                    "cni.max_pods",
                    f"{self.cni.max_pods} is more than the CNI can address on the smallest {kind.name} node ({capacity})",
                )
        for use in self.ip_plan().shortfalls():
            tier = "pod_subnet_prefix" if use.role == "pod" else "subnet_sizes.private"
            field = f"network.secondary_cidr.{tier}" if use.role == "pod" else f"network.{tier}"
            raise FieldError(
                field,
                f"IP plan of {self.name} does not fit: {use.role} subnet {use.cidr} (AZ {use.az_index}) needs "
                f"{use.needed} addresses at maximum scale ({use.max_nodes} nodes, {use.max_pods} pods) but has "
                f"{use.usable} usable: short by {-use.headroom}",
            )
