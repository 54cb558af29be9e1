"""Checks before `make bootstrap` / `plan` / `deploy` spend a synth: a Terraform
CLI new enough for S3 native locking, AWS credentials for the account the
environment names, and, where the environment creates the account's EC2 Spot
service-linked role, that the account does not hold one made elsewhere (IAM
would refuse the bootstrap apply). One line and exit 2 when something is wrong.

  python -m tools.preflight ENV
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from envs import ConfigError, Environment, load_environments
from modules.conventions import PROJECT, SPOT_SERVICE_LINKED_ROLE, STACK_TAG

MINIMUM_TERRAFORM = (1, 10)


def terraform_problem() -> str | None:
    terraform = shutil.which("terraform")
    if terraform is None:
        return "no terraform on PATH: install Terraform 1.10 or newer"
    out = subprocess.run([terraform, "version", "-json"], capture_output=True, text=True, timeout=60, check=False)
    try:
        version = json.loads(out.stdout)["terraform_version"]
    except (json.JSONDecodeError, KeyError):
        return f"could not read the version of {terraform}"
    if tuple(int(p) for p in version.split(".")[:2]) < MINIMUM_TERRAFORM:
        return f"terraform {version} is too old: S3 native state locking (use_lockfile) needs 1.10 or newer"
    return None


def aws_problem(expected_account: str | None) -> str | None:
    aws = shutil.which("aws")
    if aws is None:
        return "no aws CLI on PATH: the Kubernetes and Helm providers authenticate with `aws eks get-token`"
    out = subprocess.run(
        [aws, "sts", "get-caller-identity", "--output", "json"], capture_output=True, text=True, timeout=60, check=False
    )
    if out.returncode != 0:
        reason = " ".join(out.stderr.split())[-200:] or "no credentials"
        return f"no usable AWS credentials ({reason})"
    account = json.loads(out.stdout)["Account"]
    if expected_account and account != expected_account:
        return f"the credentials are for account {account}, the environment is in {expected_account} (aws.account_id)"
    return None


def spot_role_problem(env: Environment) -> str | None:
    """The role exists and this environment's bootstrap stack did not create it (its default tags say)."""
    aws = shutil.which("aws")
    if not env.aws.create_spot_service_linked_role or aws is None:
        return None
    out = subprocess.run(
        [aws, "iam", "list-role-tags", "--role-name", SPOT_SERVICE_LINKED_ROLE, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if out.returncode != 0:
        if "NoSuchEntity" in out.stderr:
            return None  # absent: the bootstrap stack creates it
        return f"could not read the tags of {SPOT_SERVICE_LINKED_ROLE} ({' '.join(out.stderr.split())[-200:]})"
    tags = {t["Key"]: t["Value"] for t in json.loads(out.stdout).get("Tags", [])}
    if tags.get("Project") == PROJECT and tags.get(STACK_TAG) == f"{env.name}-bootstrap":
        return None
    return (
        f"the account already has {SPOT_SERVICE_LINKED_ROLE}, not created by {env.name}-bootstrap (IAM refuses a "
        "second): set aws.create_spot_service_linked_role: false"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.preflight ENV", file=sys.stderr)
        return 2
    try:
        (env,) = load_environments({**os.environ, "PLATFORM_ENVS": args[0]})
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    problem = terraform_problem() or aws_problem(env.aws.account_id) or spot_role_problem(env)
    if problem:
        print(f"preflight {env.name}: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
