"""`E-platform`: objects that need the controllers' CRDs or define tenancy
(platform layer). Reads `E-cluster`; deployed after `E-addons`."""

from __future__ import annotations

from cdktf_cdktf_provider_kubernetes.annotations import Annotations, AnnotationsMetadata
from constructs import Construct

from envs import Environment
from modules.base.kubernetes import kubernetes_provider
from modules.base.manifests import add_manifests
from modules.conventions import PROJECT
from modules.delivery.identity import DEPLOY, ci_role_name
from modules.karpenter.nodes import Budget, KarpenterNodes, NodeClassSettings, NodePoolSettings
from modules.storage.classes import DEFAULT_CLASS_ANNOTATION, storage_classes
from modules.tenancy.guard import guard_manifests, session_prefix
from modules.tenancy.overprovisioning import overprovisioning_manifests
from modules.tenancy.teams import TeamNamespace, TeamSettings
from stacks.addons import AddonsStack
from stacks.base import EnvironmentStack
from stacks.cluster import ClusterStack
from stacks.storage import StorageStack

NODE_CLASS = "default"


class PlatformStack(EnvironmentStack):
    def __init__(
        self,
        scope: Construct,
        env: Environment,
        storage: StorageStack,
        cluster: ClusterStack,
        addons: AddonsStack,
    ) -> None:
        super().__init__(scope, env, "platform")
        self.add_dependency(addons)  # the CRDs come with the addons stack's Helm releases
        kubernetes_provider(self, cluster.handle)
        k = env.karpenter
        add_manifests(
            self,
            storage_classes(
                volume_type=env.storage.volume_type,
                kms_key_arn=storage.data_key.arn,
                efs_file_system_id=storage.efs.file_system_id if storage.efs else None,
            ),
        )
        # EKS creates a legacy `gp2` class; make sure it is not the default (gp3 is).
        Annotations(
            self,
            "gp2-not-default",
            api_version="storage.k8s.io/v1",
            kind="StorageClass",
            metadata=AnnotationsMetadata(name="gp2"),
            annotations={DEFAULT_CLASS_ANNOTATION: "false"},
            force=True,
        )
        o = env.overprovisioning
        if o.enabled:
            replicas = env.network.az_count if o.replicas is None else o.replicas
            add_manifests(self, overprovisioning_manifests(replicas, str(o.cpu), str(o.memory)))
        self.teams = [
            TeamNamespace(
                self,
                f"team-{team.name}",
                TeamSettings(
                    name=team.name,
                    requests_cpu=str(team.quota.requests_cpu),
                    requests_memory=str(team.quota.requests_memory),
                    limits_cpu=str(team.quota.limits_cpu),
                    limits_memory=str(team.quota.limits_memory),
                    pods=team.quota.pods,
                    services=team.quota.services,
                    persistent_volume_claims=team.quota.persistent_volume_claims,
                    requests_storage=str(team.quota.requests_storage),
                    default_request_cpu=str(team.limits.default_request.cpu),
                    default_request_memory=str(team.limits.default_request.memory),
                    default_limit_cpu=str(team.limits.default.cpu),
                    default_limit_memory=str(team.limits.default.memory),
                    network_policy=team.network_policy,
                    principal_arn=team.principal_arn,
                ),
                cluster=cluster.handle,
            )
            for team in env.teams
        ]
        if env.teams:
            account = cluster.handle.account
            deploy_role = f"arn:{account.partition}:iam::{account.account_id}:role/"
            platform = [*env.cluster.admin_principal_arns]
            platform += [deploy_role + ci_role_name(env.cluster_name, DEPLOY)] if env.ci else []
            add_manifests(self, guard_manifests([session_prefix(arn) for arn in platform]))
        self.karpenter_nodes = KarpenterNodes(
            self,
            "karpenter",
            NodeClassSettings(
                name=NODE_CLASS,
                cluster_name=env.cluster_name,
                node_role_name=cluster.karpenter.node_role_name,
                ami_alias=k.ami_alias,
                max_pods=env.max_pods(),
                tags={"Project": PROJECT, "Environment": env.name, "ManagedBy": "karpenter"},
            ),
            [
                NodePoolSettings(
                    name=pool.name,
                    node_class=NODE_CLASS,
                    capacity_types=pool.capacity_types,
                    instance_categories=pool.instance_categories,
                    min_generation=pool.min_generation,
                    min_vcpu=pool.min_vcpu,
                    architectures=pool.architectures,
                    cpu_limit=pool.limits.cpu,
                    memory_limit_gib=pool.limits.memory_gib,
                    consolidation_policy=pool.consolidation_policy,
                    consolidate_after=pool.consolidate_after,
                    expire_after=pool.expire_after,
                    termination_grace_period=pool.termination_grace_period,
                    budgets=[Budget(b.nodes, b.schedule, b.duration, b.reasons) for b in pool.budgets],
                    weight=pool.weight,
                )
                for pool in k.node_pools
            ],
        )
