"""Schema of the infrastructure layer: account, state, network, cluster,
alarms, the VPC CNI and storage."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from envs.fields import (
    CONTROL_PLANE_LOG_TYPES,
    AccountId,
    AddonName,
    BucketName,
    Email,
    FieldError,
    Frozen,
    Ipv4Cidr,
    KubernetesVersion,
    LogType,
    PositiveInt,
    PrefixLength,
    PrincipalArn,
    Region,
    RetentionDays,
)
from planning.control_plane_filters import FILTER_NAMES
from planning.instances import architecture, is_instance_type
from planning.ip_capacity import CniMode
from planning.subnets import SubnetPlan, SubnetPlanError, plan_subnets


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
