"""Helm and Kubernetes providers for a cluster, authenticated with
`aws eks get-token` at plan/apply time: no token is ever written to state."""

from __future__ import annotations

from cdktf import Fn
from cdktf_cdktf_provider_helm.provider import HelmProvider, HelmProviderKubernetes, HelmProviderKubernetesExec
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider, KubernetesProviderExec
from constructs import Construct

from modules.base.cluster import ClusterHandle

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def kubernetes_provider(scope: Construct, cluster: ClusterHandle) -> KubernetesProvider:
    return KubernetesProvider(
        scope,
        "kubernetes",
        host=cluster.endpoint,
        cluster_ca_certificate=Fn.base64decode(cluster.certificate_authority_data),
        exec=[KubernetesProviderExec(api_version=EXEC_API_VERSION, command="aws", args=cluster.token_args)],
    )


def helm_provider(scope: Construct, cluster: ClusterHandle) -> HelmProvider:
    return HelmProvider(
        scope,
        "helm",
        kubernetes=HelmProviderKubernetes(
            host=cluster.endpoint,
            cluster_ca_certificate=Fn.base64decode(cluster.certificate_authority_data),
            exec=HelmProviderKubernetesExec(api_version=EXEC_API_VERSION, command="aws", args=cluster.token_args),
        ),
    )
