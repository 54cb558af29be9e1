"""Turns pydantic's reasons into what to change: YAML's type traps (1.30 read as
the number 1.3, yes as true, 012 as an octal number), and "did you mean" for an
unknown key or a value outside a fixed set.

The traps are found by reading the file a second time with YAML's BaseLoader,
which keeps every scalar as the text that was written."""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

YAML_TRAP = "YAML reads"
# Parts pydantic adds to an error's location for a member of a union or a dict
# key ('str', 'int', '[key]', 'function-after[...]'): not keys of the file.
_TAGS = {"str", "int", "float", "bool", "none"}


def raw_document(text: str) -> Any:
    """The file with every scalar as written (None if it does not parse)."""
    try:
        return yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds only str, list, dict
    except yaml.YAMLError:
        return None


def field_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    return tuple(p for p in loc if not (isinstance(p, str) and (p in _TAGS or "[" in p)))


def raw_scalar(document: Any, loc: Sequence[str | int]) -> str | None:
    node = document
    for part in loc:
        if isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node if isinstance(node, str) else None


def closest(word: str, names: Sequence[str]) -> str | None:
    """A name close enough to be what was meant: similar spelling, or the same
    first word (`nat_gateway` for `nat`, `account` for `account_id`)."""
    match = difflib.get_close_matches(word, names, n=1, cutoff=0.75)
    if match:
        return match[0]
    prefixed = [n for n in names if word.startswith(f"{n}_") or n.startswith(f"{word}_")]
    return prefixed[0] if len(prefixed) == 1 else None


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, ...] -> X; X | None -> X; a union with one model -> that model."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if len(members) == 1:
                annotation = members[0]
            else:
                return models[0] if len(models) == 1 else annotation
        else:
            return annotation


def model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model whose keys live at `loc` in the file (lists and maps stepped through)."""
    annotation: Any = root
    for part in loc:
        annotation = _unwrap(annotation)
        origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and part in annotation.model_fields:
            annotation = annotation.model_fields[str(part)].annotation
        elif origin is list and isinstance(part, int):
            annotation = get_args(annotation)[0]
        elif origin is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def unknown_key(root: type[BaseModel], loc: Sequence[str | int], hidden: Sequence[str] = ()) -> tuple[str, str | None]:
    """The reason for an unknown key at `loc`, and the key it probably meant."""
    model = model_at(root, loc[:-1])
    if model is None:
        return "unknown key (not in the schema; check its spelling)", None
    names = [n for n in model.model_fields if not (model is root and n in hidden)]
    match = closest(str(loc[-1]), names)
    if match:
        return f"unknown key (not in the schema): did you mean '{match}'?", match
    return f"unknown key (not in the schema; keys here: {', '.join(names)})", None


def yaml_trap(kind: str, value: Any, raw: str | None, expected: Sequence[str] = ()) -> str | None:
    """Where text was expected but YAML read something else from what was written."""
    if raw is None or isinstance(value, str):
        return None
    if not (kind == "string_type" or (kind in ("literal_error", "enum") and raw in expected)):
        return None
    if value is None:
        return f"{YAML_TRAP} {raw or 'an empty value'} as null: give a value"
    if isinstance(value, bool):
        read = f"the boolean {str(value).lower()}"
    elif isinstance(value, int | float):
        octal = isinstance(value, int) and len(raw.lstrip("+-")) > 1 and raw.lstrip("+-").startswith("0")
        read = f"the {'octal ' if octal else ''}number {value}" if str(value) != raw else "a number"
    else:
        return None
    return f'{YAML_TRAP} {raw} as {read}, not text: write it quoted: "{raw}"'


def explain(error: Mapping[str, Any], raw: str | None) -> str:
    """pydantic's reason for one error, or the YAML trap behind it, with the closest allowed value."""
    kind, value = error["type"], error.get("input")
    expected = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
    trap = yaml_trap(kind, value, raw, expected)
    if trap:
        return trap
    reason = str(error["msg"])
    match = closest(value, expected) if kind in ("literal_error", "enum") and isinstance(value, str) else None
    return f"{reason}: did you mean '{match}'?" if match else reason
