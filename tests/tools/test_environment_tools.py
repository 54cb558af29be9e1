"""The tools around environments: promotion order, new-env, preflight, the
bootstrap migration's refusals, and a partial synth keeping the others' stacks."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from envs import ConfigError
from tests.conftest import FIXTURE_ENVS, FIXTURES, Synth
from tools import environments, migrate_bootstrap, new_env, preflight


def envs_copy(tmp_path: Path) -> Path:
    target = tmp_path / "envs"
    target.mkdir()
    for path in FIXTURE_ENVS.glob("*.yaml"):
        shutil.copy(path, target)
    return target


def test_promotion_order_comes_from_deploy_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    envs_dir = envs_copy(tmp_path)
    os.environ["PLATFORM_ENVS_DIR"] = str(envs_dir)
    try:
        assert environments.main(["--json"]) == 0
        assert [row["environment"] for row in json.loads(capsys.readouterr().out)] == ["dev", "staging", "prod"]
        new_env.create("canary", "10.50.0.0/16", "prod", envs_dir)  # after prod: the highest order + 10
        assert environments.main([]) == 0
        assert capsys.readouterr().out.split() == ["dev", "staging", "prod", "canary"]
        assert environments.main(["--only", "nope"]) == 1
    finally:
        del os.environ["PLATFORM_ENVS_DIR"]


def test_new_env_copies_with_its_own_bucket_and_cidr(tmp_path: Path) -> None:
    envs_dir = envs_copy(tmp_path)
    path = new_env.create("eu-prod", "10.50.0.0/16", "prod", envs_dir)
    text = path.read_text()
    assert "bucket: example-platform-eu-prod-tfstate" in text and "vpc_cidr: 10.50.0.0/16" in text
    # prod names an account, which already has GitHub's OIDC provider (one per account).
    assert "oidc_provider: existing" in text
    assert "create_spot_service_linked_role: false" in text  # the account has that role once too
    with pytest.raises(ConfigError, match="exists already"):
        new_env.create("eu-prod", "10.60.0.0/16", "prod", envs_dir)
    with pytest.raises(ConfigError, match="not a DNS label"):
        new_env.create("EU_PROD", "10.60.0.0/16", "prod", envs_dir)
    with pytest.raises(ConfigError, match="not a valid IPv4 network"):
        new_env.create("qa", "10.60.0.0/33", "dev", envs_dir)
    assert not (envs_dir / "qa.yaml").exists()  # nothing half-written


def fake_tool(bin_dir: Path, name: str, stdout: str, code: int = 0) -> None:
    tool = bin_dir / name
    # Shell built-ins only: PATH holds nothing but these fakes.
    tool.write_text(f"#!/bin/sh\nprintf '%s\\n' '{stdout}'\nexit {code}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize(
    ("terraform", "account", "expected"),
    [
        ('{"terraform_version": "1.9.8"}', "333333333333", "too old"),
        ('{"terraform_version": "1.11.4"}', "111111111111", "are for account 111111111111"),
        ('{"terraform_version": "1.11.4"}', "333333333333", ""),
    ],
)
def test_preflight(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    terraform: str,
    account: str,
    expected: str,
) -> None:
    fake_tool(tmp_path, "terraform", terraform)
    fake_aws(tmp_path, account, role_tags=None)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLATFORM_ENVS_DIR", str(FIXTURE_ENVS))
    code = preflight.main(["prod"])
    err = capsys.readouterr().err
    if expected:
        assert code == 2 and expected in err and len(err.strip().splitlines()) == 1
    else:
        assert code == 0 and err == ""


def fake_aws(bin_dir: Path, account: str, role_tags: str | None) -> None:
    """sts get-caller-identity answers `account`; iam list-role-tags the tags, or NoSuchEntity."""
    tags = (
        "printf '%s\\n' 'An error occurred (NoSuchEntity) when calling the ListRoleTags operation' >&2; exit 254"
        if role_tags is None
        else f"printf '%s\\n' '{role_tags}'; exit 0"
    )
    tool = bin_dir / "aws"
    tool.write_text(
        f"#!/bin/sh\nif [ \"$1\" = iam ]; then {tags}; fi\nprintf '%s\\n' '{json.dumps({'Account': account})}'\n"
    )
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


def ours(env: str) -> str:
    return json.dumps(
        {"Tags": [{"Key": "Project", "Value": "eks-platform"}, {"Key": "Stack", "Value": f"{env}-bootstrap"}]}
    )


@pytest.mark.parametrize(
    ("role_tags", "expected"),
    [
        (None, ""),  # no role yet: the bootstrap stack creates it
        (ours("prod"), ""),  # the one prod's bootstrap created
        (json.dumps({"Tags": []}), "already has AWSServiceRoleForEC2Spot, not created by prod-bootstrap"),
        (ours("staging"), "already has AWSServiceRoleForEC2Spot, not created by prod-bootstrap"),
    ],
    ids=["absent", "ours", "made by the console", "another environment's"],
)
def test_preflight_refuses_a_second_spot_role(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    role_tags: str | None,
    expected: str,
) -> None:
    fake_tool(tmp_path, "terraform", '{"terraform_version": "1.11.4"}')
    fake_aws(tmp_path, "333333333333", role_tags)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PLATFORM_ENVS_DIR", str(FIXTURE_ENVS))  # prod creates the role
    code = preflight.main(["prod"])
    err = capsys.readouterr().err
    if expected:
        assert code == 2 and expected in err and "create_spot_service_linked_role: false" in err
        assert len(err.strip().splitlines()) == 1
    else:
        assert code == 0 and err == ""


def test_migrate_bootstrap_refuses_until_the_config_says_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_ENVS_DIR", str(FIXTURE_ENVS))
    with pytest.raises(migrate_bootstrap.MigrationError, match=r"set state\.bootstrap_backend: s3"):
        migrate_bootstrap.migrate("dev", tmp_path, lambda args: pytest.fail("no terraform call expected"))


def test_a_partial_synth_keeps_the_other_environments(synth: Synth, tmp_path: Path) -> None:
    import main

    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(synth.outdir, old)
    (new / "stacks").mkdir(parents=True)
    manifest = json.loads((old / "manifest.json").read_text())
    dev_only = {n: e for n, e in manifest["stacks"].items() if n.startswith("dev-")}
    for name in dev_only:
        shutil.copytree(old / "stacks" / name, new / "stacks" / name)
    (new / "manifest.json").write_text(json.dumps({**manifest, "stacks": dev_only}))
    main._keep_other_environments(old, new, {"dev"})
    kept = json.loads((new / "manifest.json").read_text())["stacks"]
    assert set(kept) == set(manifest["stacks"])
    assert (new / "stacks" / "prod-cluster" / "cdk.tf.json").read_bytes() == (
        old / "stacks" / "prod-cluster" / "cdk.tf.json"
    ).read_bytes()
    assert FIXTURES  # the shared synth is of the fixture environments
