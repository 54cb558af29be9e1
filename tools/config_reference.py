"""Writes the configuration reference (docs/configuration.md) and the JSON Schema
editors complete environment files with (envs/environment.schema.json), both
generated from the pydantic models in envs/: every key with its type, default and
the description its field carries.

  python -m tools.config_reference            write both
  python -m tools.config_reference --check    exit 1 if either is stale (CI)

An environment file points its editor at the schema with its first line:
  # yaml-language-server: $schema=./environment.schema.json
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo

from envs import Environment
from envs.loader import OVERRIDES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "configuration.md"
SCHEMA = ROOT / "envs" / "environment.schema.json"
SCHEMA_LINE = f"# yaml-language-server: $schema=./{SCHEMA.name}"
HIDDEN = ("name",)  # Environment fields that come from the file name, not the file
_CONSTRAINTS = {annotated_types.Ge: ">=", annotated_types.Gt: ">", annotated_types.Le: "<=", annotated_types.Lt: "<"}


@dataclass(frozen=True)
class Row:
    path: str  # dotted; `[]` steps into each item of a list
    type: str
    default: str
    description: str


def _flatten(metadata: Sequence[Any]) -> list[Any]:
    """Constraints and validators, with those of a nested FieldInfo (Annotated inside a union) unpacked."""
    found: list[Any] = []
    for item in metadata:
        found += _flatten(item.metadata) if isinstance(item, FieldInfo) else [item]
    return found


def _limits(metadata: Sequence[Any]) -> list[str]:
    found = []
    for item in metadata:
        for kind, symbol in _CONSTRAINTS.items():
            if isinstance(item, kind):
                found.append(f"{symbol} {getattr(item, kind.__name__.lower())}")
        if isinstance(item, annotated_types.MinLen):
            found.append(f"at least {item.min_length}")
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            found.append(f"matching `{pattern}`")
    return found


def _label(metadata: Sequence[Any]) -> str | None:
    """What a validated value is, from its validator's docstring ("an IPv4 CIDR ..." -> "IPv4 CIDR ...")."""
    for item in metadata:
        if isinstance(item, AfterValidator) and item.func.__doc__:
            text = item.func.__doc__.strip()
            return text.removeprefix("a ").removeprefix("an ")
    return None


def render_type(annotation: Any, metadata: Sequence[Any] = ()) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return render_type(args[0], [*args[1:], *metadata])
    flat = _flatten(metadata)
    text = _label(flat)
    if text is None and origin in (Union, types.UnionType):
        members = [render_type(a) for a in args if a is not type(None)]
        text = " or ".join(members) + (" or null" if type(None) in args else "")
    elif text is None and origin is Literal:
        text = "one of " + ", ".join(str(a) for a in args)
    elif text is None and isinstance(annotation, type) and issubclass(annotation, Enum):
        text = "one of " + ", ".join(str(m.value) for m in annotation)
    elif text is None and origin is list:
        text = f"list of {render_type(args[0])}"
    elif text is None and origin is dict:
        text = f"map of {render_type(args[0])} to {render_type(args[1])}"
    elif text is None and isinstance(annotation, type) and issubclass(annotation, BaseModel):
        text = "mapping"
    elif text is None:
        names = {str: "string", int: "integer", bool: "boolean", float: "number"}
        text = names.get(annotation, getattr(annotation, "__name__", str(annotation)))
    limits = _limits(flat)
    return f"{text} ({', '.join(limits)})" if limits else text


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {k: _plain(getattr(value, k)) for k in value.model_dump(exclude_defaults=True)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value.value if isinstance(value, Enum) else value


def render_default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = _plain(field.get_default(call_default_factory=True))
    if value == {} and isinstance(field.default, BaseModel):
        return "each key's default"
    return f"`{json.dumps(value)}`"


def _models_inside(annotation: Any) -> Iterator[tuple[str, type[BaseModel]]]:
    """(path step, model) for a model, an optional model, a list or a map of models."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        yield from _models_inside(args[0])
    elif origin in (Union, types.UnionType):
        for member in args:
            yield from _models_inside(member)
    elif origin is list:
        yield from (("[]" + step, model) for step, model in _models_inside(args[0]))
    elif origin is dict:
        yield from ((".<key>" + step, model) for step, model in _models_inside(args[1]))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield "", annotation


def rows(model: type[BaseModel] = Environment, prefix: str = "") -> Iterator[Row]:
    """Every key under `model`, depth first in schema order."""
    overrides = {".".join(path): key for key, (path, _) in OVERRIDES.items()}
    for name, field in model.model_fields.items():
        if model is Environment and name in HIDDEN:
            continue
        path = f"{prefix}{name}"
        description = (field.description or "").strip()
        if path in overrides:
            description += f" Override: `PLATFORM_<ENV>_{overrides[path]}`."
        yield Row(path, render_type(field.annotation, field.metadata), render_default(field), description)
        for step, inner in _models_inside(field.annotation):
            yield from rows(inner, f"{path}{step}.")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def reference_markdown() -> str:
    sections: dict[str, list[Row]] = {}
    for row in rows():
        top = row.path.split(".")[0].split("[")[0]
        nested = any(True for _ in _models_inside(Environment.model_fields[top].annotation))
        sections.setdefault(f"`{top}`" if nested else "Top level", []).append(row)
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m tools.config_reference` from the field descriptions in envs/*.py:",
        "     edit those, then regenerate; tests/envs/test_reference.py fails while this file is stale. -->",
        "",
        "One YAML file per environment in `envs/`; the file name is the environment's name. Every key below,",
        "as a dotted path (`a[].b`: key `b` of each item of list `a`), with its type, its default (`required`:",
        "none) and what it is for. Unknown keys are refused, and a mistake stops synth with one line naming",
        "the file, the key and the reason. Editors complete and check keys with the JSON Schema",
        f"`envs/{SCHEMA.name}`, named by the first line of each environment file:",
        "",
        f"    {SCHEMA_LINE}",
        "",
    ]
    for title, section in sections.items():
        out += [f"## {title}", "", "| key | type | default | description |", "|---|---|---|---|"]
        out += [f"| `{r.path}` | {_cell(r.type)} | {_cell(r.default)} | {_cell(r.description)} |" for r in section]
        out.append("")
    return "\n".join(out)


def json_schema() -> dict[str, Any]:
    schema = Environment.model_json_schema()
    for name in HIDDEN:
        schema["properties"].pop(name)
        schema["required"].remove(name)
    comment = "Generated by `python -m tools.config_reference` from envs/*.py; do not edit."
    return {"$comment": comment, **schema}


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2) + "\n"


def outputs(root: Path = ROOT) -> dict[Path, str]:
    return {
        root / DOCS.relative_to(ROOT): reference_markdown(),
        root / SCHEMA.relative_to(ROOT): json_schema_text(),
    }


def stale(root: Path = ROOT) -> list[Path]:
    return [p for p, text in outputs(root).items() if not p.is_file() or p.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        for path in stale(args.root):
            print(f"{path}: stale; run python -m tools.config_reference", file=sys.stderr)
        return 1 if stale(args.root) else 0
    for path, text in outputs(args.root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
