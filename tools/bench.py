"""Full synth of every environment, lazy vs eager provider loading, in one run.

Each mode runs in a fresh interpreter (imports are what is measured), twice,
and the faster run counts. The two outputs must be byte-identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from modules.base.provider_loading import EAGER_SWITCH

ROOT = Path(__file__).resolve().parent.parent


def timed_synth(outdir: Path, eager: bool) -> float:
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), EAGER_SWITCH: "1" if eager else "0"}
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - start


def same_tree(a: Path, b: Path) -> bool:
    """Same file names and byte-identical contents under both folders."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        lazy_dir, eager_dir = Path(tmp) / "lazy", Path(tmp) / "eager"
        timed_synth(lazy_dir, eager=False)  # warm jsii's package cache and the OS file cache
        lazy = min(timed_synth(lazy_dir, eager=False) for _ in range(3))
        eager = min(timed_synth(eager_dir, eager=True) for _ in range(3))
        identical = same_tree(lazy_dir, eager_dir)
    print(
        f"full synth, all environments (best of 3): lazy {lazy:.2f} s, eager {eager:.2f} s, "
        f"ratio {lazy / eager:.2f}; outputs identical: {identical}"
    )
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
