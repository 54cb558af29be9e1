"""Builds the cdktf App: for each environment, its stacks in dependency order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import App, TerraformStack

from envs import Environment
from modules.policies import BestPractices, add_best_practices
from stacks.addons import AddonsStack
from stacks.apps import AppsStack
from stacks.bootstrap import BootstrapStack
from stacks.cluster import ClusterStack
from stacks.network import NetworkStack
from stacks.platform import PlatformStack
from stacks.storage import StorageStack


@dataclass
class EnvironmentStacks:
    bootstrap: BootstrapStack
    network: NetworkStack
    storage: StorageStack
    cluster: ClusterStack
    addons: AddonsStack
    platform: PlatformStack
    apps: AppsStack

    def all(self) -> list[TerraformStack]:
        return [self.bootstrap, self.network, self.storage, self.cluster, self.addons, self.platform, self.apps]


@dataclass
class PlatformApp:
    app: App
    rules: BestPractices
    environments: dict[str, EnvironmentStacks]


def build_environment(app: App, env: Environment) -> EnvironmentStacks:
    bootstrap = BootstrapStack(app, env)
    network = NetworkStack(app, env)
    storage = StorageStack(app, env, network.network)
    cluster = ClusterStack(app, env, network.network, storage)
    addons = AddonsStack(app, env, cluster)
    platform = PlatformStack(app, env, network.network, storage, cluster, addons)
    apps = AppsStack(app, env, cluster, platform)
    return EnvironmentStacks(
        bootstrap=bootstrap,
        network=network,
        storage=storage,
        cluster=cluster,
        addons=addons,
        platform=platform,
        apps=apps,
    )


def build_app(environments: Sequence[Environment], outdir: str) -> PlatformApp:
    app = App(outdir=outdir, skip_validation=False)
    stacks = {env.name: build_environment(app, env) for env in environments}
    return PlatformApp(app=app, rules=add_best_practices(app), environments=stacks)
