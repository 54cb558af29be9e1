"""Moves an environment's bootstrap state from the local file into its state
bucket, after `state.bootstrap_backend: s3` was set in its file (so the next
synth, and every one after, writes the S3 backend the state now lives in).

  python -m tools.migrate_bootstrap ENV [--dry-run]      (make migrate-bootstrap ENV=dev)

Steps, each checked: the config says s3; the local state file exists; the
synthesized bootstrap stack has the S3 backend; the bucket holds no bootstrap
state yet; `terraform state push` of the local file; the pulled state matches
(lineage and serial); the local file is renamed `*.migrated` (keep it until you
have checked, then delete it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from envs import ConfigError, load_environments

ROOT = Path(__file__).resolve().parent.parent

Runner = Callable[[list[str]], subprocess.CompletedProcess[str]]


class MigrationError(Exception):
    """One line: what stopped the migration."""


def terraform(stack_dir: Path) -> Runner:
    binary = shutil.which("terraform")
    if binary is None:
        raise MigrationError("no terraform on PATH")

    def run(args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary, f"-chdir={stack_dir}", *args], capture_output=True, text=True, timeout=600, check=False
        )

    return run


def migrate(env_name: str, outdir: Path, run: Runner, *, dry_run: bool = False) -> list[str]:
    """The steps taken (or, with dry_run, to take); raises MigrationError."""
    (env,) = load_environments({**os.environ, "PLATFORM_ENVS": env_name})
    stack = f"{env.name}-bootstrap"
    local = ROOT / f"terraform.{stack}.tfstate"
    if env.state.bootstrap_backend != "s3":
        raise MigrationError(f"set state.bootstrap_backend: s3 in envs/{env.name}.yaml first, then synthesize")
    if not local.is_file():
        raise MigrationError(f"{local.name} not found: nothing to migrate (or it was migrated already)")
    doc = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
    if "s3" not in doc["terraform"].get("backend", {}):
        raise MigrationError(f"{outdir}/stacks/{stack} has no S3 backend: synthesize {env.name} again")
    steps = ["init -input=false", f"state pull (the bucket must hold no {stack} state)", f"state push {local}"]
    if dry_run:
        return steps
    if (init := run(["init", "-input=false", "-no-color"])).returncode != 0:
        raise MigrationError(f"terraform init failed: {' '.join(init.stderr.split())[-300:]}")
    remote = run(["state", "pull"])
    if remote.returncode == 0 and remote.stdout.strip() and json.loads(remote.stdout).get("resources"):
        raise MigrationError(f"the bucket already holds state for {stack}: refusing to overwrite it")
    if (push := run(["state", "push", str(local)])).returncode != 0:
        raise MigrationError(f"terraform state push failed: {' '.join(push.stderr.split())[-300:]}")
    pulled, pushed = json.loads(run(["state", "pull"]).stdout), json.loads(local.read_text())
    if (pulled["lineage"], pulled["serial"]) != (pushed["lineage"], pushed["serial"]):
        raise MigrationError("the state read back from the bucket differs from the local file: check by hand")
    local.rename(local.with_name(local.name + ".migrated"))
    return [*steps, f"renamed {local.name} to {local.name}.migrated"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    names = [a for a in args if not a.startswith("--")]
    if len(names) != 1:
        print("usage: python -m tools.migrate_bootstrap ENV [--dry-run]", file=sys.stderr)
        return 2
    outdir = Path(os.environ.get("CDKTF_OUTDIR", ROOT / "cdktf.out"))
    stack_dir = outdir / "stacks" / f"{names[0]}-bootstrap"
    try:
        steps = migrate(names[0], outdir, terraform(stack_dir), dry_run="--dry-run" in args)
    except (ConfigError, MigrationError) as err:
        print(f"migrate-bootstrap {names[0]}: {err}", file=sys.stderr)
        return 2
    print("\n".join(steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
