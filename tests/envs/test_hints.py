"""YAML's type traps and "did you mean": each mistake is one line naming the
file, the key and what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.envs.envfile import BASE, one_line, team, with_teams, workload

ACCOUNT = "region: eu-west-1\n  account_id: "


def test_an_unquoted_kubernetes_version_is_read_as_a_number(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE.replace('kubernetes_version: "1.34"', "kubernetes_version: 1.30"))
    assert line == 'cluster.kubernetes_version: YAML reads 1.30 as the number 1.3, not text: write it quoted: "1.30"'


def test_an_unquoted_account_id_is_read_as_a_number(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE.replace("region: eu-west-1", ACCOUNT + "123456789012"))
    assert line == 'aws.account_id: YAML reads 123456789012 as a number, not text: write it quoted: "123456789012"'


def test_an_unquoted_account_id_with_a_leading_zero_is_read_as_octal(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE.replace("region: eu-west-1", ACCOUNT + "012345670123"))
    assert line == (
        "aws.account_id: YAML reads 012345670123 as the octal number 1402433619, not text: "
        'write it quoted: "012345670123"'
    )


@pytest.mark.parametrize(("written", "read"), [("yes", "true"), ("no", "false"), ("on", "true"), ("off", "false")])
def test_yes_no_on_off_are_read_as_booleans_where_text_is_expected(tmp_path: Path, written: str, read: str) -> None:
    env = workload(extra=f"    env: {{VERBOSE: {written}}}\n")
    line = one_line(tmp_path, with_teams([team()], [env]))
    assert line == (
        f'workloads.0.env.VERBOSE: YAML reads {written} as the boolean {read}, not text: write it quoted: "{written}"'
    )


def test_an_unquoted_fraction_in_a_quantity_is_one_line(tmp_path: Path) -> None:
    # A quantity is text or an integer: pydantic reports both; one line says what to write.
    text = with_teams([team()], [workload(requests="{cpu: 0.5, memory: 64Mi}", limits="{cpu: 1, memory: 128Mi}")])
    line = one_line(tmp_path, text)
    assert line == 'workloads.0.resources.requests.cpu: YAML reads 0.5 as a number, not text: write it quoted: "0.5"'


def test_a_wrong_value_written_as_text_gets_no_yaml_hint(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE.replace('kubernetes_version: "1.34"', 'kubernetes_version: "1.20"'))
    assert line.startswith("cluster.kubernetes_version: '1.20' is not a supported version")


@pytest.mark.parametrize(
    ("old", "new", "key", "meant"),
    [
        ("nat: single", "nat: single\n  nat_gatway: 2", "network.nat_gatway", "nat"),
        ("nat: single", "nat: single\n  flowlogs: {retention_days: 7}", "network.flowlogs", "flow_logs"),
        ("region: eu-west-1", "regoin: eu-west-1", "aws.regoin", "region"),
        ("karpenter:", "karpenter:\n  amialias: al2023@v20261015", "karpenter.amialias", "ami_alias"),
        ("state:", "stat: {}\nstate:", "stat", "state"),
        ("      limits: {cpu: 64", "      limit: {cpu: 64", "karpenter.node_pools.0.limit", "limits"),
    ],
)
def test_an_unknown_key_close_to_a_known_one(tmp_path: Path, old: str, new: str, key: str, meant: str) -> None:
    # A misspelt required key is one line, not also "required but not set" for the key it meant.
    line = one_line(tmp_path, BASE.replace(old, new, 1))
    assert line == f"{key}: unknown key (not in the schema): did you mean '{meant}'?"


def test_an_unknown_key_far_from_any_lists_the_keys_there(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE.replace("nat: single", "nat: single\n  colour: blue"))
    assert line == (
        "network.colour: unknown key (not in the schema; keys here: vpc_cidr, az_count, subnet_sizes, nat, "
        "flow_logs, secondary_cidr)"
    )


def test_name_is_never_suggested(tmp_path: Path) -> None:
    line = one_line(tmp_path, "nmae: qa\n" + BASE)
    assert line.startswith("nmae: unknown key (not in the schema; keys here: production, ")
    assert "'name'" not in line and " name," not in line


@pytest.mark.parametrize(
    ("old", "new", "key", "meant"),
    [
        ("nat: single", "nat: singel", "network.nat", "single"),
        (
            'kubernetes_version: "1.34"',
            'kubernetes_version: "1.34"\n  addon_versions: {cordns: v1.11.4-eksbuild.2}',
            "cluster.addon_versions.cordns",
            "coredns",
        ),
        (
            "capacity_types: [on-demand]",
            "capacity_types: [on-demand, spots]",
            "karpenter.node_pools.0.capacity_types.1",
            "spot",
        ),
    ],
)
def test_a_value_close_to_an_allowed_one(tmp_path: Path, old: str, new: str, key: str, meant: str) -> None:
    line = one_line(tmp_path, BASE.replace(old, new))
    assert line.startswith(f"{key}: Input should be ")
    assert line.endswith(f": did you mean '{meant}'?")


def test_a_misspelt_alarm_filter(tmp_path: Path) -> None:
    line = one_line(tmp_path, BASE + "alarms: {thresholds: {Forbiden403: 5}}\n")
    assert line == "alarms.thresholds.Forbiden403: no metric filter of this name: did you mean 'Forbidden403'?"
