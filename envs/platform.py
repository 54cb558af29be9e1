"""Schema of the Kubernetes platform layer: Karpenter, teams, overprovisioning."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from envs.fields import (
    INSTANCE_CATEGORIES,
    CpuMemory,
    DnsLabel,
    FieldError,
    Frozen,
    PositiveInt,
    PrincipalArn,
    Quantity,
)
from planning.quantities import parse_quantity


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


class Overprovisioning(Frozen):
    """Low-priority placeholder pods that keep room for real pods (see docs/tenancy.md)."""

    enabled: bool = True
    replicas: Annotated[int, Field(ge=0)] | None = None  # None: one per AZ
    cpu: Quantity = "1"
    memory: Quantity = "2Gi"
