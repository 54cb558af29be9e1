"""The AWS Load Balancer Controller's Helm release (in `E-addons`): two replicas on
the system nodes (node selector, `CriticalAddonsOnly` toleration), the service
account the cluster stack's Pod Identity association names, the cluster, region
and VPC given (no instance metadata lookups: IMDS hop limit 1 keeps pods from it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from modules.base.charts import helm_release
from modules.conventions import ALB_INGRESS_CLASS, CRITICAL_ADDONS_TAINT, SYSTEM_NODE_LABEL
from modules.ingress.aws import NAMESPACE, SERVICE_ACCOUNT
from planning.pins import AWS_LOAD_BALANCER_CONTROLLER


@dataclass(frozen=True)
class LoadBalancerControllerSettings:
    """Configuration of the AWS Load Balancer Controller's Helm release."""

    cluster_name: str
    """The cluster the controller serves (it tags what it creates with it)."""
    region: str
    """The cluster's region."""
    vpc_id: str
    """The cluster's VPC (a reference to the network stack's VPC)."""
    replicas: int = 2
    """Controller replicas. Default: 2."""


def load_balancer_controller_values(s: LoadBalancerControllerSettings) -> dict[str, Any]:
    return {
        "clusterName": s.cluster_name,
        "region": s.region,
        "vpcId": s.vpc_id,
        "replicaCount": s.replicas,
        # One replica at most down in a drain: the Service webhook (failurePolicy Fail) keeps answering.
        "podDisruptionBudget": {"maxUnavailable": 1},
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "ingressClass": ALB_INGRESS_CLASS,
        "createIngressClassResource": True,
        "nodeSelector": {"kubernetes.io/os": "linux", SYSTEM_NODE_LABEL[0]: SYSTEM_NODE_LABEL[1]},
        "tolerations": [{"key": CRITICAL_ADDONS_TAINT, "operator": "Exists"}],
    }


def load_balancer_controller(scope: Construct, settings: LoadBalancerControllerSettings) -> Release:
    return helm_release(
        scope,
        "aws-load-balancer-controller",
        AWS_LOAD_BALANCER_CONTROLLER,
        NAMESPACE,
        load_balancer_controller_values(settings),
    )
