#!/usr/bin/env python
"""The cdktf app: for each selected environment (PLATFORM_ENVS, default all, read
from PLATFORM_ENVS_DIR, default envs/), its stacks, synthesized into cdktf.out/.

A configuration mistake or a broken best-practice rule prints one line per
problem and exits 1. Synthesis writes into a temporary folder that replaces
the output folder only when everything succeeded, so a failed run never leaves
a half-written cdktf.out behind.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from modules.base.provider_loading import enable_lazy_providers

enable_lazy_providers()  # before anything imports a provider package

from envs import ConfigError, load_environments  # noqa: E402

DEFAULT_OUTDIR = "cdktf.out"


def _replace_dir(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _keep_other_environments(old: Path, new: Path, synthesized: set[str]) -> None:
    """A synth of some environments (PLATFORM_ENVS) leaves the stacks of the
    others in the output folder as they were, so `make plan ENV=dev` does not
    take prod's stacks away from whoever reads cdktf.out next."""
    if not (old / "manifest.json").is_file():
        return
    previous = json.loads((old / "manifest.json").read_text())
    manifest = json.loads((new / "manifest.json").read_text())
    for name, entry in previous.get("stacks", {}).items():
        if name in manifest["stacks"] or name.rpartition("-")[0] in synthesized:
            continue
        if (old / entry["workingDirectory"]).is_dir():
            shutil.copytree(old / entry["workingDirectory"], new / entry["workingDirectory"], symlinks=True)
            manifest["stacks"][name] = entry
    manifest["stacks"] = dict(sorted(manifest["stacks"].items()))
    (new / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


def synth(outdir: Path, environ: Mapping[str, str] | None = None) -> int:
    """`environ`: the PLATFORM_ settings (default: the process environment)."""
    environ = os.environ if environ is None else environ
    try:
        environments = load_environments(environ)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    # Imported only now: a configuration mistake is reported without loading jsii.
    from stacks.app import build_app

    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        platform = build_app(environments, str(staging))
        try:
            platform.app.synth()
        except Exception:  # jsii surfaces synth failures as JSIIError
            if not platform.rules.violations:
                raise  # not a rule: a bug, whose traceback is wanted
            for violation in platform.rules.violations:
                print(violation, file=sys.stderr)
            return 1
        if environ.get("PLATFORM_ENVS"):
            _keep_other_environments(outdir, staging, {env.name for env in environments})
        _replace_dir(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(synth(Path(os.environ.get("CDKTF_OUTDIR", DEFAULT_OUTDIR)).resolve()))
