"""Workloads checked against their team: the namespace exists, requests stay
within limits, and the team's ResourceQuota holds every workload of the team at
its HPA maximum, and during a rollout at that maximum.

A team's workloads add up: the quota is the namespace's. The Workload construct
rolls out with maxSurge 25% and maxUnavailable 0 (modules/tenancy/workload.py),
so a rollout at `replicas.max` runs ceil(max x 1.25) pods of that workload while
the others stay at their max (one rollout at a time). A quota that cannot hold
that does not fail loudly in the cluster: the HPA stops short of max, or the
rollout stalls, so it is refused here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from envs.application import Workload
from envs.fields import FieldError
from envs.platform import Team
from planning.quantities import parse_quantity

SURGE_PERCENT = 25  # the Workload's rollingUpdate.maxSurge
QUOTA_KEYS = ("pods", "requests_cpu", "requests_memory", "limits_cpu", "limits_memory")


def rollout_replicas(max_replicas: int) -> int:
    """Pods of one workload while it rolls out at max replicas (maxSurge rounds up)."""
    return max_replicas + math.ceil(max_replicas * SURGE_PERCENT / 100)


def _per_pod(workload: Workload, key: str) -> tuple[Decimal, str]:
    """What one pod takes of a quota key, as a number and as written."""
    if key == "pods":
        return Decimal(1), "1"
    kind, resource = key.split("_")
    text = str(getattr(getattr(workload.resources, kind), resource))
    return parse_quantity(text), text


def _quota(team: Team, key: str) -> tuple[Decimal, str]:
    text = str(getattr(team.quota, key))
    return (Decimal(text) if key == "pods" else parse_quantity(text)), text


def _field(index: int, key: str) -> str:
    if key == "pods":
        return f"workloads.{index}.replicas.max"
    kind, resource = key.split("_")
    return f"workloads.{index}.resources.{kind}.{resource}"


def _others(workloads: Sequence[Workload], key: str) -> str:
    """The other workloads as `, with a (4 x 500m), b (2 x 1) at their max,` (or nothing)."""
    if not workloads:
        return ""
    amounts = [f"{w.replicas.max}" if key == "pods" else f"{w.replicas.max} x {_per_pod(w, key)[1]}" for w in workloads]
    return ", with " + ", ".join(f"{w.name} ({a})" for w, a in zip(workloads, amounts, strict=True)) + " at their max,"


def check_workloads(teams: Sequence[Team], workloads: Sequence[Workload]) -> None:
    by_name = {t.name: t for t in teams}
    names = [w.name for w in workloads]
    if len(set(names)) != len(names):
        raise FieldError("workloads", "a workload name appears twice")
    for index, workload in enumerate(workloads):
        if workload.team not in by_name:
            raise FieldError(
                f"workloads.{index}.team",
                f"unknown namespace '{workload.team}' (teams: {', '.join(by_name) or 'none'})",
            )
        for resource in ("cpu", "memory"):
            request = parse_quantity(str(getattr(workload.resources.requests, resource)))
            if request > parse_quantity(str(getattr(workload.resources.limits, resource))):
                raise FieldError(f"workloads.{index}.resources.requests.{resource}", "is above its limit")
    totals = _check_at_max(by_name, workloads)
    _check_rollouts(by_name, workloads, totals)


def _check_at_max(teams: dict[str, Team], workloads: Sequence[Workload]) -> dict[tuple[str, str], Decimal]:
    """Each team's workloads at their HPA max, added in file order: the one that
    goes over the quota is named, with the ones before it."""
    totals: dict[tuple[str, str], Decimal] = {}
    before: dict[str, list[Workload]] = {}
    for index, workload in enumerate(workloads):
        team, replicas = teams[workload.team], workload.replicas.max
        for key in QUOTA_KEYS:
            per_pod, written = _per_pod(workload, key)
            quota, quota_text = _quota(team, key)
            total = totals.get((team.name, key), Decimal(0)) + replicas * per_pod
            if total > quota:
                others = _others(before.get(team.name, []), key)
                if key == "pods":
                    reason = (
                        f"HPA max of {replicas} replicas{others} exceeds team {team.name}'s quota pods ({quota_text})"
                    )
                else:
                    reason = (
                        f"{replicas} replicas x {written}{others} exceed team {team.name}'s quota {key} ({quota_text})"
                    )
                raise FieldError(_field(index, key), reason)
            totals[(team.name, key)] = total
        before.setdefault(team.name, []).append(workload)
    return totals


def _check_rollouts(
    teams: dict[str, Team], workloads: Sequence[Workload], totals: dict[tuple[str, str], Decimal]
) -> None:
    for index, workload in enumerate(workloads):
        team, replicas = teams[workload.team], workload.replicas.max
        surge = rollout_replicas(replicas)
        for key in QUOTA_KEYS:
            per_pod, written = _per_pod(workload, key)
            quota, quota_text = _quota(team, key)
            if totals[(team.name, key)] + (surge - replicas) * per_pod <= quota:
                continue
            others = _others([w for w in workloads if w.team == team.name and w is not workload], key)
            runs = f"a rollout at max replicas runs {surge} pods (maxSurge {SURGE_PERCENT}% of {replicas})"
            if key == "pods":
                reason = f"{runs}{others or ','} more than team {team.name}'s quota pods ({quota_text}) admits"
            else:
                reason = f"{runs}: {surge} x {written}{others} exceed team {team.name}'s quota {key} ({quota_text})"
            raise FieldError(f"workloads.{index}.replicas.max", reason)
