"""Lazy provider loading changes nothing in the output, and synthesis is deterministic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from modules.base.provider_loading import EAGER_SWITCH
from tests.conftest import ROOT, Synth
from tools.bench import same_tree


def synth_in_subprocess(outdir: Path, eager: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATFORM_")}
    env.update({"CDKTF_OUTDIR": str(outdir), EAGER_SWITCH: "1" if eager else "0"})
    subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, check=True, timeout=300)


def test_lazy_and_eager_loading_give_identical_json(synth: Synth, tmp_path: Path) -> None:
    # The shared synth ran lazily in this process; a fresh lazy run must match it
    # byte for byte (determinism), and so must an eager one.
    synth_in_subprocess(tmp_path / "lazy", eager=False)
    synth_in_subprocess(tmp_path / "eager", eager=True)
    assert same_tree(synth.outdir, tmp_path / "lazy")
    assert same_tree(tmp_path / "lazy", tmp_path / "eager")
