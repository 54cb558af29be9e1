"""Schema of the infrastructure layer: account, state, alarms, the VPC CNI and
storage here; the network (envs/network.py) and the cluster (envs/cluster.py)
beside it, re-exported from this module."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from envs.cluster import Cluster, NodeGroup
from envs.fields import AccountId, BucketName, Email, FieldError, Frozen, PositiveInt, Region
from envs.hints import closest
from envs.network import FlowLogs, NatStrategy, Network, SecondaryCidr, SubnetSizes
from planning.control_plane_filters import FILTER_NAMES
from planning.ip_capacity import CniMode

__all__ = [
    "Alarms",
    "Aws",
    "Cluster",
    "Cni",
    "Efs",
    "FlowLogs",
    "NatStrategy",
    "Network",
    "NodeGroup",
    "Observability",
    "SecondaryCidr",
    "State",
    "Storage",
    "SubnetSizes",
]


class Aws(Frozen):
    region: Region = Field(
        description="AWS region of every stack of this environment; checked against botocore's region list."
    )
    account_id: AccountId | None = Field(
        None,
        description='The only AWS account the provider may touch (12 digits, quoted: "012345678901"), so a '
        "dev configuration can never change prod; null: whatever account the credentials are in.",
    )
    create_spot_service_linked_role: bool = Field(
        False,
        description="Create the EC2 Spot service-linked role in E-bootstrap: Spot launches fail in an account that "
        "never ran Spot without it. An account holds it once (IAM refuses a second): true in one environment "
        "per account, and only where the account lacks it.",
    )


class State(Frozen):
    bucket: BucketName = Field(
        description="S3 bucket the E-bootstrap stack creates for this environment's Terraform state; one per "
        "environment."
    )
    bootstrap_backend: Literal["local", "s3"] = Field(
        "local",
        description="Where E-bootstrap keeps its own state: local (a file in the project root) for a new "
        "environment, whose bucket does not exist yet; s3 once `make migrate-bootstrap` has moved it there.",
    )


class Alarms(Frozen):
    email: Email | None = Field(
        None, description="Address subscribed to the alarm topic; null: alarms fire with nobody notified."
    )
    period_seconds: Annotated[int, Field(ge=60)] = Field(
        300, description="Period of every alarm in seconds (a multiple of 60): longer is calmer but slower."
    )
    evaluation_periods: PositiveInt = Field(
        1, description="Consecutive periods over the threshold before an alarm fires."
    )
    thresholds: dict[str, PositiveInt] = Field(
        {},
        description="Threshold per control-plane metric filter, in events per period (docs/observability.md); "
        f"filters not listed use their default. Filters: {', '.join(FILTER_NAMES)}.",
    )
    ip_utilisation_percent: Annotated[int, Field(ge=1, le=100)] = Field(
        80,
        description="VPC CNI alarms fire when assigned/total IPs or attached/attachable ENIs go above this "
        "percentage: the warning before pods stop getting addresses.",
    )

    @model_validator(mode="after")
    def _check_period(self) -> Alarms:
        unknown = sorted(set(self.thresholds) - set(FILTER_NAMES))
        if unknown:
            match = closest(unknown[0], FILTER_NAMES)
            hint = f": did you mean '{match}'?" if match else f" (known: {', '.join(FILTER_NAMES)})"
            raise FieldError(f"thresholds.{unknown[0]}", f"no metric filter of this name{hint}")
        if self.period_seconds % 60:
            raise FieldError("period_seconds", f"{self.period_seconds} is not a multiple of 60")
        return self


class Observability(Frozen):
    container_insights: bool = Field(
        False,
        description="Container Insights with enhanced observability: the amazon-cloudwatch-observability EKS "
        "add-on (CloudWatch agent and Fluent Bit) with per-pod, node and cluster metrics and the containers' "
        "logs, in log groups created first with cluster.log_retention_days and the cluster's logs key "
        "(docs/observability.md). Ingestion is priced by usage.",
    )
    right_sizing_advice: bool = Field(
        True,
        description="The Vertical Pod Autoscaler's recommender on the system nodes and a VerticalPodAutoscaler "
        "in recommendation mode (updateMode Off: nothing is evicted or resized) per workload; "
        "`kubectl describe vpa` shows the advised requests (docs/observability.md).",
    )


class Cni(Frozen):
    """VPC CNI settings (the vpc-cni add-on) and the IP plan's assumptions."""

    prefix_delegation: bool = Field(
        True,
        description="Assign /28 prefixes to ENIs instead of single IPs: many more pods per node and fewer EC2 "
        "API calls, but each prefix needs a free aligned /28 in the subnet.",
    )
    warm_prefix_target: Annotated[int, Field(ge=0, le=16)] | None = Field(
        None,
        description="Spare /28 prefixes each node keeps attached (prefix mode only); null: 1 unless "
        "warm_ip_target is set. More is faster pod start, fewer free addresses.",
    )
    warm_ip_target: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Spare IPs each node keeps; null: the CNI default. Contradicts warm_prefix_target."
    )
    minimum_ip_target: Annotated[int, Field(ge=0)] | None = Field(
        None, description="IPs each node holds at least, for nodes that start many pods at once; null: none."
    )
    custom_networking: bool = Field(
        False,
        description="Pods take addresses in network.secondary_cidr's pod subnets (an ENIConfig per AZ) instead "
        "of the node subnets; needs network.secondary_cidr.",
    )
    max_pods: Annotated[int, Field(ge=8, le=250)] | None = Field(
        None,
        description="Max pods per node, for every node; null: the most every node kind can address (capped at "
        "110 below 30 vCPUs). Lower it to need fewer addresses.",
    )
    reserved_ips_per_subnet: Annotated[int, Field(ge=0)] = Field(
        32, description="Addresses each node subnet keeps for load balancers and endpoint ENIs in the IP plan."
    )
    warning_percent: Annotated[int, Field(ge=1, le=100)] = Field(
        80, description="`make ip-plan` warns when a subnet would be more used than this at maximum scale."
    )

    @model_validator(mode="after")
    def _check_warm_targets(self) -> Cni:
        if self.warm_prefix_target is not None and not self.prefix_delegation:
            raise FieldError("warm_prefix_target", "only applies with prefix_delegation on")
        if self.warm_prefix_target is not None and self.warm_ip_target is not None:
            raise FieldError(
                "warm_ip_target",
                "contradicts warm_prefix_target: with both set the CNI ignores WARM_PREFIX_TARGET; set one",
            )
        if (
            self.warm_ip_target is not None
            and self.minimum_ip_target is not None
            and self.minimum_ip_target < self.warm_ip_target
        ):
            raise FieldError("minimum_ip_target", "is below warm_ip_target, so it never takes effect")
        return self

    def mode(self) -> CniMode:
        warm_prefix = self.warm_prefix_target
        if self.prefix_delegation and warm_prefix is None and self.warm_ip_target is None:
            warm_prefix = 1
        return CniMode(
            prefix_delegation=self.prefix_delegation,
            custom_networking=self.custom_networking,
            warm_prefix_target=warm_prefix,
            warm_ip_target=self.warm_ip_target,
            minimum_ip_target=self.minimum_ip_target,
        )


class Efs(Frozen):
    enabled: bool = Field(
        False, description="Create an encrypted EFS file system with mount targets and its StorageClass."
    )
    transition_to_ia: Literal[
        "AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS"
    ] = Field("AFTER_30_DAYS", description="When unread files move to Infrequent Access: cheaper storage, paid reads.")
    throughput_mode: Literal["elastic", "bursting"] = Field(
        "elastic", description="EFS throughput: elastic (pay per use, scales) or bursting (tied to size)."
    )


class Storage(Frozen):
    volume_type: Literal["gp3", "io2", "io1", "gp2", "st1", "sc1"] = Field(
        "gp3", description="EBS volume type of the default StorageClass (named after it); gp3 is the cheapest SSD."
    )
    efs: Efs = Field(Efs(), description="Optional EFS for ReadWriteMany volumes; off by default.")
