"""Writes a new environment file from an existing one, with its own state bucket
and VPC CIDR and the next place in the promotion order, checks it like a synth
would, and prints what to create on GitHub.

  python -m tools.new_env NAME CIDR [--from dev]     (make new-env NAME=qa CIDR=10.40.0.0/16)

The copy keeps the source's comments; everything else the new environment
should differ in (account, region, sizes) is edited afterwards, or overridden
with PLATFORM_<ENV>_* variables (README).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from envs import ConfigError, load_environments
from envs.loader import ENV_FILE_SUFFIX, ENVS_DIR, available_environments, load_environment, override_variable

DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def set_value(text: str, key: str, value: str, *, indent: str) -> str:
    """Replaces the value of `key` (at this indentation) in YAML text, keeping any comment."""
    pattern = re.compile(rf"^({indent}{key}:\s*)([^#\n]*?)(\s*(#.*)?)$", re.MULTILINE)
    new, count = pattern.subn(lambda m: f"{m[1]}{value}{m[3]}", text, count=1)
    if count != 1:
        raise ConfigError(f"the source file has no '{key}:' to set")
    return new


def new_environment_text(
    source: str, source_name: str, name: str, cidr: str, bucket: str, order: int, *, same_account: bool
) -> str:
    text = set_value(source, "bucket", bucket, indent="  ")
    text = set_value(text, "vpc_cidr", cidr, indent="  ")
    if re.search(r"^  deploy_order:", text, re.MULTILINE):
        text = set_value(text, "deploy_order", str(order), indent="  ")
    if same_account and re.search(r"^  oidc_provider:", text, re.MULTILINE):
        # The source's account already has GitHub's OIDC provider (one per account).
        text = set_value(text, "oidc_provider", "existing", indent="  ")
    if same_account and re.search(r"^  create_spot_service_linked_role:", text, re.MULTILINE):
        # ... and the Spot service-linked role, if the source creates it (one per account too).
        text = set_value(text, "create_spot_service_linked_role", "false", indent="  ")
    # Comments and the GitHub environment named after the source now name the new one.
    text = re.sub(rf'(GitHub environment "){re.escape(source_name)}(")', rf"\g<1>{name}\g<2>", text)
    return re.sub(rf"\b{re.escape(source_name)}-bootstrap\b", f"{name}-bootstrap", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="the environment's name: a DNS label, e.g. qa or eu-prod")
    parser.add_argument("cidr", help="its VPC CIDR, e.g. 10.40.0.0/16")
    parser.add_argument("--from", dest="source", default="dev", help="the environment file to start from (dev)")
    parser.add_argument("--envs-dir", type=Path, default=ENVS_DIR)
    args = parser.parse_args(argv)
    try:
        path = create(args.name, args.cidr, args.source, args.envs_dir)
    except ConfigError as err:
        print(f"make new-env: {err}", file=sys.stderr)
        return 2
    variable = override_variable(args.name, "X").removeprefix("PLATFORM_").removesuffix("_X")
    print(
        f"wrote {path}\n"
        "next:\n"
        f"  1. review it (account, region, sizes), then: PLATFORM_ENVS={args.name} make synth\n"
        f"  2. with admin credentials for its account: npx cdktf deploy {args.name}-bootstrap\n"
        f"  3. GitHub: an environment '{args.name}' (deployment branches: main) with the variable\n"
        f"     DEPLOY_ROLE_ARN = the bootstrap output deploy_role_arn, and a repository variable\n"
        f"     PLAN_ROLE_ARN_{variable} = the bootstrap output plan_role_arn\n"
        "  4. connect CodeBuild to GitHub in its account and region if not done yet (docs/operations.md)"
    )
    return 0


def create(name: str, cidr: str, source_name: str, envs_dir: Path) -> Path:
    if not DNS_LABEL.match(name):
        raise ConfigError(f"NAME: '{name}' is not a DNS label (lower-case letters, digits, '-')")
    available = available_environments(envs_dir)
    if name in available:
        raise ConfigError(f"NAME: {available[name]} exists already")
    if source_name not in available:
        raise ConfigError(f"FROM: no environment '{source_name}' (files: {', '.join(available) or 'none'})")
    existing = load_environments({"PLATFORM_ENVS_DIR": str(envs_dir)})
    source = next(e for e in existing if e.name == source_name)
    bucket = source.state.bucket.replace(source_name, name) if source_name in source.state.bucket else f"{name}-tfstate"
    orders = [e.ci.deploy_order for e in existing if e.ci is not None]
    text = new_environment_text(
        available[source_name].read_text(),
        source_name,
        name,
        cidr,
        bucket,
        max(orders, default=0) + 10,
        same_account=source.aws.account_id is not None,
    )
    path = envs_dir / f"{name}{ENV_FILE_SUFFIX}"
    path.write_text(text)
    try:  # the same checks as a synth: the file alone, then against every other file
        load_environment(path, {})
        load_environments({"PLATFORM_ENVS_DIR": str(envs_dir)})
    except ConfigError:
        path.unlink()
        raise
    return path


if __name__ == "__main__":
    sys.exit(main())
