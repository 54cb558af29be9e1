"""Schema of the EKS cluster (part of the infrastructure layer): version,
endpoint access, control-plane logs, the system node group, add-on pins."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from envs.fields import (
    CONTROL_PLANE_LOG_TYPES,
    AddonName,
    FieldError,
    Frozen,
    Ipv4Cidr,
    KubernetesVersion,
    LogType,
    PrincipalArn,
    RetentionDays,
)
from planning.instances import architecture, is_instance_type

AddonVersion = Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]


class NodeGroup(Frozen):
    instance_types: Annotated[list[str], Field(min_length=1)] = Field(
        description="EC2 instance types of the managed node group that runs the cluster's critical add-ons "
        "(one architecture); the IP plan counts its smallest.",
    )
    min_size: Annotated[int, Field(ge=1)] = Field(2, description="Fewest nodes; 2 or more keeps add-ons up.")
    desired_size: Annotated[int, Field(ge=1)] = Field(2, description="Nodes at creation, between min and max.")
    max_size: Annotated[int, Field(ge=1)] = Field(
        4, description="Most nodes; the IP plan reserves addresses for all of them."
    )
    disk_size_gib: Annotated[int, Field(ge=20, le=16384)] = Field(
        50, description="Root volume per node in GiB (gp3, encrypted): images and logs live there."
    )

    @model_validator(mode="after")
    def _check_sizes(self) -> NodeGroup:
        for index, name in enumerate(self.instance_types):
            if not is_instance_type(name):
                raise FieldError(f"instance_types.{index}", f"'{name}' is not an EC2 instance type (e.g. m7i.large)")
        if len({architecture(t) for t in self.instance_types}) > 1:
            raise FieldError("instance_types", "mixes arm64 (Graviton) and amd64 types; one node group has one AMI")
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"sizes must satisfy min_size <= desired_size <= max_size "
                f"(got {self.min_size} <= {self.desired_size} <= {self.max_size})"
            )
        return self


class Cluster(Frozen):
    kubernetes_version: KubernetesVersion = Field(
        "1.34",
        description='EKS Kubernetes version, quoted ("1.34"): YAML reads 1.30 as the number 1.3. '
        "Only versions this project is tested against.",
    )
    support_type: Literal["STANDARD", "EXTENDED"] = Field(
        "STANDARD",
        description="EKS upgrade policy at the end of a version's standard support: STANDARD upgrades the control "
        "plane automatically; EXTENDED keeps the old version in paid extended support (6x the hourly "
        "control-plane price). Set it explicitly: EKS's own default is EXTENDED. See docs/upgrades.md.",
    )
    endpoint_public_access: bool = Field(
        False,
        description="Expose the API server on a public endpoint (besides the private one); needs "
        "public_access_cidrs. Production refuses it open to 0.0.0.0/0.",
    )
    public_access_cidrs: list[Ipv4Cidr] = Field(
        [], description="CIDRs allowed to reach the public endpoint; the only protection a public endpoint has."
    )
    admin_principal_arns: list[PrincipalArn] = Field(
        [],
        description="IAM roles or users given cluster admin through access entries (besides the CI deploy role); "
        "required when ci is not set.",
    )
    log_types: list[LogType] = Field(
        list(CONTROL_PLANE_LOG_TYPES),
        description="Control-plane log types sent to CloudWatch; the metric filters and alarms need audit and "
        "authenticator (a filter whose log type is off is left out).",
    )
    log_retention_days: RetentionDays = Field(
        90, description="Days CloudWatch keeps the control-plane logs (audit history against storage cost)."
    )
    adopt_existing_log_group: bool = Field(
        False,
        description="Import a control-plane log group an earlier cluster of this name left behind instead of "
        "failing with 'already exists'.",
    )
    system_node_group: NodeGroup = Field(
        NodeGroup(instance_types=["m7i.large"]),
        description="Managed node group (tainted CriticalAddonsOnly) for Karpenter and the add-ons, which must "
        "not run on nodes Karpenter manages.",
    )
    zonal_shift: bool | None = Field(
        None,
        description="EKS zonal shift: ARC may move traffic away from an impaired AZ (yours to trigger, or AWS's "
        "with autoshift). Null: on when production is true.",
    )
    addon_versions: dict[AddonName, AddonVersion] = Field(
        {},
        description="Pinned EKS add-on versions (v1.2.3-eksbuild.1) by add-on name; an add-on not listed gets "
        "the default version EKS publishes for kubernetes_version.",
    )

    @model_validator(mode="after")
    def _check(self) -> Cluster:
        if len(set(self.log_types)) != len(self.log_types):
            raise FieldError("log_types", "a log type is listed twice")
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise FieldError(
                "public_access_cidrs",
                "endpoint_public_access is on but no CIDR is allowed: list the CIDRs allowed to reach the API server",
            )
        return self
