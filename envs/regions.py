"""AWS regions from botocore's endpoint data (`botocore/data/endpoints.json`:
partitions, each with its regions), read as a data file: botocore is never
imported, so checking a region costs one JSON parse and loads no AWS SDK.

A region AWS opens reaches this list by bumping the exact botocore pin in the
Pipfile (and regenerating envs/environment.schema.json: its region enum comes
from here)."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

PACKAGE = "botocore"


def _endpoints_file() -> Path:
    spec = find_spec(PACKAGE)  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{PACKAGE} is not installed: its endpoint data is the AWS region list (see the Pipfile)")
    return Path(spec.origin).parent / "data" / "endpoints.json"


@cache
def aws_regions() -> tuple[str, ...]:
    """Every region of every partition (aws, aws-cn, aws-us-gov, ...), sorted."""
    data = json.loads(_endpoints_file().read_text(encoding="utf-8"))
    return tuple(sorted({region for partition in data["partitions"] for region in partition["regions"]}))


def region_source() -> str:
    return f"{PACKAGE} {version(PACKAGE)}"


def check_region(value: str) -> str:
    """an AWS region botocore knows (eu-west-1)"""
    regions = aws_regions()
    if value in regions:
        return value
    close = difflib.get_close_matches(value, regions, n=1, cutoff=0.75)
    if close:
        raise ValueError(f"'{value}' is not an AWS region: did you mean {close[0]}?")
    raise ValueError(
        f"'{value}' is not an AWS region (none of the {len(regions)} in {region_source()}'s endpoint data)"
    )


def region_json_schema(schema: dict[str, Any]) -> None:
    """Editors complete `aws.region` from the same list the loader checks against."""
    schema["enum"] = list(aws_regions())
