"""A workload's Ingress: an ALB of the AWS Load Balancer Controller in front of the
workload's Service, internal unless the environment allows and the workload asks
for internet-facing, sending traffic straight to the pods (target type ip)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modules.conventions import ALB_INGRESS_CLASS

ALB_ANNOTATIONS = "alb.ingress.kubernetes.io"


@dataclass(frozen=True)
class IngressSettings:
    """An Ingress to the workload's Service through the AWS Load Balancer Controller (an ALB)."""

    source_cidrs: Sequence[str]
    """Where the ALB connects to the pods from (target type ip): the VPC's CIDR. The
    NetworkPolicy admits these to the workload's port."""
    host: str | None = None
    """The host name the rule matches. Default: None (any host)."""
    path: str = "/"
    """The path prefix routed to the workload. Default: "/"."""
    internet_facing: bool = False
    """An internet-facing ALB (public subnets) instead of an internal one. Default: False."""

    def manifest(self, name: str, meta: Mapping[str, Any]) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "http": {
                "paths": [
                    {
                        "path": self.path,
                        "pathType": "Prefix",
                        "backend": {"service": {"name": name, "port": {"name": "http"}}},
                    }
                ]
            }
        }
        if self.host:
            rule = {"host": self.host, **rule}
        scheme = "internet-facing" if self.internet_facing else "internal"
        annotations = {f"{ALB_ANNOTATIONS}/scheme": scheme, f"{ALB_ANNOTATIONS}/target-type": "ip"}
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {**meta, "annotations": annotations},
            "spec": {"ingressClassName": ALB_INGRESS_CLASS, "rules": [rule]},
        }
