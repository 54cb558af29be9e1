"""One stack's validation: copied without its backend, made fit for the provider
at hand, then `terraform validate` (and `init` where a provider must be
installed); its result. batch.py validates several stacks in one run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.validate.diagnostics import block_addresses, diagnostic_line
from tools.validate.mirror import (
    DEV_OVERRIDES_WARNING,
    INDENT,
    mirrored,
    short_source,
)
from tools.validate.versions import REWRITES, Document, Version, satisfies, show_version

# --- one run -----------------------------------------------------------------

Outcome = Literal["valid", "invalid", "skipped"]


@dataclass
class StackResult:
    stack: str
    result: Outcome
    seconds: float
    diagnostics: list[str] = field(default_factory=list)  # errors, one line each: stack: address: summary
    warnings: list[str] = field(default_factory=list)
    reason: str = ""  # why skipped
    providers: dict[str, str] = field(default_factory=dict)  # ns/type -> version validated against, when relaxed
    rewrites: dict[str, int] = field(default_factory=dict)  # rewrite name -> places changed
    together: bool = False  # validated in the one run of the stacks the mirror serves (seconds: that run's)


@dataclass
class Run:
    outdir: Path
    manifest: dict[str, Any]
    workdir: Path
    terraform: str
    mirror: Path | None
    mirror_content: dict[str, list[Version]]
    env: dict[str, str]
    unreachable: set[str] = field(default_factory=set)  # providers a failed init could not download
    lock: threading.Lock = field(default_factory=threading.Lock)

    def prepare(self, stack: str, result: StackResult) -> tuple[Path, list[str]]:
        """The stack's JSON in a copy of its folder, made fit for validation, and the
        providers (ns/type) it needs that the mirror does not hold."""
        entry = self.manifest["stacks"][stack]
        folder = self.workdir / stack
        shutil.rmtree(folder, ignore_errors=True)  # prepared before, for a run together that fell back
        shutil.copytree(self.outdir / entry["workingDirectory"], folder)
        path = self.outdir / entry["synthesizedStackPath"]
        doc: Document = json.loads(path.read_text())
        doc.get("terraform", {}).pop("backend", None)  # validation must not reach any state
        missing = []
        for name, requirement in doc.get("terraform", {}).get("required_providers", {}).items():
            source = requirement.get("source", name)
            found = mirrored(source, self.mirror_content)
            if not found:
                missing.append(short_source(source))
                continue
            address, versions = found
            version = versions[-1]  # the one dev_overrides serves
            if not satisfies(version, requirement.get("version", "")):
                # The pin asks for what the mirror lacks: validate against what it has.
                result.providers[short_source(address)] = show_version(version)
            for rewrite in REWRITES:
                if rewrite.provider == address.rsplit("/", 1)[1] and version < rewrite.since:
                    if changed := rewrite.apply(doc):
                        result.rewrites[rewrite.name] = changed
        copy = folder / path.name
        copy.write_text(json.dumps(doc, indent=INDENT) + "\n")
        return copy, missing

    def no_registry(self, providers: list[str]) -> str:
        where = f"in the mirror at {self.mirror}" if self.mirror else "in a provider mirror (none found)"
        return f"provider {', '.join(providers)} not {where} and no registry access"

    def terraform_run(self, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.terraform, f"-chdir={folder}", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    def validate(self, stack: str) -> StackResult:
        started = time.monotonic()
        result = StackResult(stack, "valid", 0.0)
        copy, missing = self.prepare(stack, result)
        with self.lock:
            known_unreachable = [p for p in missing if p in self.unreachable]
        if known_unreachable:  # found out on an earlier stack: no need to wait for the registry again
            result.result, result.reason = "skipped", self.no_registry(known_unreachable)
        else:
            self.init_and_validate(stack, copy, missing, result)
        result.seconds = round(time.monotonic() - started, 1)
        return result

    def init_and_validate(self, stack: str, copy: Path, missing: list[str], result: StackResult) -> None:
        # With a mirror, what it holds needs no init (dev_overrides); without one, or
        # for providers it lacks, init installs them (or finds it cannot).
        needs_init = not self.mirror or bool(missing)
        init = (
            self.terraform_run(copy.parent, "init", "-backend=false", "-input=false", "-no-color")
            if needs_init
            else None
        )
        if init is not None and init.returncode != 0:
            flat = " ".join((init.stdout + init.stderr).split())
            # Only "could not connect" is a skip; any other init error (no such version, ...) is a failure.
            offline = [p for p in missing if re.search(rf"provider {re.escape(p)}: could not connect to", flat)]
            if offline:
                with self.lock:
                    self.unreachable.update(offline)
                result.result, result.reason = "skipped", self.no_registry(offline)
            else:
                result.result = "invalid"
                result.diagnostics.append(f"{stack}: -: terraform init failed: {flat[-600:]}")
            return
        run = self.terraform_run(copy.parent, "validate", "-json", "-no-color")
        try:
            report = json.loads(run.stdout)
        except json.JSONDecodeError:  # terraform failed before it could judge the configuration
            result.result = "invalid"
            result.diagnostics.append(f"{stack}: -: terraform validate failed: {' '.join(run.stderr.split())[-600:]}")
            return
        addresses = block_addresses(copy.read_text())
        for diagnostic in report.get("diagnostics", []):
            if diagnostic["summary"] == DEV_OVERRIDES_WARNING:
                continue  # our own doing (cli_config), not the stack's
            line = diagnostic_line(stack, diagnostic, addresses)
            (result.diagnostics if diagnostic["severity"] == "error" else result.warnings).append(line)
        result.result = "valid" if report.get("valid") and not result.diagnostics else "invalid"


def warm_up_first(stacks: list[str], providers: Callable[[str], set[str]]) -> tuple[list[str], list[str]]:
    """Splits stacks into those that first need some provider (run one at a time: the plugin
    cache is not safe for concurrent installs, and a provider found unreachable once is not
    tried again) and the rest (run in parallel)."""
    seen: set[str] = set()
    first: list[str] = []
    rest: list[str] = []
    for stack in stacks:
        needs = providers(stack)
        (first if needs - seen else rest).append(stack)
        seen |= needs
    return first, rest
