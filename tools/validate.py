"""`terraform validate` of every synthesized stack, offline when a provider mirror is present.

  python -m tools.validate [--outdir cdktf.out] [--json] [--real-providers] [--jobs N]

Each stack is copied to a temporary folder without its backend (validation must
not touch state), then `terraform init -backend=false` and `terraform validate
-json` run on the copy. Result per stack: valid, invalid (one line per error:
stack, resource address, summary) or skipped (with the reason). Exit 0 when no
stack is invalid (nor skipped, with --require-all), 1 otherwise, 2 when
nothing can be validated (no terraform CLI, or PLATFORM_TF_MIRROR is no mirror).

Providers: a filesystem mirror (`PLATFORM_TF_MIRROR`, else the first well-known
folder that holds `<host>/<namespace>/<type>/<version>/<os_arch>/`) serves the
providers it holds, in place (`dev_overrides`: no init, no hashing); the others
are downloaded as usual. A stack whose provider
is neither in the mirror nor downloadable (no registry access) is skipped,
never failed. Without a mirror, or with `--real-providers`, terraform installs
every provider the normal way (the pull-request workflow does that).

Version skew: the stacks pin the provider versions the bindings were generated
for. Against a mirror that holds only an older version, the pin is relaxed to
the mirror's version (the newest it holds) and the few constructs of the newer major version that the
stacks use are rewritten as listed in REWRITES; each applied rewrite is
reported. Anything else the older provider rejects is a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.stacks import ordered_stacks

Version = tuple[int, ...]
Document = dict[str, Any]

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


# --- what the pinned provider has and an older one does not ------------------


def _region_attribute_to_name(doc: Document) -> int:
    pattern = re.compile(r"(\bdata\.aws_region\.[\w-]+)\.region\b")
    count = 0

    def walk(node: Any) -> Any:
        nonlocal count
        if isinstance(node, str):
            new, n = pattern.subn(r"\1.name", node)
            count += n
            return new
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    doc.update(walk(doc))
    return count


def _drop_argument(kind: str, argument: str) -> Callable[[Document], int]:
    def drop(doc: Document) -> int:
        blocks = doc.get("resource", {}).get(kind, {}).values()
        return sum(block.pop(argument, None) is not None for block in blocks)

    return drop


@dataclass(frozen=True)
class Rewrite:
    """A construct of provider `provider` that exists from version `since` on, and its older equivalent."""

    name: str
    provider: str
    since: Version
    reason: str
    apply: Callable[[Document], int]  # edits the document, returns how many places it changed


# Applied only when the provider terraform validates against is older than `since`.
# Found by running this tool against the AWS provider 5.100.0 (keep it that way:
# add an entry only for what an older provider really rejects, with its reason).
REWRITES: tuple[Rewrite, ...] = (
    Rewrite(
        name="aws_region.region->name",
        provider="aws",
        since=(6, 0, 0),
        reason="provider 6.0 made `region` the attribute of data.aws_region and deprecated `name`; 5.x exports "
        "only `name` (same value: the provider's region)",
        apply=_region_attribute_to_name,
    ),
    Rewrite(
        name="aws_eks_cluster.deletion_protection",
        provider="aws",
        since=(6, 9, 0),
        reason="EKS cluster deletion protection (an AWS feature of August 2025) arrived in provider 6.9.0; older "
        "providers have no such argument, so it is dropped for validation (deploys use the pinned provider)",
        apply=_drop_argument("aws_eks_cluster", "deletion_protection"),
    ),
)


# --- versions and the mirror -------------------------------------------------


class CannotValidate(RuntimeError):
    """Nothing can be validated: no terraform CLI, or a mirror named that is none."""


def parse_version(text: str) -> Version:
    numbers = tuple(int(n) for n in re.findall(r"\d+", text.split("-", 1)[0]))
    return (*numbers, 0, 0, 0)[:3]


def satisfies(version: Version, constraint: str) -> bool:
    """Terraform's version constraint syntax: comma-separated `[op] X.Y.Z`."""
    for part in (p.strip() for p in constraint.split(",")):
        match = re.fullmatch(r"(=|!=|>=|<=|>|<|~>)?\s*(\S+)", part)
        if not match:
            continue
        op, text = match[1] or "=", match[2]
        want = parse_version(text)
        # ~> X.Y allows any X.*, ~> X.Y.Z any X.Y.*: the components but the last are fixed.
        fixed = max(len(text.split(".")), 2) - 1
        ok = {
            "=": version == want,
            "!=": version != want,
            ">": version > want,
            ">=": version >= want,
            "<": version < want,
            "<=": version <= want,
            "~>": version >= want and version[:fixed] == want[:fixed],
        }[op]
        if not ok:
            return False
    return True


