"""stacks/base.py on the shared synth: every stack's backend (S3 with the state key and
native locking, local for bootstrap) and AWS provider (default tags, account guard)."""

from __future__ import annotations

import pytest

from tests.conftest import ENV_NAMES, Synth


@pytest.mark.parametrize("env", ENV_NAMES)
def test_backends(synth: Synth, env: str) -> None:
    assert synth.stack(f"{env}-bootstrap")["terraform"]["backend"] == {
        "local": {"path": f"../../../terraform.{env}-bootstrap.tfstate"}
    }
    for name, doc in synth.stacks.items():
        if name.startswith(f"{env}-") and name != f"{env}-bootstrap":
            assert doc["terraform"]["backend"] == {
                "s3": {
                    "bucket": f"example-platform-{env}-tfstate",
                    "key": f"{name}/terraform.tfstate",
                    "region": "eu-west-1",
                    "encrypt": True,
                    # The environment's state key, by alias: without it Terraform writes SSE-S3.
                    "kms_key_id": f"alias/example-platform-{env}-tfstate-state",
                    "use_lockfile": True,
                }
            }


def test_providers_tag_everything_and_guard_the_account(synth: Synth) -> None:
    accounts = {"dev": None, "staging": ["222222222222"], "prod": ["333333333333"]}
    without_aws = {n for n, doc in synth.stacks.items() if "aws" not in doc.get("provider", {})}
    assert without_aws == {f"{e}-{layer}" for e in ENV_NAMES for layer in ("addons", "apps")}
    for name, doc in synth.stacks.items():
        if name in without_aws:
            continue
        env = name.split("-")[0]
        (aws,) = doc["provider"]["aws"]
        assert aws["default_tags"] == [
            {"tags": {"Project": "eks-platform", "Environment": env, "Stack": name, "ManagedBy": "cdktf"}}
        ]
        assert aws.get("allowed_account_ids") == accounts[env]
        assert aws["region"] == "eu-west-1"


def test_state_key_alias_is_what_the_backends_name(synth: Synth) -> None:
    for env in ENV_NAMES:
        (alias,) = synth.resources(f"{env}-bootstrap", "aws_kms_alias").values()
        backend = synth.stack(f"{env}-cluster")["terraform"]["backend"]["s3"]
        assert backend["kms_key_id"] == alias["name"] == f"alias/example-platform-{env}-tfstate-state"
