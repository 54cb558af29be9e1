"""EKS managed add-ons.

Networking add-ons (vpc-cni, kube-proxy, the Pod Identity agent) go in before
any node joins, so the first nodes come up with the final CNI configuration;
add-ons that run as pods (coredns, metrics-server) go in after the system node
group, or they would wait for nodes until they time out. A version pinned in
config wins; otherwise EKS's default version for the cluster's Kubernetes
version is looked up at plan time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.data_aws_eks_addon_version import DataAwsEksAddonVersion
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from constructs import Construct

from modules.conventions import CRITICAL_ADDONS_TAINT, SYSTEM_NODE_LABEL

BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
AFTER_NODES = ("coredns", "metrics-server")

# CoreDNS stays on the system node group, which Karpenter does not manage: consolidation
# never drains the nodes DNS runs on. No upstream chart backs the EKS coredns add-on;
# `nodeSelector` and `tolerations` are top-level keys of its configuration schema as EKS
# documents it (`aws eks describe-addon-configuration --addon-name coredns`). Tolerations
# replace the add-on's defaults, so the CriticalAddonsOnly one is listed here.
COREDNS_CONFIGURATION: dict[str, Any] = {
    "nodeSelector": {SYSTEM_NODE_LABEL[0]: SYSTEM_NODE_LABEL[1]},
    "tolerations": [{"key": CRITICAL_ADDONS_TAINT, "operator": "Exists"}],
}


def addon_version(scope: Construct, name: str, kubernetes_version: str, pinned_versions: Mapping[str, str]) -> str:
    """The pinned version, or EKS's default for the cluster's Kubernetes version (looked up at plan time)."""
    pinned = pinned_versions.get(name)
    if pinned is not None:
        return pinned
    return DataAwsEksAddonVersion(
        scope, f"{name}-version", addon_name=name, kubernetes_version=kubernetes_version
    ).version


def eks_addon(
    scope: Construct,
    *,
    cluster_name: str,
    kubernetes_version: str,
    name: str,
    pinned_versions: Mapping[str, str],
    configuration: Mapping[str, Any] | None = None,
    depends_on: Sequence[ITerraformDependable] = (),
) -> EksAddon:
    version = addon_version(scope, name, kubernetes_version, pinned_versions)
    return EksAddon(
        scope,
        name,
        cluster_name=cluster_name,
        addon_name=name,
        addon_version=version,
        configuration_values=json.dumps(configuration, sort_keys=True) if configuration else None,
        # The configuration here is the source of truth: overwrite drift on create and update.
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        depends_on=list(depends_on) or None,
    )