def show_version(version: Version) -> str:
    return ".".join(map(str, version))


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


def block_addresses(text: str) -> list[str]:
    """For each line of a stack's JSON (as written with INDENT), the address of the block it is in."""
    key_line = re.compile(r'^( *)"((?:[^"\\]|\\.)*)":')
    path: dict[int, str] = {}
    addresses = []
    for line in text.splitlines():
        if match := key_line.match(line):
            depth = len(match[1]) // INDENT - 1
            path = {d: k for d, k in path.items() if d < depth}
            path[depth] = json.loads(f'"{match[2]}"')
        keys = [path.get(d, "") for d in range(3)]
        if keys[0] == "resource" and keys[2]:
            addresses.append(f"{keys[1]}.{keys[2]}")
        elif keys[0] == "data" and keys[2]:
            addresses.append(f"data.{keys[1]}.{keys[2]}")
        else:
            addresses.append(".".join(k for k in keys[:2] if k) or "-")
    return addresses


def diagnostic_line(stack: str, diagnostic: dict[str, Any], addresses: list[str]) -> str:
    address = diagnostic.get("address")
    line = diagnostic.get("range", {}).get("start", {}).get("line")
    if not address and line and 0 < line <= len(addresses):
        address = addresses[line - 1]
    detail = " ".join(diagnostic.get("detail", "").split())
    return f"{stack}: {address or '-'}: {diagnostic['summary']}" + (f": {detail}" if detail else "")


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

        first, rest = warm_up_first(stacks, providers)
        results = {stack: one(stack) for stack in first}
        with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
            results |= dict(zip(rest, pool.map(one, rest), strict=True))
    return [results[stack] for stack in stacks], mirror


# --- command line ------------------------------------------------------------


def report(results: list[StackResult], mirror: Path | None, total: float) -> Iterator[str]:
    yield f"providers: {f'mirror {mirror}, others direct' if mirror else 'installed directly (no mirror used)'}"
    relaxed = sorted({f"{p} {v}" for r in results for p, v in r.providers.items()})
    if relaxed:
        yield f"pinned versions relaxed to the mirror's: {', '.join(relaxed)}"
    for rewrite in REWRITES:
        used = [r for r in results if rewrite.name in r.rewrites]
        if used:
            places = sum(r.rewrites[rewrite.name] for r in used)
            yield f"rewrite {rewrite.name}: {places} place(s) in {len(used)} stack(s): {rewrite.reason}"
    for result in results:
        yield from result.diagnostics
        if result.reason:
            yield f"{result.stack}: skipped: {result.reason}"
    width = max(len(r.stack) for r in results)
    yield ""
    yield f"{'stack'.ljust(width)}  result   seconds"
    for r in results:
        warnings = f"  ({len(r.warnings)} warning(s))" if r.warnings else ""
        yield f"{r.stack.ljust(width)}  {r.result.ljust(7)}  {r.seconds:7.1f}{warnings}"
    counts = {outcome: sum(r.result == outcome for r in results) for outcome in ("valid", "invalid", "skipped")}
    yield f"{counts['valid']} valid, {counts['invalid']} invalid, {counts['skipped']} skipped in {total:.0f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", default="cdktf.out", type=Path)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--real-providers", action="store_true", help="ignore any mirror: install providers directly")
    parser.add_argument(
        "--require-all", action="store_true", help="a skipped stack fails the run (CI: every provider must install)"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="stacks validated in parallel")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def progress(result: StackResult) -> None:
        print(f"  {result.stack}: {result.result} ({result.seconds:.1f} s)", file=sys.stderr, flush=True)

    try:
        results, mirror = validate_stacks(
            args.outdir, real_providers=args.real_providers, jobs=args.jobs, progress=None if args.json else progress
        )
    except CannotValidate as err:
        print(err, file=sys.stderr)
        return 2
    total = time.monotonic() - started
    if args.json:
        rewrites = {r.name: r.reason for r in REWRITES}
        document = {"mirror": str(mirror) if mirror else None, "rewrites": rewrites, "seconds": round(total, 1)}
        print(json.dumps(document | {"results": [asdict(r) for r in results]}, indent=2))
    else:
        print("\n".join(report(results, mirror, total)))
    failing = ("invalid", "skipped") if args.require_all else ("invalid",)
    return 1 if any(r.result in failing for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
