"""Schema of the Kubernetes platform layer: teams and overprovisioning here;
Karpenter (envs/karpenter.py) beside it, re-exported from this module."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from envs.fields import CpuMemory, DnsLabel, FieldError, Frozen, PositiveInt, PrincipalArn, Quantity
from envs.karpenter import DisruptionBudget, Karpenter, KarpenterLimits, NodePool
from planning.quantities import parse_quantity

__all__ = [
    "DisruptionBudget",
    "Karpenter",
    "KarpenterLimits",
    "NodePool",
    "Overprovisioning",
    "Team",
    "TeamLimits",
    "TeamQuota",
]


class TeamQuota(Frozen):
    """The namespace's ResourceQuota: workloads must fit it at maximum scale and during a rollout."""

    requests_cpu: Quantity = Field(description="Sum of CPU requests the namespace's pods may hold.")
    requests_memory: Quantity = Field(description="Sum of memory requests the namespace's pods may hold.")
    limits_cpu: Quantity = Field(description="Sum of CPU limits the namespace's pods may hold.")
    limits_memory: Quantity = Field(description="Sum of memory limits the namespace's pods may hold.")
    pods: PositiveInt = Field(
        50, description="Most pods in the namespace; workloads' HPA max replicas (and rollout surge) must fit."
    )
    services: PositiveInt = Field(10, description="Most Services in the namespace.")
    persistent_volume_claims: Annotated[int, Field(ge=0)] = Field(
        10, description="Most PersistentVolumeClaims in the namespace."
    )
    requests_storage: Quantity = Field("100Gi", description="Sum of storage the namespace's volume claims may request.")


class TeamLimits(Frozen):
    """LimitRange defaults for containers that set no requests or limits."""

    default_request: CpuMemory = Field(
        CpuMemory(cpu="100m", memory="128Mi"),
        description="Requests a container without its own gets; the quota must admit at least one.",
    )
    default: CpuMemory = Field(
        CpuMemory(cpu="500m", memory="512Mi"),
        description="Limits a container without its own gets; at least default_request.",
    )

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
    name: DnsLabel = Field(description="The team's namespace (a DNS label); workloads name it in their team.")
    quota: TeamQuota = Field(description="The namespace's ResourceQuota: what the team may use at most.")
    limits: TeamLimits = Field(TeamLimits(), description="The namespace's LimitRange defaults.")
    network_policy: bool = Field(
        True, description="Default-deny NetworkPolicies (DNS and calls inside the namespace allowed)."
    )
    principal_arn: PrincipalArn | None = Field(
        None,
        description="IAM role or user given edit rights in this namespace only (an EKS access entry); null: none.",
    )

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

    enabled: bool = Field(
        True, description="Run placeholder pods that real pods preempt, so bursts start without waiting for a node."
    )
    replicas: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Placeholder pods; null: one per AZ. replicas x cpu/memory is the room kept free (paid)."
    )
    cpu: Quantity = Field("1", description="CPU request of each placeholder: a share of a typical node.")
    memory: Quantity = Field("2Gi", description="Memory request of each placeholder.")
