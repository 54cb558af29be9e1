"""A workload that cannot be built without liveness, readiness and startup
probes, nor without resource requests and limits: Deployment, Service,
NetworkPolicy (its port open to its namespace and the namespaces it names),
PodDisruptionBudget and HorizontalPodAutoscaler, optionally an Ingress
served by the AWS Load Balancer Controller (internal unless asked otherwise)
and a VerticalPodAutoscaler that only advises (right-sizing advice).

- liveness restarts a container that stopped working;
- readiness holds traffic while it is temporarily unable to serve;
- startup holds the other two off while a slow starter boots.

Every workload runs as a non-root user with a read-only root filesystem (a
writable /tmp is mounted), no capabilities, the runtime's seccomp profile and
no service account token; it spreads over zones and rolls without losing
capacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from modules.base.manifests import add_manifests, container_security_context, pod_security_context, zone_spread
from modules.conventions import NAMESPACE_NAME_LABEL
from modules.tenancy.ingress import IngressSettings


@dataclass(frozen=True)
class ProbeSpec:
    """One probe of a workload's container."""

    port: int
    """The container port the probe connects to."""
    path: str | None = None
    """HTTP GET of this path when set, else a TCP connect. Default: None (TCP connect)."""
    initial_delay_seconds: int = 0
    """Seconds after the container starts before the first probe. Default: 0."""
    period_seconds: int = 10
    """Seconds between probes. Default: 10."""
    failure_threshold: int = 3
    """Consecutive failures after which the probe fails. Default: 3."""

    def manifest(self) -> dict[str, Any]:
        action: dict[str, Any] = (
            {"httpGet": {"path": self.path, "port": self.port}} if self.path else {"tcpSocket": {"port": self.port}}
        )
        return {
            **action,
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "failureThreshold": self.failure_threshold,
        }


@dataclass(frozen=True)
class Resources:
    """CPU and memory of a container's requests or limits."""

    cpu: str
    """CPU, as a Kubernetes quantity ("250m")."""
    memory: str
    """Memory, as a Kubernetes quantity ("256Mi")."""

    def manifest(self) -> dict[str, str]:
        return {"cpu": self.cpu, "memory": self.memory}


@dataclass(frozen=True, kw_only=True)
class WorkloadSettings:
    """One workload. Probes, requests and limits are required: a workload without them cannot be described."""

    name: str
    """The workload's name; its objects and its container are named after it."""
    namespace: str
    """The (team) namespace it runs in."""
    image: str
    """The container image."""
    port: int
    """The container port it serves on (the Service's port 80 targets it)."""
    liveness: ProbeSpec
    """Restarts the container when it stopped working."""
    readiness: ProbeSpec
    """Holds traffic off while the container cannot serve."""
    startup: ProbeSpec
    """Holds the other two probes off while the container boots."""
    requests: Resources
    """CPU and memory requests of the container."""
    limits: Resources
    """CPU and memory limits of the container."""
    min_replicas: int = 2
    """Fewest replicas the HorizontalPodAutoscaler keeps. Default: 2."""
    max_replicas: int = 4
    """Most replicas the HorizontalPodAutoscaler scales to. Default: 4."""
    target_cpu_utilisation: int = 70
    """Average CPU utilisation (% of requests) the HorizontalPodAutoscaler aims at. Default: 70."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Environment variables of the container. Default: none."""
    allow_from_namespaces: Sequence[str] = ()
    """Namespaces besides its own whose pods may reach its port (e.g. where an ingress controller
    runs): team namespaces deny all ingress by default. Default: none."""
    ingress: IngressSettings | None = None
    """An Ingress (ALB) to its Service; its NetworkPolicy then admits the ALB. Default: None."""
    right_sizing_advice: bool = False
    """A VerticalPodAutoscaler in recommendation mode (updateMode Off) for its Deployment; needs the VPA
    CRDs and recommender (modules/observability/right_sizing.py). Default: False."""


def workload_manifests(w: WorkloadSettings) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": w.name}
    meta = {"name": w.name, "namespace": w.namespace, "labels": labels}
    container = {
        "name": w.name,
        "image": w.image,
        "imagePullPolicy": "Always",
        "ports": [{"name": "http", "containerPort": w.port, "protocol": "TCP"}],
        "env": [{"name": k, "value": v} for k, v in sorted(w.env.items())],
        "resources": {"requests": w.requests.manifest(), "limits": w.limits.manifest()},
        "livenessProbe": w.liveness.manifest(),
        "readinessProbe": w.readiness.manifest(),
        "startupProbe": w.startup.manifest(),
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - an emptyDir, not the host's /tmp
    }
    if not container["env"]:
        del container["env"]
    ingress = [w.ingress.manifest(w.name, meta)] if w.ingress else []
    advice = [recommendation_manifest(w, meta)] if w.right_sizing_advice else []
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            # No `replicas`: the HorizontalPodAutoscaler owns it (Terraform would undo its scaling).
            "spec": {
                "selector": {"matchLabels": labels},
                # Roll without losing capacity: a new pod is ready before an old one goes.
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": pod_security_context(),
                        "topologySpreadConstraints": zone_spread(labels),
                        "containers": [container],
                        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {**meta, "name": f"{w.name}-ingress"},
            "spec": {
                "podSelector": {"matchLabels": labels},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {"podSelector": {}},  # the workload's own namespace
                            *(
                                {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}
                                for namespace in w.allow_from_namespaces
                            ),
                            # Target type ip: the ALB connects to the pods from its addresses in the VPC.
                            *({"ipBlock": {"cidr": cidr}} for cidr in (w.ingress.source_cidrs if w.ingress else ())),
                        ],
                        "ports": [{"protocol": "TCP", "port": w.port}],
                    }
                ],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta,
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": w.name},
                "minReplicas": w.min_replicas,
                "maxReplicas": w.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": w.target_cpu_utilisation},
                        },
                    }
                ],
            },
        },
        *ingress,
        *advice,
    ]


def recommendation_manifest(w: WorkloadSettings, meta: dict[str, Any]) -> dict[str, Any]:
    """Advice only: with updateMode Off nothing evicts or resizes the pods, so it cannot
    fight the HorizontalPodAutoscaler, which scales the same Deployment on CPU."""
    return {
        "apiVersion": "autoscaling.k8s.io/v1",
        "kind": "VerticalPodAutoscaler",
        "metadata": meta,
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": w.name},
            "updatePolicy": {"updateMode": "Off"},
            "resourcePolicy": {
                "containerPolicies": [{"containerName": w.name, "controlledResources": ["cpu", "memory"]}]
            },
        },
    }


class Workload(Construct):
    def __init__(self, scope: Construct, id_: str, settings: WorkloadSettings) -> None:
        super().__init__(scope, id_)
        self.manifests = add_manifests(self, workload_manifests(settings))
