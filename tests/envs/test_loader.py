"""envs/loader.py and the schema: the shipped environments, selection, overrides, frozen models."""

from __future__ import annotations

from envs import load_environments
from envs.infrastructure import NatStrategy
from envs.loader import OVERRIDES, override_variable
from tests.conftest import FIXTURES


def test_shipped_environments_differ_the_way_real_ones_do() -> None:
    envs = {e.name: e for e in load_environments(FIXTURES)}
    assert set(envs) == {"dev", "staging", "prod"}
    dev, prod = envs["dev"], envs["prod"]
    assert dev.network.nat is NatStrategy.SINGLE and prod.network.nat is NatStrategy.PER_AZ
    assert dev.cluster.log_retention_days < prod.cluster.log_retention_days
    assert sorted(prod.cluster.log_types) == sorted(["api", "audit", "authenticator", "controllerManager", "scheduler"])
    assert prod.production and prod.deletion_protection and not dev.deletion_protection
    assert not prod.cluster.endpoint_public_access


def test_selection_and_folder_come_from_the_environment() -> None:
    assert [e.name for e in load_environments({**FIXTURES, "PLATFORM_ENVS": "prod, dev"})] == ["prod", "dev"]


def test_every_override_variable_lands_in_its_field() -> None:
    environ = {
        override_variable("dev", "ACCOUNT_ID"): "123456789012",
        override_variable("dev", "REGION"): "us-east-2",
        override_variable("dev", "STATE_BUCKET"): "acme-dev-state",
        override_variable(
            "dev", "ADMIN_PRINCIPAL_ARNS"
        ): "arn:aws:iam::123456789012:role/Admin, arn:aws:iam::123456789012:role/Ops",
        override_variable("dev", "ALARM_EMAIL"): "oncall@acme.test",
        override_variable("dev", "PUBLIC_ACCESS_CIDRS"): "198.51.100.0/24",
        override_variable("dev", "GITHUB_REPOSITORY"): "acme/platform",
        "PLATFORM_ENVS": "dev",
        **FIXTURES,
    }
    assert len(OVERRIDES) == 7
    (dev,) = load_environments(environ)
    assert dev.aws.account_id == "123456789012"
    assert dev.aws.region == "us-east-2"
    assert dev.state.bucket == "acme-dev-state"
    assert dev.cluster.admin_principal_arns == [
        "arn:aws:iam::123456789012:role/Admin",
        "arn:aws:iam::123456789012:role/Ops",
    ]
    assert dev.alarms.email == "oncall@acme.test"
    assert dev.cluster.public_access_cidrs == ["198.51.100.0/24"]
    assert dev.ci is not None and dev.ci.github_repository == "acme/platform"
    assert override_variable("my-env", "REGION") == "PLATFORM_MY_ENV_REGION"


def test_models_are_frozen() -> None:
    (dev,) = load_environments({**FIXTURES, "PLATFORM_ENVS": "dev"})
    try:
        dev.network.az_count = 5  # type: ignore[misc]
    except Exception as err:  # pydantic raises ValidationError for frozen instances
        assert "frozen" in str(err)
    else:
        raise AssertionError("environment config is mutable")
