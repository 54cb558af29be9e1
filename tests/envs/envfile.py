"""A small valid environment file written by the tests (never copied from envs/),
and loading it the way main.py does: the one line a mistake produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from envs import ConfigError, Environment, load_environments

NAME = "qa"

BASE = """\
aws:
  region: eu-west-1
state:
  bucket: acme-qa-tfstate
network:
  vpc_cidr: 10.0.0.0/16
  nat: single
cluster:
  kubernetes_version: "1.34"
  admin_principal_arns: ["arn:aws:iam::123456789012:role/Admin"]
karpenter:
  ami_alias: al2023@v20261015
  node_pools:
    - name: general
      capacity_types: [on-demand]
      limits: {cpu: 64, memory_gib: 256}
"""


def team(name: str = "web", *, pods: int = 20, requests_cpu: str = "4", limits_cpu: str = "8") -> str:
    return (
        f"  - name: {name}\n"
        f'    quota: {{requests_cpu: "{requests_cpu}", requests_memory: 8Gi, limits_cpu: "{limits_cpu}", '
        f"limits_memory: 16Gi, pods: {pods}}}\n"
    )


def workload(
    name: str = "api",
    *,
    team: str = "web",
    max_replicas: int = 4,
    requests: str = "{cpu: 100m, memory: 64Mi}",
    limits: str = "{cpu: 250m, memory: 128Mi}",
    extra: str = "",
) -> str:
    return (
        f"  - name: {name}\n"
        f"    team: {team}\n"
        "    image: example.org/api:1.0.0\n"
        "    port: 8080\n"
        f"    replicas: {{min: 1, max: {max_replicas}}}\n"
        "    probes:\n"
        "      liveness: {path: /healthz, port: 8080}\n"
        "      readiness: {path: /readyz, port: 8080}\n"
        "      startup: {path: /healthz, port: 8080}\n"
        f"    resources: {{requests: {requests}, limits: {limits}}}\n"
        f"{extra}"
    )


def with_teams(teams: list[str], workloads: list[str]) -> str:
    return BASE + "teams:\n" + "".join(teams) + "workloads:\n" + "".join(workloads)


def write(envs_dir: Path, text: str) -> Path:
    path = envs_dir / f"{NAME}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load(envs_dir: Path, text: str, **environ: str) -> Environment:
    write(envs_dir, text)
    (env,) = load_environments({"PLATFORM_ENVS_DIR": str(envs_dir), **environ})
    return env


def one_line(envs_dir: Path, text: str, **environ: str) -> str:
    """The single line loading `text` fails with, its file name checked and cut off."""
    path = write(envs_dir, text)
    with pytest.raises(ConfigError) as raised:
        load_environments({"PLATFORM_ENVS_DIR": str(envs_dir), **environ})
    lines = str(raised.value).splitlines()
    assert len(lines) == 1, lines
    source = str(path.resolve().relative_to(Path.cwd())) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    assert lines[0].startswith(f"{source}: ") or lines[0].startswith("PLATFORM_"), lines[0]
    return lines[0].removeprefix(f"{source}: ")
