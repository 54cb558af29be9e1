"""Overprovisioning: low-priority placeholder pods that hold room on the nodes.

A new node takes minutes to join. These `pause` pods, with a negative priority,
are the first to be preempted when a real pod does not fit: the real pod starts
at once in the room they held, and the evicted placeholders go Pending, which
makes Karpenter add the next node ahead of need.

With Karpenter consolidation: the placeholders count as ordinary pods, so a
node holding only placeholders is not "empty" and is not consolidated away
(that is the point: it is the spare capacity). Size them to the capacity you
want ready: replicas x requests. They are the one workload exempt from the
probe rules (a pause container answers no probe): see policies.py.
"""

from __future__ import annotations

from typing import Any

from modules.base.manifests import container_security_context, pod_security_context, zone_spread
from planning.pins import PAUSE_IMAGE, PAUSE_VERSION

NAMESPACE = "overprovisioning"
PRIORITY_CLASS = "overprovisioning"
PRIORITY = -10  # below every real pod (default 0), never the global default
PAUSE_UID = 65535  # the pause image's own non-root user


def overprovisioning_manifests(replicas: int, cpu: str, memory: str) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": "overprovisioning"}
    resources = {"cpu": cpu, "memory": memory}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": labels}},
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": PRIORITY_CLASS},
            "value": PRIORITY,
            "globalDefault": False,
            "preemptionPolicy": "Never",
            "description": "Placeholder pods that real pods preempt (overprovisioning).",
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "placeholder", "namespace": NAMESPACE, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "priorityClassName": PRIORITY_CLASS,
                        "terminationGracePeriodSeconds": 0,
                        "automountServiceAccountToken": False,
                        "securityContext": pod_security_context(PAUSE_UID),
                        "topologySpreadConstraints": zone_spread(labels, "DoNotSchedule"),
                        "containers": [
                            {
                                "name": "pause",
                                "image": f"{PAUSE_IMAGE}:{PAUSE_VERSION}",
                                "imagePullPolicy": "Always",
                                "resources": {"requests": resources, "limits": resources},
                                "securityContext": container_security_context(),
                            }
                        ],
                    },
                },
            },
        },
    ]


def is_placeholder(manifest: dict[str, Any]) -> bool:
    """The one exemption from the probe rules, and only for exactly this: pause
    containers, in the overprovisioning namespace, at the placeholder priority."""
    if manifest.get("kind") != "Deployment" or manifest.get("metadata", {}).get("namespace") != NAMESPACE:
        return False
    pod = manifest.get("spec", {}).get("template", {}).get("spec", {})
    containers = pod.get("containers", [])
    return (
        pod.get("priorityClassName") == PRIORITY_CLASS
        and bool(containers)
        and not pod.get("initContainers")
        and all(str(c.get("image", "")).split(":")[0] == PAUSE_IMAGE for c in containers)
    )
