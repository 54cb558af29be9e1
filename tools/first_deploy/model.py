"""The deploy order and the JSON the checks read: stacks in the order `cdktf
deploy` applies them, resources and their references, and the findings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.stacks import rows_of, split_stack_name
from tools.summary import stack_documents

Doc = dict[str, Any]

_REF = re.compile(r"\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Finding:
    stack: str
    resource: str
    kind: str
    missing: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.resource}: [{self.kind}] {self.missing}"


def refs(value: Any) -> set[str]:
    """The resources (`type.name`) a value refers to through `${...}`."""
    return {f"{t}.{n}" for t, n in _REF.findall(json.dumps(value)) if t not in ("data", "var", "local")}


def resources(doc: Doc) -> Iterator[tuple[str, Doc]]:
    for kind, items in doc.get("resource", {}).items():
        for name, body in items.items():
            yield f"{kind}.{name}", body


def of_kind(doc: Doc, kind: str) -> dict[str, Doc]:
    found: dict[str, Doc] = doc.get("resource", {}).get(kind, {})
    return {f"{kind}.{name}": body for name, body in found.items()}


def depends_on(body: Doc) -> set[str]:
    return set(body.get("depends_on") or [])


class Model:
    def __init__(self, outdir: Path) -> None:
        self.manifest = json.loads((outdir / "manifest.json").read_text())
        self.docs: dict[str, Doc] = stack_documents(outdir)
        self.rows = {r.stack: r for r in rows_of(self.manifest, self.docs)}
        self.findings: list[Finding] = []

    def before(self, stack: str) -> list[str]:
        """Stacks certainly deployed before `stack`: its transitive dependencies and its bootstrap."""
        seen: list[str] = []
        todo = list(self.manifest["stacks"][stack].get("dependencies", []))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.append(name)
                todo += self.manifest["stacks"][name].get("dependencies", [])
        bootstrap = f"{split_stack_name(stack)[0]}-bootstrap"
        if bootstrap in self.docs and bootstrap != stack and bootstrap not in seen:
            seen.append(bootstrap)
        return seen

    def add(self, stack: str, resource: str, kind: str, missing: str) -> None:
        self.findings.append(Finding(stack, resource, kind, missing))


def transitive(doc: Doc, start: set[str]) -> set[str]:
    """`start` and everything it depends on within the stack."""
    bodies = dict(resources(doc))
    seen: set[str] = set()
    todo = list(start)
    while todo:
        address = todo.pop()
        if address in seen:
            continue
        seen.add(address)
        todo += list(depends_on(bodies.get(address, {})))
    return seen
