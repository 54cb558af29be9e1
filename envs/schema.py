"""Typed schema of one environment file, by layer (envs/infrastructure.py with
envs/network.py and envs/cluster.py, envs/platform.py with envs/karpenter.py,
envs/application.py, envs/delivery.py, built from envs/fields.py).

Every model is frozen and forbids unknown keys, so a typo in a key is an error
rather than a silently ignored setting. Checks that need several parts of the
file (the IP plan fitting the subnets, production-only rules, workloads in
their team's quota) live on `Environment` (with envs/capacity.py and
envs/quotas.py), so a bad file fails before any construct is built. Every field
carries a description: docs/configuration.md and envs/environment.schema.json
are generated from them (python -m tools.config_reference).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from envs.application import IngressPolicy, Workload
from envs.capacity import check_ip_plan
from envs.delivery import Ci, KubernetesJobs
from envs.fields import DnsLabel, FieldError, Frozen
from envs.infrastructure import Alarms, Aws, Cluster, Cni, NatStrategy, Network, Observability, State, Storage
from envs.platform import Karpenter, Overprovisioning, Team
from envs.quotas import check_workloads
from planning.instances import INSTANCE_FACTS, facts_for_vcpus
from planning.ip_capacity import IpPlan, NodeKind, max_pods_capacity, plan_ip_capacity

__all__ = ["Environment"]


class Environment(Frozen):
    """One environment file. `name` comes from the file name, not the file."""

    name: DnsLabel = Field(description="The environment's name: its file name, never a key in the file.")
    production: bool = Field(
        False,
        description="Production rules: NAT per AZ, no API endpoint open to 0.0.0.0/0, a pinned AMI and an "
        "on-demand pool to fall back on.",
    )
    deletion_protection: bool = Field(
        False,
        description="Refuse to destroy the long-lived resources (cluster, VPC, data key, EFS, log groups): EKS "
        "deletion protection and Terraform prevent_destroy.",
    )
    aws: Aws = Field(description="The AWS account and region every stack of this environment uses.")
    state: State = Field(description="Where this environment's Terraform state lives.")
    network: Network = Field(description="The VPC: CIDR, subnet sizes per tier, NAT, flow logs, pod CIDR.")
    cluster: Cluster = Field(
        Cluster(), description="The EKS cluster: version, endpoint access, logs, system node group, add-ons."
    )
    karpenter: Karpenter = Field(description="Karpenter's AMI and NodePools: the nodes workloads run on.")
    teams: list[Team] = Field([], description="Team namespaces, each with a ResourceQuota, LimitRange and policies.")
    workloads: list[Workload] = Field(
        [], description="Applications deployed into team namespaces (Deployment, Service, PDB, HPA)."
    )
    ingress: IngressPolicy = Field(
        IngressPolicy(), description="What workloads' Ingresses (AWS Load Balancer Controller) may ask for."
    )
    overprovisioning: Overprovisioning = Field(
        Overprovisioning(), description="Placeholder pods that keep spare capacity for bursts."
    )
    alarms: Alarms = Field(Alarms(), description="Control-plane and VPC CNI alarms and who they notify.")
    observability: Observability = Field(
        Observability(),
        description="Workload insight beyond the control plane: Container Insights, right-sizing advice.",
    )
    cni: Cni = Field(Cni(), description="VPC CNI settings and the IP plan's assumptions (docs/ip-planning.md).")
    storage: Storage = Field(Storage(), description="Default EBS StorageClass and optional EFS.")
    ci: Ci | None = Field(
        None,
        description="GitHub Actions identity that plans and deploys (docs/operations.md); null: no CI, then "
        "cluster.admin_principal_arns must name who applies.",
    )

    def node_kinds(self) -> list[NodeKind]:
        group = self.cluster.system_node_group
        smallest = min((INSTANCE_FACTS[t] for t in group.instance_types), key=lambda f: (f.enis, f.ipv4_per_eni))
        kinds = [NodeKind("system", group.max_size, smallest)]
        for pool in self.karpenter.node_pools:
            kinds.append(NodeKind(pool.name, -(-pool.limits.cpu // pool.min_vcpu), facts_for_vcpus(pool.min_vcpu)))
        return kinds

    def max_pods(self) -> int:
        """One max-pods value for every node (node group and Karpenter alike)."""
        mode = self.cni.mode()
        capacity = min(max_pods_capacity(k.facts, mode) for k in self.node_kinds())
        return self.cni.max_pods or capacity

    def ip_plan(self) -> IpPlan:
        plan = self.network.subnet_plan()
        return plan_ip_capacity(
            node_subnets=plan.private,
            pod_subnets=plan.pod,
            kinds=self.node_kinds(),
            mode=self.cni.mode(),
            max_pods=self.max_pods(),
            reserved_ips=self.cni.reserved_ips_per_subnet,
        )

    @property
    def cluster_name(self) -> str:
        return f"{self.name}-platform"

    @model_validator(mode="after")
    def _production_rules(self) -> Environment:
        if self.production:
            open_cidrs = [c for c in self.cluster.public_access_cidrs if c == "0.0.0.0/0"]
            if self.cluster.endpoint_public_access and open_cidrs:
                raise FieldError(
                    "cluster.public_access_cidrs",
                    "0.0.0.0/0 opens the API server to the internet, which a production environment must not do",
                )
            if self.network.nat is not NatStrategy.PER_AZ:
                raise FieldError(
                    "network.nat",
                    "a production environment needs a NAT gateway per AZ "
                    "(one NAT gateway is a single point of failure for all egress)",
                )
        if self.production:
            if self.karpenter.ami_alias.endswith("@latest"):
                raise FieldError(
                    "karpenter.ami_alias",
                    "@latest in a production environment replaces every node whenever AWS publishes an AMI; "
                    "pin a version (al2023@vYYYYMMDD)",
                )
            if not any("on-demand" in p.capacity_types for p in self.karpenter.node_pools):
                raise FieldError(
                    "karpenter.node_pools",
                    "a production environment needs an on-demand pool to fall back on when spot capacity runs out",
                )
        names = [t.name for t in self.teams]
        if len(set(names)) != len(names):
            raise FieldError("teams", "a team name appears twice")
        self._check_kubernetes_access()
        check_workloads(self.teams, self.workloads)
        for index, workload in enumerate(self.workloads):
            if workload.ingress and workload.ingress.internet_facing and not self.ingress.internet_facing_allowed:
                raise FieldError(
                    f"workloads.{index}.ingress.internet_facing",
                    "this environment allows only internal load balancers (ingress.internet_facing_allowed: false)",
                )
        check_ip_plan(self)
        return self

    def _check_kubernetes_access(self) -> None:
        """The addons, platform and apps stacks talk to the Kubernetes API: someone
        must be allowed to (an access entry) and able to reach it (the endpoint)."""
        if self.ci is None and not self.cluster.admin_principal_arns:
            raise FieldError(
                "ci",
                "no principal could apply the addons, platform and apps stacks: authentication is by access "
                "entry only, so set ci (its deploy role gets cluster admin) or cluster.admin_principal_arns",
            )
        if self.ci is not None and self.ci.kubernetes_jobs is KubernetesJobs.GITHUB_HOSTED:
            c = self.cluster
            if not (c.endpoint_public_access and "0.0.0.0/0" in c.public_access_cidrs):
                raise FieldError(
                    "ci.kubernetes_jobs",
                    "GitHub-hosted runners cannot reach this cluster's endpoint (private, or public to an "
                    "allow-list their changing addresses are not on): use codebuild (runners in the VPC)",
                )
