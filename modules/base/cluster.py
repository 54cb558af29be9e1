"""The one handle constructs take for the cluster they work on: built by the
cluster stack (`ClusterStack.handle`) from the EKS cluster, and passed across
stacks as it is (cdktf turns its attributes into cross-stack references)."""

from __future__ import annotations

from dataclasses import dataclass

from modules.base.kms import AccountContext


@dataclass(frozen=True)
class ClusterHandle:
    name: str
    """The cluster's name, literally: for names of other resources, and for the
    token command, which needs it before the cluster can be read."""
    name_ref: str
    """The cluster resource's `name` attribute: a resource that uses it waits for the cluster."""
    region: str
    """The AWS region, literally (the token command's `--region`)."""
    account: AccountContext
    """Partition, account id and region of the running credentials (data sources)."""
    security_group_id: str
    """The security group EKS created for the control plane and nodes."""
    endpoint: str
    """The Kubernetes API server URL."""
    certificate_authority_data: str
    """The API server's CA, base64 encoded as EKS returns it."""

    @property
    def partition(self) -> str:
        return self.account.partition

    @property
    def token_args(self) -> list[str]:
        """`aws eks get-token` arguments: the Kubernetes and Helm providers authenticate at plan
        and apply time, so no token is ever written to state."""
        return ["eks", "get-token", "--cluster-name", self.name, "--region", self.region, "--output", "json"]
