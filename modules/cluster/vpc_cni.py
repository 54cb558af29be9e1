"""VPC CNI configuration: the vpc-cni add-on's values, applied before any node
joins. With custom networking the add-on also creates one ENIConfig per AZ
(pod subnet and security groups), so they exist before the first node: without
the ENIConfig of its zone, ipamd attaches no ENI and aws-node never gets ready."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from planning.ip_capacity import CniMode

ENI_CONFIG_LABEL = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class PodSubnet:
    zone: str  # the ENIConfig's name: nodes pick the one named after their zone
    subnet_id: str
    security_group_ids: Sequence[str]


def vpc_cni_configuration(mode: CniMode, *, region: str, pod_subnets: Sequence[PodSubnet] = ()) -> dict[str, Any]:
    env: dict[str, str] = {"ENABLE_PREFIX_DELEGATION": str(mode.prefix_delegation).lower()}
    for name, value in (
        ("WARM_PREFIX_TARGET", mode.warm_prefix_target),
        ("WARM_IP_TARGET", mode.warm_ip_target),
        ("MINIMUM_IP_TARGET", mode.minimum_ip_target),
    ):
        if value is not None:
            env[name] = str(value)
    configuration: dict[str, Any] = {"env": env, "enableNetworkPolicy": "true"}
    if mode.custom_networking:
        if not pod_subnets:
            raise ValueError("custom networking needs a pod subnet per AZ for the ENIConfigs")
        env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] = "true"
        env["ENI_CONFIG_LABEL_DEF"] = ENI_CONFIG_LABEL
        configuration["eniConfig"] = {
            "create": True,
            "region": region,
            "subnets": {p.zone: {"id": p.subnet_id, "securityGroups": list(p.security_group_ids)} for p in pod_subnets},
        }
    return configuration


def node_config_user_data(max_pods: int) -> str:
    """AL2023 nodeadm NodeConfig (MIME part) that sets the kubelet's maxPods; EKS
    merges it with the NodeConfig it writes for a managed node group."""
    return "\n".join(
        [
            "MIME-Version: 1.0",
            'Content-Type: multipart/mixed; boundary="//"',
            "",
            "--//",
            "Content-Type: application/node.eks.aws",
            "",
            "apiVersion: node.eks.aws/v1alpha1",
            "kind: NodeConfig",
            "spec:",
            "  kubelet:",
            "    config:",
            f"      maxPods: {max_pods}",
            "",
            "--//--",
            "",
        ]
    )
