"""One validation run: each stack copied without its backend, made fit for the
provider at hand, then `terraform validate`: the stacks whose providers the
mirror serves all in one run (each a child module of one root), the others one
by one (with `init` where a provider must be installed); results per stack."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.stacks import ordered_stacks
from tools.validate.diagnostics import block_addresses, diagnostic_line
from tools.validate.mirror import (
    DEV_OVERRIDES_WARNING,
    INDENT,
    CannotValidate,
    find_mirror,
    mirror_providers,
    mirrored,
    short_source,
    terraform_env,
    terraform_platform,
)
from tools.validate.versions import REWRITES, Document, Version, satisfies, show_version

ROOT_MODULE = "all-stacks.tf.json"

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

    def served_by_mirror(self, stack: str) -> bool:
        """Every provider of the stack is one the mirror serves in place (no init needed)."""
        doc = json.loads((self.outdir / self.manifest["stacks"][stack]["synthesizedStackPath"]).read_text())
        required = doc.get("terraform", {}).get("required_providers", {})
        return bool(self.mirror) and all(mirrored(r.get("source", n), self.mirror_content) for n, r in required.items())

    def validate_together(self, stacks: list[str]) -> dict[str, StackResult]:
        """One `terraform validate` for `stacks` (all served by the mirror): each a child
        module of one root, so terraform loads the provider's schema once (about 4 s of
        CPU) rather than once per stack. A diagnostic's file names its stack."""
        started = time.monotonic()
        results = {stack: StackResult(stack, "valid", 0.0, together=True) for stack in stacks}
        copies = {stack: self.prepare(stack, results[stack])[0] for stack in stacks}
        modules = {
            stack: {"source": f"./{stack}", **dict.fromkeys(json.loads(copy.read_text()).get("variable", {}))}
            for stack, copy in copies.items()
        }
        (self.workdir / ROOT_MODULE).write_text(json.dumps({"module": modules}, indent=INDENT))
        # What `terraform init` records for local modules (init would also try to install
        # the providers dev_overrides serves).
        installed = [{"Key": "", "Source": "", "Dir": "."}] + [
            {"Key": stack, "Source": f"./{stack}", "Dir": stack} for stack in stacks
        ]
        (self.workdir / ".terraform" / "modules").mkdir(parents=True, exist_ok=True)
        (self.workdir / ".terraform" / "modules" / "modules.json").write_text(json.dumps({"Modules": installed}))
        run = self.terraform_run(self.workdir, "validate", "-json", "-no-color")
        try:
            report = json.loads(run.stdout)
        except json.JSONDecodeError:  # terraform failed before it could judge the configuration
            report = {"diagnostics": [{"severity": "error", "summary": "terraform validate failed: " + run.stderr}]}
        addresses = {stack: block_addresses(copy.read_text()) for stack, copy in copies.items()}
        for diagnostic in report.get("diagnostics", []):
            if diagnostic["summary"] == DEV_OVERRIDES_WARNING:
                continue  # our own doing (cli_config), not the stacks'
            owner = diagnostic.get("range", {}).get("filename", "").split("/", 1)[0]
            for stack in [owner] if owner in results else stacks:  # the root's problem is every stack's
                line = diagnostic_line(stack, diagnostic, addresses[stack] if stack == owner else [])
                (results[stack].diagnostics if diagnostic["severity"] == "error" else results[stack].warnings).append(
                    line
                )
        seconds = round(time.monotonic() - started, 1)
        for result in results.values():
            result.result, result.seconds = ("invalid" if result.diagnostics else "valid"), seconds
        return results

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


def validate_stacks(
    outdir: Path,
    *,
    real_providers: bool = False,
    jobs: int = 2,
    plugin_cache: Path | None = None,
    progress: Callable[[StackResult], None] | None = None,
) -> tuple[list[StackResult], Path | None]:
    """Validates every stack of `outdir`; returns the results in dependency order and the mirror used."""
    terraform = shutil.which("terraform")
    if not terraform:
        raise CannotValidate("no terraform CLI on PATH (Terraform >= 1.10 is needed to validate)")
    platform = terraform_platform(terraform)
    mirror = None if real_providers else find_mirror(platform, os.environ)
    content = mirror_providers(mirror, platform) if mirror else {}
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = ordered_stacks(manifest)

    def providers(stack: str) -> set[str]:
        doc = json.loads((outdir / manifest["stacks"][stack]["synthesizedStackPath"]).read_text())
        return {short_source(r.get("source", n)) for n, r in doc["terraform"].get("required_providers", {}).items()}

    with tempfile.TemporaryDirectory(prefix="platform-validate-") as tmp:
        workdir = Path(tmp)
        cache = plugin_cache or workdir / "plugin-cache"
        cache.mkdir(parents=True, exist_ok=True)
        env = terraform_env(workdir, mirror, content, platform, cache)
        run = Run(outdir, manifest, workdir, terraform, mirror, content, env)

        def one(stack: str) -> StackResult:
            result = run.validate(stack)
            if progress:
                progress(result)
            return result

        together = [stack for stack in stacks if run.served_by_mirror(stack)]
        results = run.validate_together(together) if together else {}
        for result in results.values():
            if progress:
                progress(result)
        first, rest = warm_up_first([s for s in stacks if s not in results], providers)
        results |= {stack: one(stack) for stack in first}
        with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
            results |= dict(zip(rest, pool.map(one, rest), strict=True))
    return [results[stack] for stack in stacks], mirror
