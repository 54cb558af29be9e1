"""Reads environment files, applies environment-variable overrides, and turns
every validation failure into one line naming the file, the field and the reason."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from envs.hints import YAML_TRAP, explain, field_loc, raw_document, raw_scalar, unknown_key
from envs.schema import Environment

ENVS_DIR = Path(__file__).resolve().parent
ENV_FILE_SUFFIX = ".yaml"

# Values that differ per organisation or account, overridable without editing a
# file: PLATFORM_<ENV>_<NAME>, e.g. PLATFORM_PROD_ACCOUNT_ID. Lists are comma-separated.
OVERRIDES: dict[str, tuple[tuple[str, ...], bool]] = {
    "ACCOUNT_ID": (("aws", "account_id"), False),
    "REGION": (("aws", "region"), False),
    "STATE_BUCKET": (("state", "bucket"), False),
    "ADMIN_PRINCIPAL_ARNS": (("cluster", "admin_principal_arns"), True),
    "ALARM_EMAIL": (("alarms", "email"), False),
    "PUBLIC_ACCESS_CIDRS": (("cluster", "public_access_cidrs"), True),
    "GITHUB_REPOSITORY": (("ci", "github_repository"), False),
}


class ConfigError(Exception):
    """A configuration mistake; str() is the one line shown to the user."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (YAML would keep the last silently)."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key '{key}' appears twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def override_variable(env_name: str, key: str) -> str:
    return f"PLATFORM_{re.sub(r'[^A-Z0-9]', '_', env_name.upper())}_{key}"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 - strict SafeLoader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{_display(path)}: not valid YAML{where}: {problem}") from None
    except OSError as err:
        raise ConfigError(f"{_display(path)}: cannot be read: {err.strerror}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{_display(path)}: must be a mapping of settings at the top level")
    return data


