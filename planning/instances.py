"""Facts about EC2 instance types that synth-time checks and the IP plan need (pure Python)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$")
# Graviton families carry a "g" right after the generation digit: m7g, c7gn, r8g, t4g.
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*\.")


def is_instance_type(name: str) -> bool:
    return bool(_INSTANCE_TYPE.match(name))


def architecture(instance_type: str) -> str:
    return "arm64" if _GRAVITON.match(instance_type) else "amd64"


@dataclass(frozen=True)
class InstanceFacts:
    vcpus: int
    enis: int
    ipv4_per_eni: int


# Instance types the shipped configs name (EC2 DescribeInstanceTypes figures).
INSTANCE_FACTS: dict[str, InstanceFacts] = {
    "t3.large": InstanceFacts(2, 3, 12),
    "t3.xlarge": InstanceFacts(4, 4, 15),
    "t3.2xlarge": InstanceFacts(8, 4, 15),
    "t4g.large": InstanceFacts(2, 3, 12),
    "m7i.large": InstanceFacts(2, 3, 10),
    "m7i.xlarge": InstanceFacts(4, 4, 15),
    "m7i.2xlarge": InstanceFacts(8, 4, 15),
    "m7i.4xlarge": InstanceFacts(16, 8, 30),
    "m7g.large": InstanceFacts(2, 3, 10),
    "m7g.xlarge": InstanceFacts(4, 4, 15),
    "c7i.large": InstanceFacts(2, 3, 10),
    "c7i.xlarge": InstanceFacts(4, 4, 15),
    "r7i.large": InstanceFacts(2, 3, 10),
    "r7i.xlarge": InstanceFacts(4, 4, 15),
}

# The network limits of the c, m and r families (generation 5 and later) by size,
# which is what a NodePool's smallest allowed instance has.
FACTS_BY_VCPU: dict[int, InstanceFacts] = {
    2: InstanceFacts(2, 3, 10),
    4: InstanceFacts(4, 4, 15),
    8: InstanceFacts(8, 4, 15),
    16: InstanceFacts(16, 8, 30),
    32: InstanceFacts(32, 8, 30),
    48: InstanceFacts(48, 15, 50),
}


def facts_for_vcpus(vcpus: int) -> InstanceFacts:
    sizes = [v for v in sorted(FACTS_BY_VCPU) if v >= vcpus]
    if not sizes:
        raise ValueError(f"no instance facts for {vcpus} vCPUs")
    return FACTS_BY_VCPU[sizes[0]]
