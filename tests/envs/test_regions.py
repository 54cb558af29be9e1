"""aws.region is checked against botocore's region list (envs/regions.py), not a pattern."""

from __future__ import annotations

from pathlib import Path

from envs.regions import aws_regions, check_region
from tests.envs.envfile import BASE, load, one_line


def test_a_misspelt_region_names_the_closest_one(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE.replace("region: eu-west-1", "region: eu-wset-1"))
    assert line == "aws.region: 'eu-wset-1' is not an AWS region: did you mean eu-west-1?"


def test_a_region_nothing_like_any_gets_no_guess(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE.replace("region: eu-west-1", "region: europe"))
    assert line.startswith("aws.region: 'europe' is not an AWS region (none of the ")
    assert "did you mean" not in line


def test_a_region_shaped_name_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    # The pattern this replaces accepted any xx-word-N.
    line = one_line(tmp_path, BASE.replace("region: eu-west-1", "region: eu-north-9"))
    assert line.startswith("aws.region: 'eu-north-9' is not an AWS region")


def test_regions_of_every_partition_load(tmp_path: Path) -> None:
    # eusc-de-east-1 (European Sovereign Cloud) did not fit the old pattern at all.
    for region in ("eusc-de-east-1", "us-gov-west-1", "cn-north-1", "mx-central-1"):
        assert region in aws_regions()
        assert load(tmp_path, BASE.replace("region: eu-west-1", f"region: {region}")).aws.region == region


def test_the_list_is_botocores_whole_list() -> None:
    regions = aws_regions()
    assert len(regions) >= 30 and list(regions) == sorted(set(regions))
    assert all(check_region(r) == r for r in regions)


def test_an_override_with_a_typo_names_the_variable(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE, PLATFORM_QA_REGION="us-eats-1")
    assert line.startswith("PLATFORM_QA_REGION (overrides ")
    assert line.endswith("qa.yaml): aws.region: 'us-eats-1' is not an AWS region: did you mean us-east-1?")
