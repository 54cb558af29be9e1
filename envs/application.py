"""Schema of the application layer: workloads, which cannot be described
without probes and resources."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from envs.fields import (
    CpuMemory,
    DnsLabel,
    FieldError,
    Frozen,
    Image,
    Port,
)


class Probe(Frozen):
    """An HTTP GET probe (`path`) or, without a path, a TCP probe on `port`."""

    port: Port
    path: Annotated[str, Field(pattern=r"^/")] | None = None
    initial_delay_seconds: Annotated[int, Field(ge=0)] = 0
    period_seconds: Annotated[int, Field(ge=1)] = 10
    failure_threshold: Annotated[int, Field(ge=1)] = 3


class Probes(Frozen):
    liveness: Probe
    readiness: Probe
    startup: Probe


class Replicas(Frozen):
    min: Annotated[int, Field(ge=1)] = 2
    max: Annotated[int, Field(ge=1)] = 4

    @model_validator(mode="after")
    def _ordered(self) -> Replicas:
        if self.min > self.max:
            raise FieldError("min", f"{self.min} is above max ({self.max})")
        return self


class ContainerResources(Frozen):
    requests: CpuMemory
    limits: CpuMemory


class Workload(Frozen):
    name: DnsLabel
    team: DnsLabel
    image: Image
    port: Port
    probes: Probes
    resources: ContainerResources
    replicas: Replicas = Replicas()
    target_cpu_utilisation: Annotated[int, Field(ge=10, le=100)] = 70
    env: dict[str, str] = {}
    # Namespaces whose pods may connect to the workload's port, besides its own
    # (team namespaces deny all other ingress).
    allow_from: list[DnsLabel] = []

    @model_validator(mode="after")
    def _probe_ports_exposed(self) -> Workload:
        for kind in ("liveness", "readiness", "startup"):
            probe: Probe = getattr(self.probes, kind)
            if probe.port != self.port:
                raise FieldError(
                    f"probes.{kind}.port",
                    f"{probe.port} is not a port the container exposes (port: {self.port})",
                )
        return self
