"""`E-bootstrap`: the environment's state bucket (local backend)."""

from __future__ import annotations

from constructs import Construct

from envs import Environment
from modules.state_bucket import StateBucket
from stacks.base import EnvironmentStack


class BootstrapStack(EnvironmentStack):
    def __init__(self, scope: Construct, env: Environment) -> None:
        super().__init__(scope, env, "bootstrap", remote_state=False)
        self.state_bucket = StateBucket(self, "state", bucket_name=env.state.bucket)
