"""An ESTIMATE of each environment's fixed monthly cost (`make cost`), read from
the synthesized JSON (cdktf.out or a folder given) and the list prices of
tools/prices.yaml (one region, one date): the EKS control plane (standard or
extended support), NAT gateways and their public IPv4 addresses, the system node
group's instances and volumes, KMS keys, CloudWatch alarms and dashboards.
What is priced by use (NAT data, log ingestion, SQS, EFS, CodeBuild minutes, S3,
SNS, Karpenter's nodes) is listed as "usage" with its count. A resource or
instance type without a price fails loudly. More: docs/cost.md."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.summary import stack_documents

ROOT = Path(__file__).resolve().parent.parent
PRICES = ROOT / "tools" / "prices.yaml"
# Billed by use: (resource type, line label). Counted, never priced.
USAGE = (
    ("aws_cloudwatch_log_group", "CloudWatch log groups (ingestion, storage)"),
    ("aws_sqs_queue", "SQS queues (interruption events)"),
    ("aws_efs_file_system", "EFS file systems (GB stored)"),
    ("aws_codebuild_project", "CodeBuild runners (build minutes)"),
    ("aws_s3_bucket", "S3 buckets (state)"),
    ("aws_sns_topic", "SNS topics (alarm notifications)"),
)


class MissingPrice(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Prices:
    region: str
    date: str
    currency: str
    hours: float
    table: Mapping[str, Any]

    def __call__(self, *path: str) -> float:
        value: Any = self.table
        for key in path:
            if not isinstance(value, Mapping) or key not in value:
                raise MissingPrice(f"tools/prices.yaml: no price for {'.'.join(path)} in {self.region} (add it)")
            value = value[key]
        return float(value)


def load_prices(region: str, path: Path | None = None) -> Prices:
    path = path or PRICES
    document = yaml.safe_load(path.read_text())
    if region not in document["regions"]:
        raise MissingPrice(f"{path.name}: no prices for region {region} (has {', '.join(document['regions'])})")
    return Prices(region, str(document["date"]), document["currency"], float(document["hours_per_month"]),
                  document["regions"][region])  # fmt: skip


@dataclass(frozen=True)
class Line:
    item: str
    count: int
    monthly: float | None  # None: priced by use
    detail: str = ""


Docs = Mapping[str, Mapping[str, Any]]


def resources(docs: Docs, kind: str) -> list[dict[str, Any]]:
    return [r for doc in docs.values() for r in doc.get("resource", {}).get(kind, {}).values()]


def region_of(docs: Docs) -> str:
    regions = {p.get("region") for doc in docs.values() for p in doc.get("provider", {}).get("aws", [])} - {None}
    if len(regions) != 1:
        raise ValueError(f"expected one AWS region per environment, found {sorted(map(str, regions))}")
    return str(regions.pop())


def node_groups(docs: Docs, prices: Prices) -> tuple[int, float, int, float]:
    """(nodes, instance cost, GiB of root volumes, volume cost) of the managed node groups at desired size."""
    nodes, instances, gib = 0, 0.0, 0
    templates = {
        name: t for doc in docs.values() for name, t in doc.get("resource", {}).get("aws_launch_template", {}).items()
    }
    for group in resources(docs, "aws_eks_node_group"):
        size = int(group["scaling_config"]["desired_size"])
        nodes += size
        # A managed node group launches its first instance type when it has capacity (on-demand).
        instances += size * prices("ec2_hour", group["instance_types"][0]) * prices.hours
        reference = re.fullmatch(
            r"\$\{aws_launch_template\.([^.]+)\.id\}", group.get("launch_template", {}).get("id", "")
        )
        disk = group.get("disk_size") or 20
        if reference:
            volumes = templates[reference.group(1)].get("block_device_mappings", [])
            disk = sum(int(v["ebs"]["volume_size"]) for v in volumes)
        gib += size * disk
    return nodes, instances, gib, gib * prices("ebs_gp3_gb_month")


def estimate(docs: Docs, prices: Prices) -> list[Line]:
    """The lines of one environment's stacks (their documents by stack name)."""
    hours = prices.hours
    clusters = resources(docs, "aws_eks_cluster")
    # Without an upgrade policy EKS puts a cluster past standard support into EXTENDED.
    support = [c.get("upgrade_policy", {}).get("support_type", "EXTENDED") for c in clusters]
    nats, eips = resources(docs, "aws_nat_gateway"), resources(docs, "aws_eip")
    keys = resources(docs, "aws_kms_key")
    alarms, dashboards = resources(docs, "aws_cloudwatch_metric_alarm"), resources(docs, "aws_cloudwatch_dashboard")
    nodes, instances, gib, volumes = node_groups(docs, prices)
    kinds = "/".join(sorted(set(support)))
    lines = [
        Line("EKS control plane", len(clusters), sum(prices("eks_cluster_hour", s) * hours for s in support), kinds),
        Line("NAT gateways (hours)", len(nats), len(nats) * prices("nat_gateway_hour") * hours),
        Line("public IPv4 addresses", len(eips), len(eips) * prices("public_ipv4_hour") * hours),
        Line("system nodes (on-demand)", nodes, instances),
        Line("system node volumes (gp3)", nodes, volumes, f"{gib} GiB"),
        Line("KMS keys", len(keys), len(keys) * prices("kms_key_month")),
        Line("CloudWatch alarms", len(alarms), len(alarms) * prices("cloudwatch_alarm_month")),
        Line("CloudWatch dashboards", len(dashboards), len(dashboards) * prices("cloudwatch_dashboard_month")),
    ]
    return lines + [Line(label, len(resources(docs, kind)), None) for kind, label in USAGE]


