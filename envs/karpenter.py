"""Schema of Karpenter (part of the platform layer): the AMI and the NodePools,
whose limits bound the node count the IP plan must hold."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from envs.fields import INSTANCE_CATEGORIES, DnsLabel, FieldError, Frozen, PositiveInt

Duration = Annotated[str, Field(pattern=r"^([0-9]+(s|m|h))+$")]


class KarpenterLimits(Frozen):
    cpu: PositiveInt = Field(
        description="Most vCPUs the pool may launch in total; with min_vcpu it sets the node count the IP plan holds."
    )
    memory_gib: PositiveInt = Field(description="Most memory (GiB) the pool may launch in total: a cost ceiling.")


class DisruptionBudget(Frozen):
    """A Karpenter disruption budget: at most `nodes` (count or percentage) may be
    disrupted at once; with `schedule` (cron, UTC) and `duration` it applies only then."""

    nodes: Annotated[str, Field(pattern=r"^((100|[0-9]{1,2})%|[0-9]+)$")] = Field(
        description='Nodes Karpenter may disrupt at once, a count ("0") or a percentage ("10%"), quoted.'
    )
    schedule: str | None = Field(
        None, description="Five-field cron (UTC) when the budget starts; with duration. Null: always applies."
    )
    duration: Duration | None = Field(
        None, description="How long the budget applies from each schedule (e.g. 11h); with schedule."
    )
    reasons: list[Literal["Underutilized", "Empty", "Drifted"]] = Field(
        [], description="Disruption reasons the budget limits; empty: all of them."
    )

    @model_validator(mode="after")
    def _schedule_with_duration(self) -> DisruptionBudget:
        if (self.schedule is None) != (self.duration is None):
            raise FieldError("schedule", "schedule and duration must be set together")
        if self.schedule is not None and len(self.schedule.split()) != 5:
            raise FieldError("schedule", f"'{self.schedule}' is not a five-field cron expression")
        return self


class NodePool(Frozen):
    name: DnsLabel = Field(description="NodePool name (a DNS label), unique in the environment.")
    capacity_types: Annotated[list[Literal["on-demand", "spot"]], Field(min_length=1)] = Field(
        description="Capacity the pool may buy: spot is cheaper but can be taken back; production needs an "
        "on-demand pool."
    )
    weight: Annotated[int, Field(ge=1, le=100)] | None = Field(
        None,
        description="Priority among pools: Karpenter tries the highest weight first and moves to the next when "
        "it cannot fit the pods (limits reached, no capacity). Write the intent: spot above on-demand for cost "
        "(dev, staging), on-demand above spot for steadiness (production). Null: lowest.",
    )
    instance_categories: Annotated[list[str], Field(min_length=1)] = Field(
        ["c", "m", "r"], description="EC2 instance categories (c, m, r, ...) the pool may launch."
    )
    min_generation: Annotated[int, Field(ge=1)] = Field(
        5, description="Oldest instance generation allowed (5: m5 and newer): older ones cost more per vCPU."
    )
    min_vcpu: Annotated[int, Field(ge=2, le=48)] = Field(
        4,
        description="Smallest instance (vCPUs) the pool may launch; with limits.cpu it bounds the node count the "
        "IP plan must hold.",
    )
    architectures: Annotated[list[Literal["amd64", "arm64"]], Field(min_length=1)] = Field(
        ["amd64"], description="CPU architectures the pool may launch; arm64 (Graviton) needs multi-arch images."
    )
    limits: KarpenterLimits = Field(description="Required ceiling of the pool: without it a pool grows unbounded.")
    consolidation_policy: Literal["WhenEmptyOrUnderutilized", "WhenEmpty"] = Field(
        "WhenEmptyOrUnderutilized",
        description="Which nodes Karpenter consolidates: underutilized ones too (cheaper) or only empty ones.",
    )
    consolidate_after: Duration = Field(
        "1m", description="How long a node must be consolidatable before Karpenter acts (e.g. 30s, 5m)."
    )
    expire_after: Duration = Field(
        "720h", description="Node lifetime before Karpenter replaces it (e.g. 720h): keeps nodes patched."
    )
    termination_grace_period: Duration = Field(
        "48h",
        description="Longest a draining node waits for its pods (e.g. 48h) before Karpenter deletes them, PDBs and "
        "do-not-disrupt notwithstanding: without it a PDB can hold an expired node forever.",
    )
    budgets: list[DisruptionBudget] = Field(
        [DisruptionBudget(nodes="10%")],
        description="Disruption budgets: how many nodes Karpenter may disrupt at once, and when.",
    )

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
    ami_alias: Annotated[str, Field(pattern=r"^al2023@(latest|v\d{8})$")] = Field(
        description="AL2023 AMI alias, pinned (al2023@v20261015); al2023@latest rolls every node whenever AWS "
        "publishes an AMI, which production refuses."
    )
    node_pools: Annotated[list[NodePool], Field(min_length=1)] = Field(
        description="Karpenter NodePools (at least one); the worker nodes all workloads run on."
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Karpenter:
        names = [p.name for p in self.node_pools]
        if len(set(names)) != len(names):
            raise FieldError("node_pools", "a node pool name appears twice")
        return self
