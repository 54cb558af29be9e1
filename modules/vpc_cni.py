"""VPC CNI configuration: the vpc-cni add-on's values (applied before any node
joins) and, with custom networking, one ENIConfig per AZ (in `E-platform`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf_cdktf_provider_kubernetes.manifest import Manifest
from constructs import Construct

from modules.ip_plan import CniMode

ENI_CONFIG_LABEL = "topology.kubernetes.io/zone"


def vpc_cni_configuration(mode: CniMode) -> dict[str, Any]:
    env: dict[str, str] = {"ENABLE_PREFIX_DELEGATION": str(mode.prefix_delegation).lower()}
    for name, value in (
        ("WARM_PREFIX_TARGET", mode.warm_prefix_target),
        ("WARM_IP_TARGET", mode.warm_ip_target),
        ("MINIMUM_IP_TARGET", mode.minimum_ip_target),
    ):
        if value is not None:
            env[name] = str(value)
    if mode.custom_networking:
        env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] = "true"
        # Nodes pick the ENIConfig named after their zone.
        env["ENI_CONFIG_LABEL_DEF"] = ENI_CONFIG_LABEL
    return {"env": env, "enableNetworkPolicy": "true"}


def eni_config(zone: str, subnet_id: str, security_group_ids: Sequence[str]) -> dict[str, Any]:
    return {
        "apiVersion": "crd.k8s.amazonaws.com/v1alpha1",
        "kind": "ENIConfig",
        "metadata": {"name": zone},
        "spec": {"subnet": subnet_id, "securityGroups": list(security_group_ids)},
    }


class EniConfigs(Construct):
    """One ENIConfig per AZ, named after the zone, pointing at its pod subnet."""

    def __init__(
        self, scope: Construct, id_: str, *, zones: Sequence[str], pod_subnet_ids: Sequence[str], security_group_id: str
    ) -> None:
        super().__init__(scope, id_)
        for index, (zone, subnet) in enumerate(zip(zones, pod_subnet_ids, strict=True)):
            Manifest(self, f"eniconfig-{index}", manifest=eni_config(zone, subnet, [security_group_id]))


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
