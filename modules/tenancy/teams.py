"""A team's namespace: quota, container defaults, default-deny network policy,
and edit rights for the team's IAM principal in that namespace only, with
reading its right-sizing advice (VerticalPodAutoscalers), which the EKS edit
access policy does not cover."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import (
    EksAccessPolicyAssociation,
    EksAccessPolicyAssociationAccessScope,
)
from constructs import Construct

from modules.base.cluster import ClusterHandle
from modules.base.manifests import add_manifests
from modules.conventions import (
    NAMESPACE_EDIT_POLICY,
    NAMESPACE_NAME_LABEL,
    PLATFORM_MANAGED_LABEL,
    TEAM_LABEL,
    access_policy_arn,
)


@dataclass(frozen=True)
class TeamSettings:
    """Configuration of one team's namespace."""

    name: str
    """The team's name, which is also its namespace's name."""
    requests_cpu: str
    """Quota: CPU all pods of the namespace may request together."""
    requests_memory: str
    """Quota: memory all pods of the namespace may request together."""
    limits_cpu: str
    """Quota: CPU limits of all pods of the namespace together."""
    limits_memory: str
    """Quota: memory limits of all pods of the namespace together."""
    pods: int
    """Quota: most pods in the namespace."""
    services: int
    """Quota: most Services in the namespace."""
    persistent_volume_claims: int
    """Quota: most PersistentVolumeClaims in the namespace."""
    requests_storage: str
    """Quota: storage all PersistentVolumeClaims of the namespace may request together."""
    default_request_cpu: str
    """LimitRange: CPU request of a container that sets none."""
    default_request_memory: str
    """LimitRange: memory request of a container that sets none."""
    default_limit_cpu: str
    """LimitRange: CPU limit of a container that sets none."""
    default_limit_memory: str
    """LimitRange: memory limit of a container that sets none."""
    network_policy: bool = True
    """Default-deny NetworkPolicies, with DNS and egress inside the namespace allowed. Default: True."""
    principal_arn: str | None = None
    """IAM principal that gets edit rights in this namespace only (EKS access entry). Default: None (no one)."""


ADVICE_READER = "right-sizing-advice-reader"


def advice_group(team: str) -> str:
    """The Kubernetes group the team principal's access entry carries (EKS access
    policies are fixed; extra rights come through RBAC bound to a group)."""
    return f"{team}-right-sizing-advice"


def advice_reader_manifests(team: str) -> list[dict[str, Any]]:
    meta = {"name": ADVICE_READER, "namespace": team}
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta,
            "rules": [
                {
                    "apiGroups": ["autoscaling.k8s.io"],
                    "resources": ["verticalpodautoscalers"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ADVICE_READER},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": advice_group(team)}],
        },
    ]


def team_manifests(t: TeamSettings) -> list[dict[str, Any]]:
    ns = t.name
    managed = {PLATFORM_MANAGED_LABEL[0]: PLATFORM_MANAGED_LABEL[1]}  # guarded: modules/tenancy/guard.py
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": ns,
                "labels": {TEAM_LABEL: ns, "pod-security.kubernetes.io/enforce": "restricted"},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "team-quota", "namespace": ns, "labels": managed},
            "spec": {
                "hard": {
                    "requests.cpu": t.requests_cpu,
                    "requests.memory": t.requests_memory,
                    "limits.cpu": t.limits_cpu,
                    "limits.memory": t.limits_memory,
                    "pods": str(t.pods),
                    "services": str(t.services),
                    "persistentvolumeclaims": str(t.persistent_volume_claims),
                    "requests.storage": t.requests_storage,
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "container-defaults", "namespace": ns, "labels": managed},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "defaultRequest": {"cpu": t.default_request_cpu, "memory": t.default_request_memory},
                        "default": {"cpu": t.default_limit_cpu, "memory": t.default_limit_memory},
                    }
                ]
            },
        },
    ]
    if t.network_policy:
        objects += [
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": ns, "labels": managed},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "allow-dns", "namespace": ns, "labels": managed},
                "spec": {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}},
                                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                                }
                            ],
                            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                        }
                    ],
                },
            },
            # Pods may call each other inside the namespace; each workload's own
            # policy says which of its ports admit them (modules/tenancy/workload.py).
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "allow-egress-in-namespace", "namespace": ns, "labels": managed},
                "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"podSelector": {}}]}]},
            },
        ]
    if t.principal_arn:
        objects += advice_reader_manifests(ns)
    return objects


class TeamNamespace(Construct):
    def __init__(self, scope: Construct, id_: str, settings: TeamSettings, *, cluster: ClusterHandle) -> None:
        super().__init__(scope, id_)
        team = settings
        self.namespace, *_ = add_manifests(self, team_manifests(team))
        if team.principal_arn:
            entry = EksAccessEntry(
                self,
                "access",
                cluster_name=cluster.name_ref,
                principal_arn=team.principal_arn,
                kubernetes_groups=[advice_group(team.name)],
            )
            EksAccessPolicyAssociation(
                self,
                "access-policy",
                cluster_name=cluster.name_ref,
                principal_arn=entry.principal_arn,
                policy_arn=access_policy_arn(cluster.partition, NAMESPACE_EDIT_POLICY),
                access_scope=EksAccessPolicyAssociationAccessScope(type="namespace", namespaces=[team.name]),
            )
