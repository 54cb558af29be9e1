"""`E-apps` on the shared synth: the sample workload in dev (with its right-sizing advice), nothing in prod."""

from __future__ import annotations

from typing import Any

from tests.conftest import ENV_NAMES, Synth


def manifests(synth: Synth, stack: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = [m["manifest"] for m in synth.resources(stack, "kubernetes_manifest").values()]
    return [m for m in found if kind is None or m["kind"] == kind]


def test_sample_workload_in_dev(synth: Synth) -> None:
    objects = {m["kind"]: m for m in manifests(synth, "dev-apps")}
    assert set(objects) == {
        "Deployment",
        "Service",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Ingress",
        "VerticalPodAutoscaler",
    }
    # Advice only: nothing evicts or resizes the pods the HPA scales.
    advice = objects["VerticalPodAutoscaler"]
    assert advice["metadata"]["namespace"] == "web"
    assert advice["spec"]["targetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"}
    assert advice["spec"]["updatePolicy"] == {"updateMode": "Off"}
    # The team namespace denies all ingress; the workload's own policy opens its port.
    policy = objects["NetworkPolicy"]
    assert policy["metadata"]["namespace"] == "web"
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "podinfo"}}
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9898}]
    assert rule["from"][0] == {"podSelector": {}}
    # The internal ALB (target type ip) connects to the pods from the VPC.
    (vpc,) = synth.resources("dev-network", "aws_vpc").values()
    assert rule["from"][-1] == {"ipBlock": {"cidr": vpc["cidr_block"]}}
    ingress = objects["Ingress"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/scheme": "internal",
        "alb.ingress.kubernetes.io/target-type": "ip",
    }
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"] == {"service": {"name": "podinfo", "port": {"name": "http"}}}
    deployment = objects["Deployment"]
    assert deployment["metadata"]["namespace"] == "web" and "replicas" not in deployment["spec"]
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": 0}
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 9898}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 9898}
    assert container["startupProbe"]["failureThreshold"] == 30
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"cpu": "500m", "memory": "128Mi"},
    }
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["seccompProfile"] == {
        "type": "RuntimeDefault"
    }
    assert objects["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == 2
    assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
    assert manifests(synth, "prod-apps") == []
    for env in ENV_NAMES:
        deps = set(synth.manifest["stacks"][f"{env}-apps"]["dependencies"])
        assert {f"{env}-addons", f"{env}-platform"} <= deps