def by_environment(outdir: Path) -> Mapping[str, Docs]:
    """Stack documents grouped by environment (a stack is `<env>-<layer>`)."""
    grouped: dict[str, dict[str, Any]] = {}
    for name, doc in stack_documents(outdir).items():
        grouped.setdefault(name.rsplit("-", 1)[0], {})[name] = doc
    return grouped


def total(lines: list[Line]) -> float:
    return sum(line.monthly for line in lines if line.monthly is not None)


def format_table(estimates: Mapping[str, list[Line]], prices: Prices) -> str:
    names = list(estimates)
    items = list(dict.fromkeys(line.item for lines in estimates.values() for line in lines))

    def cell(env: str, item: str) -> str:
        line = next(x for x in estimates[env] if x.item == item)
        amount = "usage" if line.monthly is None else f"{line.monthly:,.2f}"
        return f"{amount} ({line.count}{', ' + line.detail if line.detail else ''})"

    rows = [["monthly, " + prices.currency, *names]]
    rows += [[item, *(cell(n, item) for n in names)] for item in items]
    rows.append(["TOTAL fixed (estimate)", *(f"{total(estimates[n]):,.2f}" for n in names)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    align: Callable[[str, int, int], str] = lambda c, w, i: c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
    table = ["  ".join(align(c, w, i) for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    notes = [
        f"ESTIMATE from list prices: {prices.region}, {prices.date}, {prices.hours:g} hours a month (tools/prices.yaml);",
        "(n): how many the JSON holds. Not included: NAT data processing "
        f"({prices('nat_gateway_gb')}/GB), log ingestion ({prices('cloudwatch_logs_ingest_gb')}/GB), "
        "Karpenter's nodes, load balancers, data transfer, requests, taxes, discounts, free tiers.",
    ]
    return "\n".join([*table, "", *notes])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default="cdktf.out", type=Path)
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").is_file():
        print(f"{args.outdir}: no manifest.json; run make synth first", file=sys.stderr)
        return 2
    from tools.versions import environment_order

    grouped = by_environment(args.outdir)
    try:
        estimates, prices = {}, None
        for env in environment_order(list(grouped)):
            prices = load_prices(region_of(grouped[env]))
            estimates[env] = estimate(grouped[env], prices)
    except MissingPrice as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    assert prices is not None
    print(format_table(estimates, prices))
    return 0


if __name__ == "__main__":
    sys.exit(main())
