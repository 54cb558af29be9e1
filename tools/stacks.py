"""Lists synthesized stacks from cdktf.out/manifest.json in dependency order.

Used by `make plan`/`make deploy`, and by the pull-request and deploy workflows:
  python -m tools.stacks [--env dev] [--skip-bootstrap] [--only aws|kubernetes] [--json]
`--json` prints a GitHub Actions matrix: [{"stack", "env", "layer", "region", "kubernetes", "runner", "variable"}].
`kubernetes` marks stacks with a Kubernetes or Helm provider: they must run where
the cluster endpoint answers, which is `runner` (a CodeBuild runner project in
the VPC, from the environment's cluster stack) when set, else GitHub-hosted.
The bootstrap stacks keep local state (see README), so CI skips them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from tools.summary import stack_documents

KUBERNETES_PROVIDERS = ("kubernetes", "helm")
RUNNER_OUTPUT = "ci_runner_project"  # stacks/cluster.py


@dataclass(frozen=True)
class StackRow:
    stack: str
    env: str
    layer: str
    region: str
    kubernetes: bool
    runner: str  # "codebuild-<project>" for an in-VPC runner, "" for GitHub-hosted
    variable: str  # the environment as GitHub variable names take it: EU_PROD for eu-prod


def ordered_stacks(manifest: dict[str, Any]) -> list[str]:
    graph = {name: set(entry.get("dependencies", [])) for name, entry in manifest["stacks"].items()}
    # static_order is deterministic for a given insertion order; sort the input first.
    return list(TopologicalSorter(dict(sorted(graph.items()))).static_order())


def split_stack_name(name: str) -> tuple[str, str]:
    """(environment, layer): the layer is the last `-` part, so environment names may hold `-`."""
    env, _, layer = name.rpartition("-")
    return env, layer


def is_kubernetes_stack(doc: dict[str, Any]) -> bool:
    return any(p in doc.get("provider", {}) for p in KUBERNETES_PROVIDERS)


def stack_rows(outdir: Path) -> list[StackRow]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    return rows_of(manifest, stack_documents(outdir))


def rows_of(manifest: dict[str, Any], docs: dict[str, dict[str, Any]]) -> list[StackRow]:
    rows = []
    for name in ordered_stacks(manifest):
        doc = docs[name]
        env, layer = split_stack_name(name)
        backend = doc["terraform"]["backend"]
        region = backend["s3"]["region"] if "s3" in backend else doc["provider"]["aws"][0]["region"]
        kubernetes = is_kubernetes_stack(doc)
        project = docs.get(f"{env}-cluster", {}).get("output", {}).get(RUNNER_OUTPUT, {}).get("value")
        runner = f"codebuild-{project}" if kubernetes and project else ""
        variable = re.sub(r"[^A-Z0-9]", "_", env.upper())
        rows.append(StackRow(name, env, layer, region, kubernetes, runner, variable))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outdir", default="cdktf.out")
    parser.add_argument("--env", help="only this environment's stacks")
    parser.add_argument("--skip-bootstrap", action="store_true")
    parser.add_argument(
        "--only", choices=["aws", "kubernetes"], help="only stacks without / with a Kubernetes provider"
    )
    parser.add_argument("--json", action="store_true", help="print a GitHub Actions matrix")
    args = parser.parse_args(argv)
    outdir = Path(args.outdir)
    rows = [
        r
        for r in stack_rows(outdir)
        if (not args.env or r.env == args.env)
        and not (args.skip_bootstrap and r.layer == "bootstrap")
        and (args.only is None or r.kubernetes == (args.only == "kubernetes"))
    ]
    if args.env and not rows:
        print(f"no synthesized stack for environment '{args.env}' in {outdir}", file=sys.stderr)
        return 1
    print(json.dumps([asdict(r) for r in rows]) if args.json else "\n".join(r.stack for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
