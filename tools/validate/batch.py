"""Which stacks are validated together and which one by one, and the run over
all of them (`validate_stacks`).

Together: the stacks whose every provider the mirror serves in place. Each is a
child module of one generated root, so terraform loads the AWS provider's schema
(about 4 s of CPU) once instead of once per stack; a diagnostic's file names its
stack. An error can stop terraform before it checks the other modules, so after
any error the stacks without one are run together again, until a run finds no
error. A stack that uses what only a root module may hold (import or removed
blocks, variables, ephemeral outputs) is validated alone, as a root module, and
so is every stack after an error that names no stack.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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
from tools.validate.run import Run, StackResult, warm_up_first

ROOT_MODULE = "all-stacks.tf.json"


def module_name(stack: str) -> str:
    """A module name terraform accepts (a letter first) for any stack name."""
    return "stack_" + re.sub(r"[^A-Za-z0-9_-]", "_", stack)


def root_only(doc: dict[str, Any]) -> bool:
    """The stack holds what a child module may not, or what only a root module checks."""
    ephemeral = any(o.get("ephemeral") for o in doc.get("output", {}).values())
    return bool(doc.get("import") or doc.get("removed") or doc.get("variable") or ephemeral)


def served_by_mirror(run: Run, doc: dict[str, Any]) -> bool:
    required = doc.get("terraform", {}).get("required_providers", {})
    return bool(run.mirror) and all(mirrored(r.get("source", n), run.mirror_content) for n, r in required.items())


def _run_together(run: Run, stacks: list[str], copies: dict[str, Path], results: dict[str, StackResult]) -> bool:
    """One `terraform validate` of `stacks`; their diagnostics into their results.
    False when an error names no stack (the run says nothing of each)."""
    modules = {module_name(stack): {"source": f"./{stack}"} for stack in stacks}
    (run.workdir / ROOT_MODULE).write_text(json.dumps({"module": modules}, indent=INDENT))
    # What `terraform init` records for local modules (init would also want to install
    # the providers dev_overrides serves).
    installed = [{"Key": "", "Source": "", "Dir": "."}] + [
        {"Key": module_name(stack), "Source": f"./{stack}", "Dir": stack} for stack in stacks
    ]
    (run.workdir / ".terraform" / "modules").mkdir(parents=True, exist_ok=True)
    (run.workdir / ".terraform" / "modules" / "modules.json").write_text(json.dumps({"Modules": installed}))
    completed = run.terraform_run(run.workdir, "validate", "-json", "-no-color")
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:  # terraform failed before it could judge the configuration
        return False
    for stack in stacks:
        results[stack].diagnostics.clear()
        results[stack].warnings.clear()
    for diagnostic in report.get("diagnostics", []):
        if diagnostic["summary"] == DEV_OVERRIDES_WARNING:
            continue  # our own doing (cli_config), not the stacks'
        stack = diagnostic.get("range", {}).get("filename", "").split("/", 1)[0]
        if stack not in results:
            if diagnostic["severity"] == "error":
                return False
            continue
        line = diagnostic_line(stack, diagnostic, block_addresses(copies[stack].read_text()), module_name(stack))
        (results[stack].diagnostics if diagnostic["severity"] == "error" else results[stack].warnings).append(line)
    return True


def validate_together(run: Run, stacks: list[str]) -> dict[str, StackResult]:
    """Results of the stacks validated together; the others are left to validate alone."""
    started = time.monotonic()
    results = {stack: StackResult(stack, "valid", 0.0, together=True) for stack in stacks}
    copies = {stack: run.prepare(stack, results[stack])[0] for stack in stacks}
    unchecked = list(stacks)
    while unchecked:
        if not _run_together(run, unchecked, copies, results):
            break  # an error that names no stack: the unchecked ones go alone
        clean = [stack for stack in unchecked if not results[stack].diagnostics]
        # A run without errors checked them all; after one, the clean ones again, without it.
        unchecked = [] if clean == unchecked else clean
    seconds = round(time.monotonic() - started, 1)
    for result in results.values():
        result.result, result.seconds = ("invalid" if result.diagnostics else "valid"), seconds
    return {s: r for s, r in results.items() if s not in unchecked}


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
    docs = {
        stack: json.loads((outdir / manifest["stacks"][stack]["synthesizedStackPath"]).read_text()) for stack in stacks
    }

    def providers(stack: str) -> set[str]:
        required = docs[stack]["terraform"].get("required_providers", {})
        return {short_source(r.get("source", n)) for n, r in required.items()}

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

        together = [s for s in stacks if served_by_mirror(run, docs[s]) and not root_only(docs[s])]
        results = validate_together(run, together) if together else {}
        for result in results.values():
            if progress:
                progress(result)
        first, rest = warm_up_first([s for s in stacks if s not in results], providers)
        results |= {stack: one(stack) for stack in first}
        with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
            results |= dict(zip(rest, pool.map(one, rest), strict=True))
    return [results[stack] for stack in stacks], mirror
