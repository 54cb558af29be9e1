"""Typed schema of one environment file, by layer (envs/infrastructure.py,
envs/platform.py, envs/application.py, built from envs/fields.py).

Every model is frozen and forbids unknown keys, so a typo in a key is an error
rather than a silently ignored setting. Checks that need several parts of the
file (the IP plan fitting the subnets, production-only rules, workloads in
their team's quota) live on `Environment`, so a bad file fails before any
construct is built.
"""

from __future__ import annotations

from pydantic import model_validator

from envs.application import Workload
from envs.delivery import Ci, KubernetesJobs
from envs.fields import DnsLabel, FieldError, Frozen
from envs.infrastructure import Alarms, Aws, Cluster, Cni, NatStrategy, Network, State, Storage
from envs.platform import Karpenter, Overprovisioning, Team
from planning.instances import INSTANCE_FACTS, facts_for_vcpus
from planning.ip_capacity import IpPlan, NodeKind, max_pods_capacity, plan_ip_capacity
from planning.quantities import parse_quantity

__all__ = ["Environment"]


class Environment(Frozen):
    """One environment file. `name` comes from the file name, not the file."""

    name: DnsLabel
    production: bool = False
    deletion_protection: bool = False
    aws: Aws
    state: State
    network: Network
    cluster: Cluster = Cluster()
    karpenter: Karpenter
    teams: list[Team] = []
    workloads: list[Workload] = []
    overprovisioning: Overprovisioning = Overprovisioning()
    alarms: Alarms = Alarms()
    cni: Cni = Cni()
    storage: Storage = Storage()
    # None: no CI identity; then cluster.admin_principal_arns must name who applies.
    ci: Ci | None = None

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
        self._check_workloads()
        self._check_ip_plan()
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

    def _check_workloads(self) -> None:
        teams = {t.name: t for t in self.teams}
        names = [w.name for w in self.workloads]
        if len(set(names)) != len(names):
            raise FieldError("workloads", "a workload name appears twice")
        for index, workload in enumerate(self.workloads):
            team = teams.get(workload.team)
            if team is None:
                raise FieldError(
                    f"workloads.{index}.team",
                    f"unknown namespace '{workload.team}' (teams: {', '.join(teams) or 'none'})",
                )
            for field in ("cpu", "memory"):
                request = parse_quantity(str(getattr(workload.resources.requests, field)))
                limit = parse_quantity(str(getattr(workload.resources.limits, field)))
                if request > limit:
                    raise FieldError(f"workloads.{index}.resources.requests.{field}", "is above its limit")
                quota = parse_quantity(str(getattr(team.quota, f"requests_{field}")))
                if request * workload.replicas.max > quota:
                    raise FieldError(
                        f"workloads.{index}.resources.requests.{field}",
                        f"{workload.replicas.max} replicas x {getattr(workload.resources.requests, field)} exceed "
                        f"team {team.name}'s quota requests_{field} ({getattr(team.quota, f'requests_{field}')})",
                    )

    def _check_ip_plan(self) -> None:
        if self.cni.custom_networking and self.network.secondary_cidr is None:
            raise FieldError(
                "cni.custom_networking", "needs network.secondary_cidr: pods go to its subnets, one per AZ"
            )
        group = self.cluster.system_node_group
        for index, name in enumerate(group.instance_types):
            if name not in INSTANCE_FACTS:
                raise FieldError(
                    f"cluster.system_node_group.instance_types.{index}",
                    f"no network facts for '{name}' in the IP planner (planning/ip_capacity.py INSTANCE_FACTS): add them",
                )
        mode = self.cni.mode()
        for kind in self.node_kinds():
            capacity = max_pods_capacity(kind.facts, mode)
            if self.cni.max_pods is not None and self.cni.max_pods > capacity:
                raise FieldError(
                    "cni.max_pods",
                    f"{self.cni.max_pods} is more than the CNI can address on the smallest {kind.name} node ({capacity})",
                )
        for use in self.ip_plan().shortfalls():
            tier = "pod_subnet_prefix" if use.role == "pod" else "subnet_sizes.private"
            field = f"network.secondary_cidr.{tier}" if use.role == "pod" else f"network.{tier}"
            raise FieldError(
                field,
                f"IP plan of {self.name} does not fit: {use.role} subnet {use.cidr} (AZ {use.az_index}) needs "
                f"{use.needed} addresses at maximum scale ({use.max_nodes} nodes, {use.max_pods} pods) but has "
                f"{use.usable} usable: short by {-use.headroom}",
            )
