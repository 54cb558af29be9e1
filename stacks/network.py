"""`E-network`: the VPC, kept in its own long-lived stack (infrastructure layer)."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from envs import Environment
from modules.network.vpc import Network, NetworkSettings
from stacks.base import EnvironmentStack


class NetworkStack(EnvironmentStack):
    def __init__(self, scope: Construct, env: Environment) -> None:
        super().__init__(scope, env, "network")
        self.network = Network(
            self,
            "network",
            NetworkSettings(
                name=env.name,
                cluster_name=env.cluster_name,
                plan=env.network.subnet_plan(),
                single_nat_gateway=env.network.nat.value == "single",
                flow_log_retention_days=env.network.flow_logs.retention_days,
                flow_log_traffic_type=env.network.flow_logs.traffic_type,
                protect=env.deletion_protection,
            ),
        )
        # For people (`cdktf output`); later stacks use cross-stack references instead.
        TerraformOutput(self, "vpc_id", value=self.network.vpc_id)
        TerraformOutput(self, "private_subnet_ids", value=self.network.private_subnet_ids)
