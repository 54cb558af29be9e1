"""tools/cost.py on the shared synth: counts match the JSON, totals add up, a
missing price fails loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ENV_NAMES, Synth
from tools.cost import PRICES, Line, MissingPrice, by_environment, estimate, format_table, load_prices, main, total


def lines_of(synth: Synth, env: str) -> dict[str, Line]:
    return {line.item: line for line in estimate(by_environment(synth.outdir)[env], load_prices("eu-west-1"))}


def count(synth: Synth, env: str, kind: str) -> int:
    return sum(len(synth.resources(s, kind)) for s in synth.stacks if s.rsplit("-", 1)[0] == env)


@pytest.mark.parametrize("env", ENV_NAMES)
def test_counts_match_the_json(synth: Synth, env: str) -> None:
    lines = lines_of(synth, env)
    assert lines["NAT gateways (hours)"].count == count(synth, env, "aws_nat_gateway")
    assert lines["KMS keys"].count == count(synth, env, "aws_kms_key")
    assert lines["CloudWatch alarms"].count == count(synth, env, "aws_cloudwatch_metric_alarm")
    assert lines["CloudWatch dashboards"].count == count(synth, env, "aws_cloudwatch_dashboard") == 1
    assert lines["EFS file systems (GB stored)"].monthly is None


def test_prices_follow_nat_and_nodes(synth: Synth) -> None:
    prices = yaml.safe_load(PRICES.read_text())["regions"]["eu-west-1"]
    dev, prod = lines_of(synth, "dev"), lines_of(synth, "prod")
    assert (dev["NAT gateways (hours)"].count, prod["NAT gateways (hours)"].count) == (1, 3)  # single vs per AZ
    assert dev["EKS control plane"].monthly == pytest.approx(prices["eks_cluster_hour"]["STANDARD"] * 730)
    assert prod["EKS control plane"].monthly == pytest.approx(prices["eks_cluster_hour"]["STANDARD"] * 730)
    assert prod["EKS control plane"].detail == "STANDARD"  # EXTENDED: tests/test_user_edits.py
    # prod: 3 x m7i.xlarge, 80 GiB each; dev: 2 x t3.large, 30 GiB each (tests/fixtures/envs).
    assert prod["system nodes (on-demand)"].monthly == pytest.approx(3 * prices["ec2_hour"]["m7i.xlarge"] * 730)
    assert prod["system node volumes (gp3)"].detail == "240 GiB"
    assert dev["system nodes (on-demand)"].monthly == pytest.approx(2 * prices["ec2_hour"]["t3.large"] * 730)


def test_totals_add_up(synth: Synth) -> None:
    prices = load_prices("eu-west-1")
    estimates = {env: list(lines_of(synth, env).values()) for env in ENV_NAMES}
    for lines in estimates.values():
        assert total(lines) == pytest.approx(sum(line.monthly or 0.0 for line in lines))
    table = format_table(estimates, prices).splitlines()
    assert table[0].split()[-3:] == list(ENV_NAMES)
    totals = next(row for row in table if row.startswith("TOTAL"))
    assert totals.split()[-3:] == [f"{total(estimates[env]):,.2f}" for env in ENV_NAMES]
    assert any(row.startswith("ESTIMATE") for row in table)


def test_a_missing_price_fails_loudly(
    synth: Synth, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = yaml.safe_load(PRICES.read_text())
    del document["regions"]["eu-west-1"]["ec2_hour"]["m7i.xlarge"]
    broken = tmp_path / "prices.yaml"
    broken.write_text(yaml.safe_dump(document))
    with pytest.raises(MissingPrice, match=r"no price for ec2_hour\.m7i\.xlarge in eu-west-1"):
        estimate(by_environment(synth.outdir)["prod"], load_prices("eu-west-1", broken))
    with pytest.raises(MissingPrice, match="no prices for region us-east-1"):
        load_prices("us-east-1")
    monkeypatch.setattr("tools.cost.PRICES", broken)
    assert main([str(synth.outdir)]) == 1
    assert "no price for ec2_hour.m7i.xlarge" in capsys.readouterr().err
