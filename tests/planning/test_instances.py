"""planning/instances.py: instance facts the planner and the AMI choice read."""

from __future__ import annotations

from planning.instances import architecture


def test_architecture_of_instance_types() -> None:
    assert architecture("m7g.large") == "arm64" and architecture("c7gn.xlarge") == "arm64"
    assert architecture("m7i.large") == "amd64" and architecture("t3.large") == "amd64"
