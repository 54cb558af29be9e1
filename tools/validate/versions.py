"""Provider versions: Terraform's constraint syntax, and what the pinned 6.x AWS
provider has that an older mirror's does not (REWRITES)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Version = tuple[int, ...]
Document = dict[str, Any]


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
