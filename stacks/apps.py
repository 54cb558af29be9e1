"""`E-apps`: the application layer, workloads built with the Workload construct
(probes and resources required). Reads `E-cluster`; deployed after `E-addons`
(the VerticalPodAutoscaler CRD, the Load Balancer Controller) and `E-platform`
(the team namespaces)."""

from __future__ import annotations

from constructs import Construct

from envs import Environment
from envs.application import Probe
from modules.base.kubernetes import kubernetes_provider
from modules.tenancy.ingress import IngressSettings
from modules.tenancy.workload import ProbeSpec, Resources, Workload, WorkloadSettings
from stacks.addons import AddonsStack
from stacks.base import EnvironmentStack
from stacks.cluster import ClusterStack
from stacks.platform import PlatformStack


def probe(p: Probe) -> ProbeSpec:
    return ProbeSpec(
        port=p.port,
        path=p.path,
        initial_delay_seconds=p.initial_delay_seconds,
        period_seconds=p.period_seconds,
        failure_threshold=p.failure_threshold,
    )


class AppsStack(EnvironmentStack):
    def __init__(
        self, scope: Construct, env: Environment, cluster: ClusterStack, addons: AddonsStack, platform: PlatformStack
    ) -> None:
        super().__init__(scope, env, "apps", aws=False)
        self.add_dependency(addons)  # the VPA CRD; the Load Balancer Controller that serves Ingresses
        self.add_dependency(platform)  # the team namespaces, quotas and limits
        kubernetes_provider(self, cluster.handle)
        self.workloads = [
            Workload(
                self,
                w.name,
                WorkloadSettings(
                    name=w.name,
                    namespace=w.team,
                    image=w.image,
                    port=w.port,
                    liveness=probe(w.probes.liveness),
                    readiness=probe(w.probes.readiness),
                    startup=probe(w.probes.startup),
                    requests=Resources(str(w.resources.requests.cpu), str(w.resources.requests.memory)),
                    limits=Resources(str(w.resources.limits.cpu), str(w.resources.limits.memory)),
                    min_replicas=w.replicas.min,
                    max_replicas=w.replicas.max,
                    target_cpu_utilisation=w.target_cpu_utilisation,
                    env=w.env,
                    allow_from_namespaces=w.allow_from,
                    ingress=None
                    if w.ingress is None
                    else IngressSettings(
                        # The ALB's addresses are in the VPC's primary CIDR (public or private subnets).
                        source_cidrs=[str(env.network.vpc_cidr)],
                        host=w.ingress.host,
                        path=w.ingress.path,
                        internet_facing=w.ingress.internet_facing,
                    ),
                    right_sizing_advice=env.observability.right_sizing_advice,
                ),
            )
            for w in env.workloads
        ]
