"""Container Insights with enhanced observability: the `amazon-cloudwatch-observability`
EKS add-on (the CloudWatch agent and Fluent Bit), bound through EKS Pod Identity to a
role with the AWS managed policies it needs. Its log groups are created here first,
with retention and the cluster's logs key, and the add-on depends on them: otherwise
the agent creates them itself, unencrypted and never expiring. docs/observability.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_addon import EksAddon, EksAddonPodIdentityAssociation
from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.iam import pod_identity_role
from modules.base.log_groups import encrypted_log_group
from modules.cluster.addons import addon_version

ADDON = "amazon-cloudwatch-observability"
SERVICE_ACCOUNT = "cloudwatch-agent"  # in the add-on's namespace, amazon-cloudwatch: the agent and Fluent Bit
MANAGED_POLICIES = ("CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess")
# Application: containers' stdout/stderr; dataplane: kubelet, container runtime; host: the
# nodes' system logs; performance: the agent's metrics as embedded-metric-format events.
LOG_GROUPS = ("application", "dataplane", "host", "performance")


def log_group_name(cluster_name: str, kind: str) -> str:
    return f"/aws/containerinsights/{cluster_name}/{kind}"


@dataclass(frozen=True)
class ContainerInsightsSettings:
    """Configuration of ContainerInsights."""

    kubernetes_version: str
    """The cluster's Kubernetes version, to pick the add-on version for."""
    pinned_versions: Mapping[str, str]
    """Add-on versions pinned in config, by add-on name; unpinned: EKS's default for `kubernetes_version`."""
    log_retention_days: int
    """Days the Container Insights log groups keep their events (the cluster's log retention)."""
    kms_key_arn: str
    """The key the log groups are encrypted with (one whose policy lets CloudWatch Logs use it)."""
    protect: bool = False
    """`prevent_destroy` on the log groups. Default: False."""


class ContainerInsights(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        settings: ContainerInsightsSettings,
        *,
        cluster: ClusterHandle,
        depends_on: Sequence[ITerraformDependable],
    ) -> None:
        super().__init__(scope, id_)
        s = settings
        self.log_groups: list[CloudwatchLogGroup] = [
            encrypted_log_group(
                self,
                f"{kind}-logs",
                name=log_group_name(cluster.name, kind),
                retention_days=s.log_retention_days,
                kms_key_arn=s.kms_key_arn,
                protect=s.protect,
            )
            for kind in LOG_GROUPS
        ]
        self.role = pod_identity_role(
            self,
            "role",
            name=f"{cluster.name}-container-insights",
            partition=cluster.partition,
            managed_policies=list(MANAGED_POLICIES),
        )
        self.addon = EksAddon(
            self,
            "addon",
            cluster_name=cluster.name_ref,
            addon_name=ADDON,
            addon_version=addon_version(self, ADDON, s.kubernetes_version, s.pinned_versions),
            pod_identity_association=[
                EksAddonPodIdentityAssociation(role_arn=self.role.arn, service_account=SERVICE_ACCOUNT)
            ],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            depends_on=[*depends_on, *self.log_groups],
        )
