"""`terraform validate` of the synthesized stacks (tools/validate.py) against a local
provider mirror. One validation run, over the session's synth plus a deliberately
broken stack, is shared by every test here: terraform costs seconds per stack."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENV_NAMES, Synth
from tools.validate import (
    REWRITES,
    CannotValidate,
    StackResult,
    block_addresses,
    find_mirror,
    mirror_providers,
    parse_version,
    satisfies,
    terraform_platform,
    validate_stacks,
    warm_up_first,
)

AWS_ONLY_LAYERS = ("bootstrap", "network", "storage", "cluster")


BROKEN = "dev-network-broken"


@dataclass
class Validation:
    results: dict[str, StackResult]
    mirror: Path
    mirrored: set[str]  # host/namespace/type
    aws_version: tuple[int, ...]
    seconds: float


def write_stacks(outdir: Path, stacks: dict[str, Any]) -> Path:
    entries = {}
    for name, doc in stacks.items():
        (outdir / "stacks" / name).mkdir(parents=True)
        (outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps(doc, indent=2))
        entries[name] = {
            "synthesizedStackPath": f"stacks/{name}/cdk.tf.json",
            "workingDirectory": f"stacks/{name}",
            "dependencies": [],
        }
    (outdir / "manifest.json").write_text(json.dumps({"stacks": entries}))
    return outdir


def broken_stack(synth: Synth, outdir: Path) -> Path:
    """A synth folder holding only BROKEN: dev-network with an argument aws_vpc does not have.
    Validated on its own: beside the others, its error would make them run twice (batch.py)."""
    doc = json.loads(json.dumps(synth.stack("dev-network")))
    vpc = next(iter(doc["resource"]["aws_vpc"].values()))
    vpc["not_an_argument"] = True
    return write_stacks(outdir, {BROKEN: doc})


@pytest.fixture(scope="module")
def validation(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Validation:
    # Skipped, never failed, where the tools are absent, even under PLATFORM_REQUIRE_TOOLS=1:
    # a user's machine has no terraform CLI and no mirror, and `make test` must pass there.
    terraform = shutil.which("terraform")
    if not terraform:
        pytest.skip("no terraform CLI on PATH")
    platform = terraform_platform(terraform)
    try:
        mirror = find_mirror(platform, os.environ)
    except CannotValidate as err:  # PLATFORM_TF_MIRROR names no mirror
        pytest.skip(str(err))
    content = mirror_providers(mirror, platform) if mirror else {}
    aws = [versions for address, versions in content.items() if address.endswith("/hashicorp/aws")]
    if not mirror or not aws:
        pytest.skip("no provider mirror holding hashicorp/aws (PLATFORM_TF_MIRROR or a well-known folder)")
    synth: Synth = request.getfixturevalue("synth")  # only now: a skip costs no synth
    cache = tmp_path_factory.mktemp("plugin-cache")
    started = time.monotonic()
    results, used = validate_stacks(synth.outdir, plugin_cache=cache)
    seconds = time.monotonic() - started
    results += validate_stacks(
        broken_stack(synth, tmp_path_factory.mktemp("broken") / "cdktf.out"), plugin_cache=cache
    )[0]
    print(f"\nterraform validate of {len(results)} stacks: {seconds:.0f} s")  # shown with -s
    assert used == mirror
    return Validation({r.stack: r for r in results}, mirror, set(content), aws[0][-1], seconds)


def test_every_aws_only_stack_validates(validation: Validation) -> None:
    for env in ENV_NAMES:
        for layer in AWS_ONLY_LAYERS:
            result = validation.results[f"{env}-{layer}"]
            assert result.result == "valid", "\n".join(result.diagnostics) or result.reason


def test_kubernetes_and_helm_stacks_are_skipped_with_the_reason(synth: Synth, validation: Validation) -> None:
    for name, doc in synth.stacks.items():
        needs = {p for p in doc["terraform"]["required_providers"] if p in ("kubernetes", "helm")}
        if not needs:
            continue
        assert not any(a.endswith(f"/hashicorp/{p}") for a in validation.mirrored for p in needs), "the mirror holds it"
        result = validation.results[name]
        if result.result == "valid":
            continue  # this machine reaches the registry and downloaded it: validated for real
        assert result.result == "skipped", "\n".join(result.diagnostics)
        provider = result.reason.split()[1]
        assert provider in {f"hashicorp/{p}" for p in needs}
        assert result.reason == f"provider {provider} not in the mirror at {validation.mirror} and no registry access"


def test_a_broken_resource_is_one_invalid_line_naming_stack_and_resource(synth: Synth, validation: Validation) -> None:
    vpc_name = next(iter(synth.resources("dev-network", "aws_vpc")))
    result = validation.results[BROKEN]
    assert result.result == "invalid"
    assert len(result.diagnostics) == 1, result.diagnostics
    assert result.diagnostics[0].startswith(f"{BROKEN}: aws_vpc.{vpc_name}: ")
    assert '"not_an_argument"' in result.diagnostics[0] and "\n" not in result.diagnostics[0]


def test_rewrites_apply_only_below_the_version_that_knows_them_and_are_reported(validation: Validation) -> None:
    cluster = validation.results["prod-cluster"]  # uses both: data.aws_region and deletion_protection
    expected = {r.name for r in REWRITES if validation.aws_version < r.since}
    assert set(cluster.rewrites) == expected
    if expected:
        assert cluster.providers == {"hashicorp/aws": ".".join(map(str, validation.aws_version))}
    assert all(set(r.rewrites) <= expected for r in validation.results.values())


def test_version_constraints() -> None:
    v = parse_version
    assert satisfies(v("5.100.0"), ">= 5.0") and not satisfies(v("5.100.0"), "6.25.0")
    assert satisfies(v("6.25.0"), "~> 6.0") and not satisfies(v("7.0.0"), "~> 6.0")
    assert satisfies(v("6.25.3"), "~> 6.25.0") and not satisfies(v("6.26.0"), "~> 6.25.0")
    assert satisfies(v("6.25.0"), ">= 6.0, < 7.0, != 6.24.0") and satisfies(v("1.2.3"), "")


def test_diagnostic_lines_map_to_block_addresses() -> None:
    doc = {"data": {"aws_region": {"r": {}}}, "resource": {"aws_vpc": {"v": {"tags": {"a": "b"}, "x": [{"y": 1}]}}}}
    lines = json.dumps(doc, indent=2).splitlines()
    addresses = dict(zip((line.strip() for line in lines), block_addresses("\n".join(lines)), strict=True))
    assert addresses['"y": 1'] == addresses['"a": "b"'] == "aws_vpc.v"  # in a list, in a map
    assert addresses['"r": {}'] == "data.aws_region.r"
    assert addresses['"resource": {'] == "resource"


def test_a_new_provider_is_installed_alone_first() -> None:
    needs = {"a": {"aws"}, "b": {"helm"}, "c": {"aws"}, "d": {"aws", "kubernetes"}, "e": {"helm"}}
    assert warm_up_first(list(needs), needs.__getitem__) == (["a", "b", "d"], ["c", "e"])


def test_an_error_in_one_stack_validated_together_hides_none_in_another(validation: Validation, tmp_path: Path) -> None:
    """Validated together, a stack terraform stops at (a version it is not) keeps it from checking
    the others: they are run again without it. No provider: the runs take a fraction of a second."""
    fine = {"terraform": {}, "resource": {"terraform_data": {"d": {"input": "x"}}}}
    stacks = {
        "1-stops": {**fine, "terraform": {"required_version": ">= 99.0"}},
        "dangling": {**fine, "output": {"o": {"value": "${terraform_data.missing.id}"}}},
        "fine": fine,
        "imports": {**fine, "import": [{"to": "terraform_data.d", "id": "x"}]},  # root modules only: alone
    }
    results, _ = validate_stacks(write_stacks(tmp_path / "cdktf.out", stacks))
    by_stack = {r.stack: r for r in results}
    assert by_stack["1-stops"].result == by_stack["dangling"].result == "invalid"
    assert by_stack["dangling"].diagnostics[0].startswith("dangling: output.o: Reference to undeclared resource")
    assert by_stack["fine"].result == by_stack["imports"].result == "valid"
    assert by_stack["fine"].together and not by_stack["imports"].together
