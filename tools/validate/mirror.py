"""A local provider mirror: finding it, what it holds, and the CLI configuration
and environment terraform runs with."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tools.validate.versions import Version, parse_version, show_version

# Where Terraform and packagers usually put provider mirrors on Linux and macOS.
WELL_KNOWN_MIRRORS = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)
INDENT = 2  # of the JSON written for terraform; diagnostics' line numbers map back through it
DEV_OVERRIDES_WARNING = "Provider development overrides are in effect"


class CannotValidate(RuntimeError):
    """Nothing can be validated: no terraform CLI, or a mirror named that is none."""


def terraform_platform(terraform: str) -> str:
    out = subprocess.run([terraform, "version", "-json"], capture_output=True, text=True, check=True, timeout=60)
    platform: str = json.loads(out.stdout)["platform"]
    return platform


def mirror_providers(root: Path, platform: str) -> dict[str, list[Version]]:
    """`<host>/<namespace>/<type>` -> versions that `root` holds unpacked for `platform`."""
    found: dict[str, list[Version]] = {}
    for package in sorted(root.glob(f"*/*/*/*/{platform}")):
        if package.is_dir():
            address = "/".join(package.relative_to(root).parts[:3])
            found.setdefault(address, []).append(parse_version(package.parent.name))
    return {address: sorted(versions) for address, versions in found.items()}


def find_mirror(platform: str, env: Mapping[str, str]) -> Path | None:
    if explicit := env.get("PLATFORM_TF_MIRROR"):
        if not (Path(explicit).is_dir() and mirror_providers(Path(explicit), platform)):
            raise CannotValidate(f"PLATFORM_TF_MIRROR={explicit} holds no provider for {platform}")
        return Path(explicit)
    return next((path for path in WELL_KNOWN_MIRRORS if path.is_dir() and mirror_providers(path, platform)), None)


def short_source(source: str) -> str:
    """`aws` -> `hashicorp/aws`, `ns/type` and `host/ns/type` -> `ns/type`."""
    parts = source.lower().split("/")
    return "/".join((["hashicorp", *parts] if len(parts) == 1 else parts)[-2:])


def mirrored(source: str, mirror: Mapping[str, list[Version]]) -> tuple[str, list[Version]] | None:
    # A source without a host means the public registry. The mirror names hosts
    # only as folders, so a provider matches on namespace/type (and host if given).
    parts = source.lower().split("/")
    for address, versions in mirror.items():
        if address.split("/", 1)[1] == short_source(source) and (len(parts) < 3 or address.startswith(parts[0] + "/")):
            return address, versions
    return None


def cli_config(mirror: Path, content: Mapping[str, list[Version]], platform: str) -> str:
    """Mirrored providers are used in place (`dev_overrides`): no `terraform init`
    for a stack that needs nothing else, and no hashing of a 700 MB provider per
    stack, which is most of what init and validate cost. The others install as usual."""
    overrides = "".join(
        f"    {json.dumps(address)} = {json.dumps(str(mirror / address / show_version(versions[-1]) / platform))}\n"
        for address, versions in sorted(content.items())
    )
    return f"provider_installation {{\n  dev_overrides {{\n{overrides}  }}\n  direct {{}}\n}}\n"


def terraform_env(
    workdir: Path, mirror: Path | None, mirror_content: Mapping[str, list[Version]], platform: str, cache: Path
) -> dict[str, str]:
    # A TF_DATA_DIR or TF_WORKSPACE of the caller would make the copies share state.
    env = {k: v for k, v in os.environ.items() if k not in ("TF_DATA_DIR", "TF_WORKSPACE")}
    env |= {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1", "TF_PLUGIN_CACHE_DIR": str(cache)}
    # Every copy starts without a lock file; without this, Terraform >= 1.4 would
    # download each provider again for every stack instead of linking the cache.
    env["TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"] = "true"
    if mirror:
        config = workdir / "cli.tfrc"
        config.write_text(cli_config(mirror, mirror_content, platform))
        env["TF_CLI_CONFIG_FILE"] = str(config)  # overrides the user's: only this installation setup counts here
    elif env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).is_file():
        del env["TF_CLI_CONFIG_FILE"]  # a missing file only makes terraform warn
    return env
