"""The VPC: public, private (nodes and pods), intra (EKS control-plane ENIs) and
optional pod subnets per AZ, NAT, routes, and encrypted flow logs.

CIDRs come from a SubnetPlan (planning/subnets.py); nothing here does
address arithmetic. Worker subnets have no route to the internet gateway and
never assign public IPs; policies.py enforces that on every synth.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_ipv4_cidr_block_association import VpcIpv4CidrBlockAssociation
from constructs import Construct

from modules.base.iam import Condition, Statement, policy_document
from modules.base.kms import AccountContext, EncryptionKey, logs_service_statement
from modules.base.log_groups import encrypted_log_group
from modules.conventions import ELB_ROLE_TAG, INTERNAL_ELB_ROLE_TAG, KARPENTER_DISCOVERY_TAG, TIER_TAG
from planning.subnets import SubnetPlan


@dataclass(frozen=True)
class NetworkSettings:
    """Configuration of the VPC, its subnets, NAT and flow logs."""

    name: str
    """The VPC's name; its resources' names and Name tags derive from it."""
    cluster_name: str
    """The cluster whose nodes use the private subnets (their `karpenter.sh/discovery` tag)."""
    plan: SubnetPlan
    """The CIDRs: the VPC's, an optional secondary one, and every tier's subnets, one per AZ."""
    single_nat_gateway: bool
    """One NAT gateway for all AZs instead of one per AZ."""
    flow_log_retention_days: int
    """Days the VPC flow logs are kept."""
    flow_log_traffic_type: str = "ALL"
    """Traffic the flow logs record: ALL, ACCEPT or REJECT. Default: "ALL"."""
    protect: bool = False
    """`prevent_destroy` on the flow logs' KMS key. Default: False."""


class Network(Construct):
    def __init__(self, scope: Construct, id_: str, settings: NetworkSettings) -> None:
        super().__init__(scope, id_)
        s, plan = settings, settings.plan
        self.availability_zones = DataAwsAvailabilityZones(
            self,
            "azs",
            state="available",
            filter=[DataAwsAvailabilityZonesFilter(name="opt-in-status", values=["opt-in-not-required"])],
        )
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=plan.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": s.name},
        )
        # The default security group is attached to anything created without one:
        # leave it with no rules at all.
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id, tags={"Name": f"{s.name}-default-deny"})
        secondary = (
            VpcIpv4CidrBlockAssociation(self, "secondary-cidr", vpc_id=self.vpc.id, cidr_block=plan.secondary_cidr)
            if plan.secondary_cidr
            else None
        )

        zone_names = self.availability_zones.names  # one jsii round trip, not one per subnet

        def subnets(tier: str, tags: dict[str, str]) -> list[Subnet]:
            return [
                Subnet(
                    self,
                    f"{tier}-{index}",
                    vpc_id=secondary.vpc_id if (secondary and tier == "pod") else self.vpc.id,
                    cidr_block=cidr,
                    availability_zone=Fn.element(zone_names, index),
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{s.name}-{tier}-{index}", TIER_TAG: tier, **tags},
                )
                for index, cidr in enumerate(plan.tier(tier))
            ]

        self.public_subnets = subnets("public", {ELB_ROLE_TAG: "1"})
        self.private_subnets = subnets("private", {INTERNAL_ELB_ROLE_TAG: "1", KARPENTER_DISCOVERY_TAG: s.cluster_name})
        self.intra_subnets = subnets("intra", {})
        self.pod_subnets = subnets("pod", {})

        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": s.name})
        public_rt = RouteTable(self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{s.name}-public"})
        Route(
            self, "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id
        )
        for index, subnet in enumerate(self.public_subnets):
            RouteTableAssociation(self, f"public-{index}-rta", subnet_id=subnet.id, route_table_id=public_rt.id)

        nat_count = 1 if s.single_nat_gateway else len(self.public_subnets)
        nat_gateways = []
        for index in range(nat_count):
            eip = Eip(self, f"nat-eip-{index}", domain="vpc", tags={"Name": f"{s.name}-nat-{index}"})
            nat_gateways.append(
                NatGateway(
                    self,
                    f"nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=self.public_subnets[index].id,
                    tags={"Name": f"{s.name}-nat-{index}"},
                    depends_on=[igw],
                )
            )
        # One private route table per AZ, so each AZ egresses through its own NAT
        # (or all through the single one); pod subnets share their AZ's table.
        for index, subnet in enumerate(self.private_subnets):
            rt = RouteTable(self, f"private-rt-{index}", vpc_id=self.vpc.id, tags={"Name": f"{s.name}-private-{index}"})
            Route(
                self,
                f"private-default-{index}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat_gateways[index % nat_count].id,
            )
            RouteTableAssociation(self, f"private-{index}-rta", subnet_id=subnet.id, route_table_id=rt.id)
            if index < len(self.pod_subnets):
                RouteTableAssociation(
                    self, f"pod-{index}-rta", subnet_id=self.pod_subnets[index].id, route_table_id=rt.id
                )
        # Intra subnets reach nothing outside the VPC.
        intra_rt = RouteTable(self, "intra-rt", vpc_id=self.vpc.id, tags={"Name": f"{s.name}-intra"})
        for index, subnet in enumerate(self.intra_subnets):
            RouteTableAssociation(self, f"intra-{index}-rta", subnet_id=subnet.id, route_table_id=intra_rt.id)

        self._flow_logs(s)
        self.vpc_id = self.vpc.id
        self.private_subnet_ids = [subnet.id for subnet in self.private_subnets]
        self.intra_subnet_ids = [subnet.id for subnet in self.intra_subnets]
        self.public_subnet_ids = [subnet.id for subnet in self.public_subnets]
        self.pod_subnet_ids = [subnet.id for subnet in self.pod_subnets]

    def _flow_logs(self, s: NetworkSettings) -> None:
        account = AccountContext(self, "account")
        key = EncryptionKey(
            self,
            "flow-logs-kms",
            account=account,
            alias=f"{s.name}-vpc-flow-logs",
            description=f"VPC flow logs of {s.name}",
            service_statements=[logs_service_statement(account)],
            protect=s.protect,
        )
        log_group = encrypted_log_group(
            self,
            "flow-logs",
            name=f"/aws/vpc-flow-logs/{s.name}",
            retention_days=s.flow_log_retention_days,
            kms_key_arn=key.arn,
        )
        trust = policy_document(
            self,
            "flow-logs-trust",
            [
                Statement(
                    sid="VpcFlowLogsAssume",
                    actions=["sts:AssumeRole"],
                    resources=(),
                    principals=[("Service", ["vpc-flow-logs.amazonaws.com"])],
                    conditions=[Condition("StringEquals", "aws:SourceAccount", [account.account_id])],
                )
            ],
        )
        role = IamRole(self, "flow-logs-role", name_prefix=f"{s.name}-flow-logs-", assume_role_policy=trust.json)
        write = policy_document(
            self,
            "flow-logs-write",
            [
                Statement(
                    sid="WriteFlowLogs",
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogGroups",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[log_group.arn, f"{log_group.arn}:*"],
                )
            ],
        )
        IamRolePolicy(self, "flow-logs-policy", role=role.id, policy=write.json)
        FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type=s.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
        )
