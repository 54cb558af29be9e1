"""Helm and Kubernetes providers for a cluster, authenticated with
`aws eks get-token` at plan/apply time: no token is ever written to state."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn
from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider, KubernetesProviderExec
from constructs import Construct

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


@dataclass(frozen=True)
class ClusterEndpoint:
    name: str  # literal cluster name (the token command needs it before the cluster is read)
    region: str
    endpoint: str
    certificate_authority_data: str  # base64, as EKS returns it

    @property
    def token_args(self) -> list[str]:
        return ["eks", "get-token", "--cluster-name", self.name, "--region", self.region, "--output", "json"]


def kubernetes_provider(scope: Construct, cluster: ClusterEndpoint) -> KubernetesProvider:
    return KubernetesProvider(
        scope,
        "kubernetes",
        host=cluster.endpoint,
        cluster_ca_certificate=Fn.base64decode(cluster.certificate_authority_data),
        exec=[KubernetesProviderExec(api_version=EXEC_API_VERSION, command="aws", args=cluster.token_args)],
    )


def helm_provider(scope: Construct, cluster: ClusterEndpoint) -> HelmProvider:
    return HelmProvider(
        scope,
        "helm",
        kubernetes=HelmProviderKubernetes(
            host=cluster.endpoint,
            cluster_ca_certificate=Fn.base64decode(cluster.certificate_authority_data),
            exec=HelmProviderKubernetesExec(api_version=EXEC_API_VERSION, command="aws", args=cluster.token_args),
        ),
    )
