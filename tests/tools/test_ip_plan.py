"""tools/ip_plan.py: the IP plan report and its utilisation warning."""

from __future__ import annotations


def test_utilisation_warning(tmp_path: object) -> None:
    from pathlib import Path

    from envs import load_environment
    from tests.conftest import FIXTURE_ENVS
    from tools.ip_plan import report

    assert isinstance(tmp_path, Path)
    text = (FIXTURE_ENVS / "dev.yaml").read_text().replace("private: 19", "private: 21")
    (tmp_path / "dev.yaml").write_text(text + "\ncni: {reserved_ips_per_subnet: 60}\n")
    env = load_environment(tmp_path / "dev.yaml", {})
    tables, warnings = report([env])
    # 16 x (6 nodes x 8 prefixes + 6 primaries + 60 reserved) + 27 = 1851 of 2043 usable
    assert "  1851 " in tables
    assert len(warnings) == 3
    assert warnings[0] == "warning: dev: node subnet 10.10.0.0/21 (AZ 0) would be 91% used at maximum scale (above 80%)"
