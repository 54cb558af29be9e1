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

    port: Port = Field(description="Port the probe calls; must be the workload's port.")
    path: Annotated[str, Field(pattern=r"^/")] | None = Field(
        None, description="HTTP path to GET (e.g. /healthz); null: a TCP connect on the port."
    )
    initial_delay_seconds: Annotated[int, Field(ge=0)] = Field(
        0, description="Seconds before the first probe; prefer a startup probe for slow starts."
    )
    period_seconds: Annotated[int, Field(ge=1)] = Field(10, description="Seconds between probes.")
    failure_threshold: Annotated[int, Field(ge=1)] = Field(
        3, description="Failures in a row before the probe fails (restart, or out of the Service)."
    )


class Probes(Frozen):
    liveness: Probe = Field(description="Restarts the container when it fails: detects a hung process.")
    readiness: Probe = Field(description="Takes the pod out of the Service while it fails: no traffic to it.")
    startup: Probe = Field(
        description="Holds the other probes until it succeeds: a slow start is not killed (period x threshold)."
    )


class Replicas(Frozen):
    min: Annotated[int, Field(ge=1)] = Field(
        2, description="HPA minimum; 2 or more survives a node loss (the PDB allows one unavailable)."
    )
    max: Annotated[int, Field(ge=1)] = Field(
        4,
        description="HPA maximum; max (and max + 25% during a rollout) x requests/limits must fit the team's quota.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Replicas:
        if self.min > self.max:
            raise FieldError("min", f"{self.min} is above max ({self.max})")
        return self


class ContainerResources(Frozen):
    requests: CpuMemory = Field(
        description="What the scheduler reserves per pod; the HPA's CPU target is a share of it."
    )
    limits: CpuMemory = Field(description="Most a pod may use (CPU throttled, memory OOM-killed); >= requests.")


class WorkloadIngress(Frozen):
    """An Ingress to the workload's Service: an ALB of the AWS Load Balancer Controller (docs/ingress.md)."""

    host: (
        Annotated[str, Field(pattern=r"^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
        | None
    ) = Field(None, description="Host name the rule matches (e.g. api.example.com); null: any host.")
    path: Annotated[str, Field(pattern=r"^/")] = Field("/", description="Path prefix routed to the workload.")
    internet_facing: bool = Field(
        False,
        description="An internet-facing ALB in the public subnets; only where ingress.internet_facing_allowed is "
        "true. Default: an internal ALB in the private subnets.",
    )


class IngressPolicy(Frozen):
    """What the environment allows workloads' Ingresses."""

    internet_facing_allowed: bool = Field(
        False,
        description="Whether a workload may ask for an internet-facing load balancer (ingress.internet_facing); "
        "false: internal only.",
    )


class Workload(Frozen):
    name: DnsLabel = Field(description="Deployment, Service and HPA name (a DNS label), unique in the environment.")
    team: DnsLabel = Field(description="Team (namespace) it runs in; its quota must hold the workload.")
    image: Image = Field(
        description="Container image pinned by version tag or digest (never :latest): what runs is what was reviewed."
    )
    port: Port = Field(description="Container port, exposed by the Service and opened by the NetworkPolicy.")
    probes: Probes = Field(description="Liveness, readiness and startup probes: all three are required.")
    resources: ContainerResources = Field(description="CPU and memory requests and limits: both required.")
    replicas: Replicas = Field(Replicas(), description="HorizontalPodAutoscaler bounds.")
    target_cpu_utilisation: Annotated[int, Field(ge=10, le=100)] = Field(
        70, description="HPA target: average CPU use as a percentage of requests before it scales out."
    )
    env: dict[str, str] = Field(
        {}, description="Environment variables of the container; values are text (quote yes, no, 1.0, ...)."
    )
    allow_from: list[DnsLabel] = Field(
        [],
        description="Namespaces whose pods may connect to the port, besides its own (team namespaces deny all "
        "other ingress).",
    )
    ingress: WorkloadIngress | None = Field(
        None,
        description="An Ingress (ALB, target type ip) to the Service; the NetworkPolicy then admits the VPC's "
        "CIDR to the port. null: no Ingress.",
    )

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
