"""`E-cluster`: EKS, its observability, the system node group and the add-ons
(infrastructure layer). Reads `E-network` through cross-stack references."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformOutput
from constructs import Construct

from envs import Environment
from envs.delivery import KubernetesJobs
from modules.base.cluster import ClusterHandle
from modules.cluster.addons import AFTER_NODES, BEFORE_NODES, COREDNS_CONFIGURATION, eks_addon
from modules.cluster.csi_drivers import EBS, EFS, CsiDriver, CsiDriverSettings
from modules.cluster.eks import Cluster, ClusterSettings
from modules.cluster.node_group import NodeGroupSettings, SystemNodeGroup
from modules.cluster.vpc_cni import PodSubnet, vpc_cni_configuration
from modules.conventions import CRITICAL_ADDONS_TAINT
from modules.delivery.identity import DEPLOY, PLAN, ci_role_name
from modules.delivery.runner import CiRunner, CiRunnerSettings
from modules.ingress.aws import LoadBalancerControllerAws
from modules.karpenter.aws import KarpenterAws
from modules.network.vpc import Network
from modules.observability.cni_metrics import CniAlarmSettings, CniMetricsHelperAws
from modules.observability.cni_metrics import dashboard_widgets as cni_dashboard_widgets
from modules.observability.container_insights import ContainerInsights, ContainerInsightsSettings
from modules.observability.control_plane import ControlPlaneObservability, ObservabilitySettings
from stacks.base import EnvironmentStack
from stacks.storage import StorageStack

# Add-ons that run as pods must tolerate the system nodes' taint: at first there are no other nodes.
METRICS_SERVER_CONFIGURATION: dict[str, Any] = {"tolerations": [{"key": CRITICAL_ADDONS_TAINT, "operator": "Exists"}]}


class ClusterStack(EnvironmentStack):
    def __init__(self, scope: Construct, env: Environment, network: Network, storage: StorageStack) -> None:
        super().__init__(scope, env, "cluster")
        c = env.cluster
        ci = env.ci
        self.cluster = Cluster(
            self,
            "eks",
            ClusterSettings(
                name=env.cluster_name,
                kubernetes_version=c.kubernetes_version,
                support_type=c.support_type,
                control_plane_subnet_ids=network.intra_subnet_ids,
                endpoint_public_access=c.endpoint_public_access,
                public_access_cidrs=c.public_access_cidrs,
                admin_principal_arns=c.admin_principal_arns,
                log_types=c.log_types,
                log_retention_days=c.log_retention_days,
                adopt_existing_log_group=c.adopt_existing_log_group,
                protect=env.deletion_protection,
                admin_role_names=[ci_role_name(env.cluster_name, DEPLOY)] if ci else [],
                viewer_role_names=[ci_role_name(env.cluster_name, PLAN)] if ci else [],
                zonal_shift=env.production if c.zonal_shift is None else c.zonal_shift,
            ),
        )
        self.handle = cluster = ClusterHandle(
            name=env.cluster_name,
            name_ref=self.cluster.name,
            region=env.aws.region,
            account=self.cluster.account,
            security_group_id=self.cluster.cluster_security_group_id,
            endpoint=self.cluster.endpoint,
            certificate_authority_data=self.cluster.certificate_authority_data,
        )
        self.ci_runner: CiRunner | None = None
        if ci is not None and ci.kubernetes_jobs is KubernetesJobs.CODEBUILD:
            self.ci_runner = CiRunner(
                self,
                "ci-runner",
                CiRunnerSettings(
                    repository=ci.github_repository,
                    vpc_id=network.vpc_id,
                    subnet_ids=network.private_subnet_ids,
                    subnet_arns=[subnet.arn for subnet in network.private_subnets],
                    log_retention_days=ci.runner_log_retention_days,
                    protect=env.deletion_protection,
                    connection_arn=ci.codebuild_connection_arn,
                ),
                cluster=cluster,
            )
        addon_configuration = {
            "vpc-cni": vpc_cni_configuration(
                env.cni.mode(),
                region=env.aws.region,
                pod_subnets=[
                    # Pods get the cluster security group, as the nodes do.
                    PodSubnet(
                        zone=subnet.availability_zone,
                        subnet_id=subnet.id,
                        security_group_ids=[cluster.security_group_id],
                    )
                    for subnet in network.pod_subnets
                ],
            ),
            "metrics-server": METRICS_SERVER_CONFIGURATION,
            "coredns": COREDNS_CONFIGURATION,
        }
        self.observability = ControlPlaneObservability(
            self,
            "observability",
            ObservabilitySettings(
                log_group_name=self.cluster.log_group.name,
                log_types=c.log_types,
                thresholds=env.alarms.thresholds,
                period_seconds=env.alarms.period_seconds,
                evaluation_periods=env.alarms.evaluation_periods,
                alarm_email=env.alarms.email,
                protect=env.deletion_protection,
                extra_widgets=cni_dashboard_widgets(env.cluster_name, env.aws.region, env.alarms.period_seconds),
            ),
            cluster=cluster,
        )
        self.cni_metrics = CniMetricsHelperAws(
            self,
            "cni-metrics-helper",
            CniAlarmSettings(
                topic_arn=self.observability.topic_arn,
                utilisation_percent=env.alarms.ip_utilisation_percent,
                period_seconds=env.alarms.period_seconds,
                evaluation_periods=env.alarms.evaluation_periods,
            ),
            cluster=cluster,
        )
        pinned = {str(name): version for name, version in c.addon_versions.items()}

        def addon(name: str, after: list[Any]) -> Any:
            return eks_addon(
                self,
                cluster_name=cluster.name_ref,
                kubernetes_version=c.kubernetes_version,
                name=name,
                pinned_versions=pinned,
                configuration=addon_configuration.get(name),
                depends_on=after,
            )

        networking = [addon(name, []) for name in BEFORE_NODES]
        ng = c.system_node_group
        self.system_nodes = SystemNodeGroup(
            self,
            "system-nodes",
            NodeGroupSettings(
                name="system",
                kubernetes_version=c.kubernetes_version,
                subnet_ids=network.private_subnet_ids,
                instance_types=ng.instance_types,
                min_size=ng.min_size,
                desired_size=ng.desired_size,
                max_size=ng.max_size,
                disk_size_gib=ng.disk_size_gib,
                max_pods=env.max_pods(),
            ),
            cluster=cluster,
            depends_on=networking,
        )
        for name in AFTER_NODES:
            addon(name, [self.system_nodes.node_group])
        drivers = [EBS] + ([EFS] if storage.efs is not None else [])
        self.csi_drivers = [
            CsiDriver(
                self,
                driver[0],
                CsiDriverSettings(
                    driver=driver,
                    kubernetes_version=c.kubernetes_version,
                    pinned_versions=pinned,
                    kms_key_arn=storage.data_key.arn if driver is EBS else None,
                ),
                cluster=cluster,
                depends_on=[self.system_nodes.node_group],
            )
            for driver in drivers
        ]
        self.container_insights: ContainerInsights | None = None
        if env.observability.container_insights:
            self.container_insights = ContainerInsights(
                self,
                "container-insights",
                ContainerInsightsSettings(
                    kubernetes_version=c.kubernetes_version,
                    pinned_versions=pinned,
                    log_retention_days=c.log_retention_days,
                    kms_key_arn=self.cluster.logs_key.arn,
                    protect=env.deletion_protection,
                ),
                cluster=cluster,
                depends_on=[self.system_nodes.node_group],
            )
        self.karpenter = KarpenterAws(self, "karpenter", cluster=cluster)
        self.load_balancer_controller = LoadBalancerControllerAws(self, "aws-load-balancer-controller", cluster=cluster)
        # The addons stack reads it through a cross-stack reference (the controller's vpcId).
        self.vpc_id = network.vpc_id

        outputs = {
            "cluster_name": self.cluster.name,
            "cluster_endpoint": self.cluster.endpoint,
            "cluster_certificate_authority_data": self.cluster.certificate_authority_data,
            "cluster_security_group_id": self.cluster.cluster_security_group_id,
            "system_node_role_arn": self.system_nodes.role.arn,
            "alarm_topic_arn": self.observability.topic_arn,
            "dashboard_name": self.observability.dashboard_name,
            "karpenter_interruption_queue": self.karpenter.queue_name,
            "karpenter_node_role_name": self.karpenter.node_role_name,
        }
        if self.ci_runner is not None:
            # Read by tools/stacks.py: the workflows send Kubernetes jobs to this runner.
            outputs["ci_runner_project"] = self.ci_runner.project_name
        for name, value in outputs.items():
            TerraformOutput(self, name, value=value)
