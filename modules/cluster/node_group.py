"""The EKS managed node group for cluster-critical pods (Karpenter, CoreDNS, ...).

Only pods that tolerate the `CriticalAddonsOnly` taint land here (the Karpenter
chart's default tolerations include it); everything else goes to nodes Karpenter
creates. Nodes: private subnets only, IMDSv2 with hop limit 1 (pods cannot reach
the node's instance role; they use Pod Identity), encrypted gp3 root volume, no
SSH key.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.eks_node_group import (
    EksNodeGroup,
    EksNodeGroupLaunchTemplate,
    EksNodeGroupNodeRepairConfig,
    EksNodeGroupScalingConfig,
    EksNodeGroupTaint,
    EksNodeGroupUpdateConfig,
)
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
)
from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.iam import ServiceRole, service_role
from modules.cluster.vpc_cni import node_config_user_data
from modules.conventions import CRITICAL_ADDONS_TAINT, NODE_POLICIES, SYSTEM_NODE_LABEL
from planning.instances import architecture


def ami_type(instance_types: Sequence[str]) -> str:
    arm = architecture(instance_types[0]) == "arm64"
    return "AL2023_ARM_64_STANDARD" if arm else "AL2023_x86_64_STANDARD"


@dataclass(frozen=True)
class NodeGroupSettings:
    """Configuration of a managed node group for cluster-critical pods."""

    name: str
    """Node group name prefix; also part of its launch template's and node role's names."""
    kubernetes_version: str
    """The control plane's version: the group follows it (a rolling update after the
    control plane's), instead of staying on the version it was created with."""
    subnet_ids: Sequence[str]
    """Subnets of the nodes: the private subnets."""
    instance_types: Sequence[str]
    """Instance types; the first one's architecture picks the AMI type."""
    min_size: int
    """Fewest nodes."""
    desired_size: int
    """Desired number of nodes."""
    max_size: int
    """Most nodes."""
    disk_size_gib: int
    """Size of the nodes' encrypted gp3 root volume, in GiB."""
    max_pods: int | None = None
    """Kubelet maxPods, consistent with the CNI mode and Karpenter. Default: None (EKS's default)."""


def node_role(scope: Construct, id_: str, *, name: str, partition: str) -> ServiceRole:
    return service_role(
        scope, id_, name=name, service="ec2.amazonaws.com", partition=partition, managed_policies=NODE_POLICIES
    )


class SystemNodeGroup(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        settings: NodeGroupSettings,
        *,
        cluster: ClusterHandle,
        depends_on: Sequence[ITerraformDependable],
    ) -> None:
        super().__init__(scope, id_)
        s = settings
        role = node_role(self, "node-role", name=f"{cluster.name}-{s.name}-node", partition=cluster.partition)
        self.role = role.role
        template = LaunchTemplate(
            self,
            "launch-template",
            name_prefix=f"{cluster.name}-{s.name}-",
            user_data=base64.b64encode(node_config_user_data(s.max_pods).encode()).decode() if s.max_pods else None,
            update_default_version=True,
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name="/dev/xvda",
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        volume_size=s.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
        )
        self.node_group = EksNodeGroup(
            self,
            "node-group",
            cluster_name=cluster.name_ref,
            node_group_name_prefix=f"{s.name}-",
            node_role_arn=self.role.arn,
            version=s.kubernetes_version,
            subnet_ids=list(s.subnet_ids),
            instance_types=list(s.instance_types),
            ami_type=ami_type(s.instance_types),
            capacity_type="ON_DEMAND",
            scaling_config=EksNodeGroupScalingConfig(
                min_size=s.min_size, desired_size=s.desired_size, max_size=s.max_size
            ),
            update_config=EksNodeGroupUpdateConfig(max_unavailable=1),
            # EKS replaces nodes that report unhealthy (kubelet, network, storage) instead of leaving them.
            node_repair_config=EksNodeGroupNodeRepairConfig(enabled=True),
            launch_template=EksNodeGroupLaunchTemplate(
                id=template.id, version=Token.as_string(template.latest_version)
            ),
            labels={SYSTEM_NODE_LABEL[0]: SYSTEM_NODE_LABEL[1]},
            taint=[EksNodeGroupTaint(key=CRITICAL_ADDONS_TAINT, value="true", effect="NO_SCHEDULE")],
            # Node groups are replaced on some changes: create the new one first.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=[*depends_on, *role.attachments],
        )
