"""terraform's JSON diagnostics as one line each: stack, resource address, summary."""

from __future__ import annotations

import json
import re
from typing import Any

from tools.validate.mirror import INDENT


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


def diagnostic_line(stack: str, diagnostic: dict[str, Any], addresses: list[str], module: str = "") -> str:
    """`module`: the stack's module name where it was validated as a child module."""
    address = diagnostic.get("address", "")
    if module:
        address = address.removeprefix(f"module.{module}.")
    line = diagnostic.get("range", {}).get("start", {}).get("line")
    if not address and line and 0 < line <= len(addresses):
        address = addresses[line - 1]
    detail = " ".join(diagnostic.get("detail", "").split())
    return f"{stack}: {address or '-'}: {diagnostic['summary']}" + (f": {detail}" if detail else "")