def _apply_overrides(env_name: str, data: dict[str, Any], environ: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    applied: dict[tuple[str, ...], str] = {}
    for key, (path, is_list) in OVERRIDES.items():
        var = override_variable(env_name, key)
        raw = environ.get(var)
        if raw is None or raw == "":
            continue
        value: Any = [item.strip() for item in raw.split(",") if item.strip()] if is_list else raw.strip()
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value
        applied[path] = var
    return applied


Loc = tuple[str | int, ...]
MISSING = "required but not set"


def _describe(err: Mapping[str, Any], raw: Any) -> tuple[Loc, str, Loc | None]:
    """(where, why, and for a misspelt key the key it meant)."""
    loc = field_loc(err["loc"])
    original = (err.get("ctx") or {}).get("error")
    field = getattr(original, "field", None)
    if isinstance(field, str):
        loc = loc + tuple(field.split("."))
    kind = err["type"]
    if kind == "extra_forbidden":
        reason, meant = unknown_key(Environment, loc, hidden=("name",))
        return loc, reason, ((*loc[:-1], meant) if meant else None)
    if kind == "missing":
        return loc, MISSING, None
    if original is not None:
        return loc, str(original), None
    return loc, explain(err, raw_scalar(raw, loc)), None


def _format_errors(path: Path, error: ValidationError, applied: dict[tuple[str, ...], str]) -> str:
    try:  # the file as written, for the YAML traps; it was read a moment ago
        raw = raw_document(path.read_text(encoding="utf-8"))
    except OSError:
        raw = None
    reasons: dict[Loc, str] = {}
    meant: set[Loc] = set()
    for err in error.errors():
        loc, reason, misspelt = _describe(err, raw)
        meant |= {misspelt} if misspelt else set()
        # One line per setting: a union reports each member (str, int); the YAML trap, if any, says it all.
        if loc not in reasons or (reason.startswith(YAML_TRAP) and not reasons[loc].startswith(YAML_TRAP)):
            reasons[loc] = reason
    lines = []
    for loc, reason in reasons.items():
        if loc in meant and reason == MISSING:
            continue  # the misspelt key's line says it
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        source = _display(path)
        for override_path, var in applied.items():
            if tuple(str(p) for p in loc[: len(override_path)]) == override_path:
                source = f"{var} (overrides {_display(path)})"
        lines.append(f"{source}: {dotted}: {reason}")
    return "\n".join(lines)


def load_environment(path: Path, environ: Mapping[str, str] | None = None) -> Environment:
    environ = os.environ if environ is None else environ
    data = _read_yaml(path)
    if "name" in data:
        raise ConfigError(f"{_display(path)}: name: unknown key (the environment's name is its file name)")
    name = path.name.removesuffix(ENV_FILE_SUFFIX)
    applied = _apply_overrides(name, data, environ)
    try:
        return Environment.model_validate({"name": name, **data})
    except ValidationError as err:
        raise ConfigError(_format_errors(path, err, applied)) from None


def available_environments(envs_dir: Path) -> dict[str, Path]:
    if not envs_dir.is_dir():
        raise ConfigError(f"PLATFORM_ENVS_DIR: {envs_dir} is not a folder")
    return {p.name.removesuffix(ENV_FILE_SUFFIX): p for p in sorted(envs_dir.glob(f"*{ENV_FILE_SUFFIX}"))}


def load_environments(environ: Mapping[str, str] | None = None) -> list[Environment]:
    """The environments selected by PLATFORM_ENVS (default: all) from PLATFORM_ENVS_DIR.
    Every file is read and checked against the others, whatever the selection:
    two environments sharing a state bucket break both even if only one is synthesized."""
    environ = os.environ if environ is None else environ
    envs_dir = Path(environ.get("PLATFORM_ENVS_DIR") or ENVS_DIR)
    available = available_environments(envs_dir)
    if not available:
        raise ConfigError(f"PLATFORM_ENVS_DIR: {_display(envs_dir)} holds no *{ENV_FILE_SUFFIX} environment file")
    selected = [e.strip() for e in environ.get("PLATFORM_ENVS", "").split(",") if e.strip()]
    for name in selected:
        if name not in available:
            raise ConfigError(
                f"PLATFORM_ENVS: unknown environment '{name}' (files in {_display(envs_dir)}: {', '.join(available)})"
            )
    errors: list[str] = []
    environments: dict[str, Environment] = {}
    for name, path in available.items():
        try:
            environments[name] = load_environment(path, environ)
        except ConfigError as err:
            errors.append(str(err))
    if errors:
        raise ConfigError("\n".join(errors))
    check_across_files(list(environments.values()), envs_dir)
    return [environments[name] for name in dict.fromkeys(selected or available)]


def check_across_files(environments: list[Environment], envs_dir: Path) -> None:
    """What no single file can check: each environment its own state bucket and
    cluster; one creator of GitHub's OIDC provider per account (IAM holds one per
    issuer URL); VPCs of one account that overlap (a warning: they cannot be peered)."""
    for what in ("state.bucket", "cluster name"):
        seen: dict[str, str] = {}
        for env in environments:
            value = env.state.bucket if what == "state.bucket" else env.cluster_name
            owner = seen.setdefault(value, env.name)
            if owner != env.name:
                raise ConfigError(
                    f"{_display(envs_dir / (env.name + ENV_FILE_SUFFIX))}: {what}: '{value}' is also the "
                    f"{what} of '{owner}'; each environment needs its own"
                )
    creators: dict[str, str] = {}
    for env in environments:
        if env.ci is None or env.ci.oidc_provider != "create" or env.aws.account_id is None:
            continue
        owner = creators.setdefault(env.aws.account_id, env.name)
        if owner != env.name:
            raise ConfigError(
                f"{_display(envs_dir / (env.name + ENV_FILE_SUFFIX))}: ci.oidc_provider: '{owner}' already creates "
                f"GitHub's OIDC provider in account {env.aws.account_id} (one per account): set 'existing'"
            )
    spot_creators: dict[str, str] = {}
    for env in environments:
        if not env.aws.create_spot_service_linked_role or env.aws.account_id is None:
            continue
        owner = spot_creators.setdefault(env.aws.account_id, env.name)
        if owner != env.name:
            raise ConfigError(
                f"{_display(envs_dir / (env.name + ENV_FILE_SUFFIX))}: aws.create_spot_service_linked_role: "
                f"'{owner}' already creates it in account {env.aws.account_id} (one per account): set false"
            )
    for index, env in enumerate(environments):
        for other in environments[index + 1 :]:
            same_account = env.aws.account_id is not None and env.aws.account_id == other.aws.account_id
            if same_account and ip_network(env.network.vpc_cidr).overlaps(ip_network(other.network.vpc_cidr)):
                print(
                    f"warning: {env.name} and {other.name} share account {env.aws.account_id} and their VPCs "
                    f"overlap ({env.network.vpc_cidr}, {other.network.vpc_cidr}): they can never be peered",
                    file=sys.stderr,
                )
