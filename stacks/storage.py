"""`E-storage`: persistent data, in its own long-lived stack (infrastructure
layer). Reads `E-network` only: nothing here depends on the cluster, so the
cluster can be replaced without touching data."""

from __future__ import annotations

from constructs import Construct

from envs import Environment
from modules.base.kms import AccountContext
from modules.network.vpc import Network
from modules.storage.data_key import data_key
from modules.storage.efs import EfsFileSystemWithAccess, EfsSettings
from stacks.base import EnvironmentStack


class StorageStack(EnvironmentStack):
    def __init__(self, scope: Construct, env: Environment, network: Network) -> None:
        super().__init__(scope, env, "storage")
        account = AccountContext(self, "account")
        self.data_key = data_key(self, name=env.name, account=account, protect=env.deletion_protection)
        self.efs: EfsFileSystemWithAccess | None = None
        efs = env.storage.efs
        if efs.enabled:
            self.efs = EfsFileSystemWithAccess(
                self,
                "efs",
                EfsSettings(
                    name=f"{env.name}-shared",
                    vpc_id=network.vpc_id,
                    subnet_ids=network.private_subnet_ids,
                    client_cidrs=env.network.subnet_plan().private,
                    kms_key_arn=self.data_key.arn,
                    transition_to_ia=efs.transition_to_ia,
                    throughput_mode=efs.throughput_mode,
                    protect=env.deletion_protection,
                ),
            )
