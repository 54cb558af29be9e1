"""Builds the cdktf App: for each environment, its seven stacks in dependency order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import App

from envs import Environment
from modules.best_practices import BestPractices, add_best_practices
from stacks.addons import AddonsStack
from stacks.apps import AppsStack
from stacks.bootstrap import BootstrapStack
from stacks.cluster import ClusterStack
from stacks.network import NetworkStack
from stacks.platform import PlatformStack
from stacks.storage import StorageStack


@dataclass
class PlatformApp:
    app: App
    rules: BestPractices


def build_environment(app: App, env: Environment) -> None:
    BootstrapStack(app, env)
    network = NetworkStack(app, env)
    storage = StorageStack(app, env, network.network)
    cluster = ClusterStack(app, env, network.network, storage)
    addons = AddonsStack(app, env, cluster)
    platform = PlatformStack(app, env, storage, cluster, addons)
    AppsStack(app, env, cluster, addons, platform)


def build_app(environments: Sequence[Environment], outdir: str) -> PlatformApp:
    app = App(outdir=outdir, skip_validation=False)
    for env in environments:
        build_environment(app, env)
    return PlatformApp(app=app, rules=add_best_practices(app))
