"""Schema of the network (part of the infrastructure layer): the VPC CIDR, the
per-tier subnet sizes the subnet plan is computed from, NAT, flow logs and the
optional secondary CIDR for pods."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from envs.fields import FieldError, Frozen, Ipv4Cidr, PrefixLength, RetentionDays
from planning.subnets import SubnetPlan, SubnetPlanError, plan_subnets


class NatStrategy(StrEnum):
    SINGLE = "single"  # one NAT gateway: cheaper, one AZ's outage cuts egress for all
    PER_AZ = "per_az"  # one per AZ: the production choice


class SubnetSizes(Frozen):
    """Prefix lengths per tier; the CIDRs themselves are computed, never typed."""

    public: PrefixLength = Field(
        24, description="Prefix length of each public subnet (NAT gateways, internet-facing load balancers)."
    )
    private: PrefixLength = Field(
        19,
        description="Prefix length of each private subnet: nodes and, without custom networking, every pod "
        "address; the IP plan must fit in it.",
    )
    intra: PrefixLength = Field(
        28, description="Prefix length of each intra subnet (no route out): the EKS control-plane ENIs."
    )


class SecondaryCidr(Frozen):
    """Secondary VPC CIDR for VPC CNI custom networking (pods off the node subnets)."""

    cidr: Ipv4Cidr = Field(
        "100.64.0.0/16",
        description="Secondary VPC CIDR the pod subnets are carved from; the CGNAT range is not routable "
        "outside the VPC, so it costs no corporate address space.",
    )
    pod_subnet_prefix: PrefixLength = Field(
        18, description="Prefix length of each pod subnet (one per AZ); it must hold the AZ's pods at maximum scale."
    )


class FlowLogs(Frozen):
    retention_days: RetentionDays = Field(
        30, description="Days CloudWatch keeps the VPC flow logs: forensic history against log storage cost."
    )
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = Field(
        "ALL", description="Which traffic flow logs record: ALL, or only ACCEPTed or REJECTed connections."
    )


class Network(Frozen):
    vpc_cidr: Ipv4Cidr = Field(
        description="The VPC's IPv4 CIDR (e.g. 10.30.0.0/16); every subnet is computed from it, so it must "
        "not overlap networks you will peer or route to."
    )
    az_count: Annotated[int, Field(ge=2, le=6)] = Field(
        3, description="Availability zones to spread subnets and nodes over; EKS needs at least 2."
    )
    subnet_sizes: SubnetSizes = Field(
        SubnetSizes(), description="Prefix length per subnet tier; the CIDRs are computed (docs/ip-planning.md)."
    )
    nat: NatStrategy = Field(
        NatStrategy.PER_AZ,
        description="NAT gateways: per_az (an AZ outage cuts only its own egress; required in production) or "
        "single (cheaper, one point of failure).",
    )
    flow_logs: FlowLogs = Field(FlowLogs(), description="VPC flow logs to a KMS-encrypted CloudWatch log group.")
    secondary_cidr: SecondaryCidr | None = Field(
        None,
        description="Secondary CIDR with one pod subnet per AZ, for cni.custom_networking; null: pods take "
        "addresses in the private subnets.",
    )

    def subnet_plan(self) -> SubnetPlan:
        sizes, secondary = self.subnet_sizes, self.secondary_cidr
        return plan_subnets(
            self.vpc_cidr,
            self.az_count,
            public=sizes.public,
            private=sizes.private,
            intra=sizes.intra,
            secondary_cidr=secondary.cidr if secondary else None,
            pod=secondary.pod_subnet_prefix if secondary else None,
        )

    @model_validator(mode="after")
    def _check_plan(self) -> Network:
        try:
            self.subnet_plan()
        except SubnetPlanError as err:
            raise FieldError(err.field, str(err)) from None
        return self
