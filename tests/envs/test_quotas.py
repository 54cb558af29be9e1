"""A team's workloads must fit its ResourceQuota at their HPA max, added up,
and during a rollout at max (maxSurge 25%): pods, requests and limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from envs.quotas import rollout_replicas
from tests.envs.envfile import load, one_line, team, with_teams, workload


def test_a_workload_whose_hpa_max_exceeds_its_teams_pod_quota(tmp_path: Path) -> None:
    line = one_line(tmp_path, with_teams([team(pods=20)], [workload(max_replicas=30)]))
    assert line == "workloads.0.replicas.max: HPA max of 30 replicas exceeds team web's quota pods (20)"


def test_a_teams_workloads_add_up(tmp_path: Path) -> None:
    text = with_teams([team(pods=20)], [workload("api", max_replicas=12), workload("worker", max_replicas=10)])
    line = one_line(tmp_path, text)
    assert line == (
        "workloads.1.replicas.max: HPA max of 10 replicas, with api (12) at their max, exceeds team web's quota pods (20)"
    )


def test_workloads_of_other_teams_do_not_count(tmp_path: Path) -> None:
    text = with_teams(
        [team("web", pods=30), team("data", pods=30)],
        [workload("api", max_replicas=12), workload("batch", team="data", max_replicas=12)],
    )
    assert [w.name for w in load(tmp_path, text).workloads] == ["api", "batch"]


def test_limits_at_max_must_fit_the_limits_quota(tmp_path: Path) -> None:
    text = with_teams([team(limits_cpu="8")], [workload(limits="{cpu: '3', memory: 128Mi}")])
    line = one_line(tmp_path, text)
    assert line == "workloads.0.resources.limits.cpu: 4 replicas x 3 exceed team web's quota limits_cpu (8)"


def test_memory_limits_add_up_across_workloads(tmp_path: Path) -> None:
    big = "{cpu: 250m, memory: 3Gi}"
    text = with_teams([team()], [workload("api", limits=big), workload("worker", max_replicas=2, limits=big)])
    line = one_line(tmp_path, text)
    assert line == (
        "workloads.1.resources.limits.memory: 2 replicas x 3Gi, with api (4 x 3Gi) at their max, "
        "exceed team web's quota limits_memory (16Gi)"
    )


def test_requests_at_max_keep_their_message(tmp_path: Path) -> None:
    text = with_teams([team()], [workload(requests="{cpu: '2', memory: 64Mi}", limits="{cpu: '2', memory: 128Mi}")])
    line = one_line(tmp_path, text)
    assert line == "workloads.0.resources.requests.cpu: 4 replicas x 2 exceed team web's quota requests_cpu (4)"


def test_a_rollout_at_max_must_fit_the_pod_quota(tmp_path: Path) -> None:
    # 17 pods fit 20, but a rollout at 17 runs 17 + ceil(17 x 25%) = 22.
    line = one_line(tmp_path, with_teams([team(pods=20)], [workload(max_replicas=17)]))
    assert line == (
        "workloads.0.replicas.max: a rollout at max replicas runs 22 pods (maxSurge 25% of 17), "
        "more than team web's quota pods (20) admits"
    )


def test_a_rollout_at_max_must_fit_the_requests_quota(tmp_path: Path) -> None:
    # 4 x 1 CPU fills the 4-CPU quota exactly; the fifth pod of a rollout does not fit.
    text = with_teams([team()], [workload(requests="{cpu: '1', memory: 64Mi}", limits="{cpu: '1', memory: 128Mi}")])
    line = one_line(tmp_path, text)
    assert line == (
        "workloads.0.replicas.max: a rollout at max replicas runs 5 pods (maxSurge 25% of 4): "
        "5 x 1 exceed team web's quota requests_cpu (4)"
    )


def test_a_rollout_counts_the_teams_other_workloads_at_their_max(tmp_path: Path) -> None:
    text = with_teams([team(pods=20)], [workload("api", max_replicas=12), workload("worker", max_replicas=7)])
    line = one_line(tmp_path, text)
    assert line == (
        "workloads.0.replicas.max: a rollout at max replicas runs 15 pods (maxSurge 25% of 12), with worker (7) "
        "at their max, more than team web's quota pods (20) admits"
    )


def test_a_rollout_that_just_fits_loads(tmp_path: Path) -> None:
    env = load(tmp_path, with_teams([team(pods=20)], [workload(max_replicas=16)]))
    assert env.workloads[0].replicas.max == 16


@pytest.mark.parametrize(("max_replicas", "during_rollout"), [(1, 2), (3, 4), (4, 5), (16, 20), (17, 22)])
def test_max_surge_rounds_up(max_replicas: int, during_rollout: int) -> None:
    assert rollout_replicas(max_replicas) == during_rollout
