"""Facts about EC2 instance types that synth-time checks need (pure Python)."""

from __future__ import annotations

import re

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$")
# Graviton families carry a "g" right after the generation digit: m7g, c7gn, r8g, t4g.
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*\.")


def is_instance_type(name: str) -> bool:
    return bool(_INSTANCE_TYPE.match(name))


def architecture(instance_type: str) -> str:
    return "arm64" if _GRAVITON.match(instance_type) else "amd64"
