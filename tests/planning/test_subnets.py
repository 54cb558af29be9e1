"""planning/subnets.py: carving a VPC into tiers of subnets, and the errors that name the tier."""

from __future__ import annotations

import ipaddress

import pytest

from planning.subnets import SubnetPlanError, check_disjoint, plan_subnets


def test_tiers_are_carved_largest_first_on_their_boundaries() -> None:
    plan = plan_subnets("10.0.0.0/16", 3, public=24, private=19, intra=28)
    assert plan.private == ("10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19")
    assert plan.public == ("10.0.96.0/24", "10.0.97.0/24", "10.0.98.0/24")
    assert plan.intra == ("10.0.99.0/28", "10.0.99.16/28", "10.0.99.32/28")
    assert plan.pod == ()


def test_pod_subnets_come_from_the_secondary_cidr() -> None:
    plan = plan_subnets("10.0.0.0/16", 3, 24, 19, 28, secondary_cidr="100.64.0.0/16", pod=18)
    assert plan.pod == ("100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18")


@pytest.mark.parametrize("azs", [2, 3, 4, 6])
def test_every_plan_is_inside_the_vpc_and_disjoint(azs: int) -> None:
    plan = plan_subnets("10.1.0.0/16", azs, 26, 20, 28)
    subnets = [*plan.public, *plan.private, *plan.intra]
    assert len(subnets) == 3 * azs
    vpc = ipaddress.IPv4Network("10.1.0.0/16")
    nets = [ipaddress.IPv4Network(s) for s in subnets]
    assert all(n.subnet_of(vpc) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])


def test_sizes_that_do_not_fit_name_the_tier() -> None:
    with pytest.raises(SubnetPlanError, match="do not fit") as err:
        plan_subnets("10.0.0.0/18", 3, 24, 19, 28)
    assert err.value.field == "subnet_sizes.private"


def test_subnet_larger_than_vpc() -> None:
    with pytest.raises(SubnetPlanError, match="larger than the whole") as err:
        plan_subnets("10.0.0.0/20", 3, 24, 19, 28)
    assert err.value.field == "subnet_sizes.private"


def test_too_small_private_subnets() -> None:
    with pytest.raises(SubnetPlanError, match="too small") as err:
        plan_subnets("10.0.0.0/16", 3, 24, 25, 28)
    assert err.value.field == "subnet_sizes.private"


def test_secondary_cidr_overlapping_the_vpc() -> None:
    with pytest.raises(SubnetPlanError, match="overlaps") as err:
        plan_subnets("10.0.0.0/16", 3, 24, 19, 28, secondary_cidr="10.0.128.0/17", pod=20)
    assert err.value.field == "secondary_cidr.cidr"


def test_disjoint_check_catches_overlap_and_outside() -> None:
    with pytest.raises(SubnetPlanError, match="overlap"):
        check_disjoint(["10.0.0.0/16"], ["10.0.0.0/24", "10.0.0.128/25"])
    with pytest.raises(SubnetPlanError, match="outside"):
        check_disjoint(["10.0.0.0/16"], ["10.1.0.0/24"])
