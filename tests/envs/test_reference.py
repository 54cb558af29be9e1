"""docs/configuration.md and envs/environment.schema.json are generated from the
schema (tools/config_reference.py): they are current, every key has a
description, and the shipped environment files point their editors at the schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from envs import Environment, load_environments
from tests.conftest import ROOT
from tools import config_reference
from tools.config_reference import DOCS, SCHEMA, SCHEMA_LINE

SHIPPED = sorted((ROOT / "envs").glob("*.yaml"))


def models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in models_in(arg)]


def every_key(model: type[BaseModel] = Environment, prefix: str = "") -> Iterator[tuple[str, str | None]]:
    """(dotted path, description) of every key, `[]` stepping into list items."""
    for name, field in model.model_fields.items():
        path = prefix + name
        yield path, field.description
        for inner in models_in(field.annotation):
            step = "[]." if "list[" in str(field.annotation) else "."
            yield from every_key(inner, path + step)


def test_the_reference_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == config_reference.reference_markdown(), (
        "docs/configuration.md is stale: run python -m tools.config_reference"
    )


def test_the_json_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == config_reference.json_schema_text(), (
        "envs/environment.schema.json is stale: run python -m tools.config_reference"
    )


def test_every_key_has_a_one_line_description() -> None:
    missing = [path for path, description in every_key() if not (description and description.strip())]
    assert missing == []
    multi_line = [path for path, description in every_key() if description and "\n" in description]
    assert multi_line == []


def test_every_key_is_in_the_reference_but_name() -> None:
    documented = DOCS.read_text(encoding="utf-8")
    absent = [path for path, _ in every_key() if f"| `{path}` |" not in documented]
    assert absent == ["name"]  # the file name, never a key


def test_check_reports_stale_files_and_writing_fixes_them(tmp_path: Path) -> None:
    assert config_reference.main(["--check", "--root", str(tmp_path)]) == 1
    assert config_reference.main(["--root", str(tmp_path)]) == 0
    assert config_reference.main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "docs" / DOCS.name).write_text("edited by hand\n")
    assert config_reference.stale(tmp_path) == [tmp_path / "docs" / DOCS.name]


def test_the_schema_leaves_out_name_and_forbids_unknown_keys() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert "name" not in schema["properties"] and "name" not in schema["required"]
    assert schema["additionalProperties"] is False
    assert "eu-west-1" in schema["$defs"]["Aws"]["properties"]["region"]["enum"]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_files_name_the_schema_and_pass_it(path: Path) -> None:
    # The editor comment is the user's choice (new-env copies it); where present it names the schema.
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    if first_line.startswith("# yaml-language-server:"):
        assert first_line == SCHEMA_LINE
        assert (path.parent / first_line.split("$schema=", 1)[1]).resolve() == SCHEMA.resolve()
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))] == []


def test_the_schema_flags_what_the_loader_refuses() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    bad = {
        "aws": {"region": "eu-wset-1"},
        "state": {"bucket": "acme-qa-tfstate"},
        "network": {"vpc_cidr": "10.0.0.0/16", "nat_gatway": 1},
        "cluster": {"kubernetes_version": 1.3},
        "karpenter": {"ami_alias": "al2023@v20261015", "node_pools": []},
    }
    where = sorted(".".join(str(p) for p in e.absolute_path) for e in validator.iter_errors(bad))
    assert where == ["aws.region", "cluster.kubernetes_version", "karpenter.node_pools", "network"]


def test_the_shipped_environments_still_load() -> None:
    assert {e.name for e in load_environments({})} == {p.stem for p in SHIPPED}
