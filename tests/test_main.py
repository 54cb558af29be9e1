"""main.py, the app as `make synth` and the cdktf CLI run it: the same JSON from the CLI,
with lazy or eager provider loading, and on every run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modules.base.provider_loading import EAGER_SWITCH
from tests.conftest import FIXTURES, ROOT, Synth
from tests.node_tools import NODE_BIN, node_env, require_node_tool
from tools.bench import same_tree


def test_cdktf_cli_synth_matches_make_synth(synth: Synth, tmp_path: Path) -> None:
    require_node_tool("cdktf")
    if shutil.which("pipenv", path=node_env()["PATH"]) is None:
        pytest.skip("pipenv not installed (make test installs it under .tools/)")
    out = tmp_path / "cli.out"
    env = {k: v for k, v in node_env().items() if not k.startswith("PLATFORM_")}
    # The fixture environments (as the shared synth), one of them: the CLI's own cost
    # is what this tests, not a second full synth.
    env |= {**FIXTURES, "PLATFORM_ENVS": "dev"}
    result = subprocess.run(
        [str(NODE_BIN / "cdktf"), "synth", "--output", str(out)],
        cwd=ROOT,
        env={**env, "CI": "1", "CHECKPOINT_DISABLE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert sorted(p.name for p in (out / "stacks").iterdir()) == sorted(n for n in synth.stacks if n.startswith("dev-"))
    for stack in (out / "stacks").iterdir():
        assert same_tree(synth.outdir / "stacks" / stack.name, stack)


def synth_in_subprocess(outdir: Path, eager: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATFORM_")}
    env.update({**FIXTURES, "CDKTF_OUTDIR": str(outdir), EAGER_SWITCH: "1" if eager else "0"})
    subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, check=True, timeout=300)


@pytest.mark.slow
def test_lazy_and_eager_loading_give_identical_json(synth: Synth, tmp_path: Path) -> None:
    # The shared synth ran lazily in this process; a fresh lazy run must match it
    # byte for byte (determinism), and so must an eager one.
    synth_in_subprocess(tmp_path / "lazy", eager=False)
    synth_in_subprocess(tmp_path / "eager", eager=True)
    assert same_tree(synth.outdir, tmp_path / "lazy")
    assert same_tree(tmp_path / "lazy", tmp_path / "eager")
