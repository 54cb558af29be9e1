"""Reading the cluster stacks of the shared synth."""

from __future__ import annotations

from typing import Any

from tests.conftest import Synth

ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def one(synth: Synth, stack: str, kind: str) -> dict[str, Any]:
    (item,) = synth.resources(stack, kind).values()
    return item


def ref_of(synth: Synth, stack: str, kind: str, suffix: str, attribute: str) -> str:
    for name, res in synth.resources(stack, kind).items():
        if res["//"]["metadata"]["path"].endswith(suffix):
            return f"${{{kind}.{name}.{attribute}}}"
    raise AssertionError(f"no {kind} ending in {suffix}")
