"""`E-addons`: Helm releases of the cluster's controllers (Karpenter, AWS Load Balancer
Controller, CNI Metrics Helper, the VPA recommender) and their CRDs
(platform layer). Reads `E-cluster` through cross-stack references."""

from __future__ import annotations

from constructs import Construct

from envs import Environment
from modules.base.kubernetes import helm_provider
from modules.ingress.controller import LoadBalancerControllerSettings, load_balancer_controller
from modules.karpenter.controller import ControllerSettings, KarpenterController
from modules.observability.cni_metrics import cni_metrics_helper_release
from modules.observability.right_sizing import vpa_recommender_release
from stacks.base import EnvironmentStack
from stacks.cluster import ClusterStack


class AddonsStack(EnvironmentStack):
    def __init__(self, scope: Construct, env: Environment, cluster: ClusterStack) -> None:
        super().__init__(scope, env, "addons", aws=False)
        helm_provider(self, cluster.handle)
        # First: its webhook mutates every Service created from then on and refuses them
        # (failurePolicy Fail) until its pods serve it, so every release that may create
        # a Service waits for this one (helm waits for the pods).
        self.load_balancer_controller = load_balancer_controller(
            self,
            LoadBalancerControllerSettings(cluster_name=env.cluster_name, region=env.aws.region, vpc_id=cluster.vpc_id),
        )
        after = [self.load_balancer_controller]
        self.karpenter = KarpenterController(
            self,
            "karpenter",
            ControllerSettings(cluster_name=env.cluster_name, interruption_queue=cluster.karpenter.queue_name),
            after=after,
        )
        self.cni_metrics_helper = cni_metrics_helper_release(self, env.cluster_name, env.aws.region, after=after)
        self.vpa = vpa_recommender_release(self, after=after) if env.observability.right_sizing_advice else None
