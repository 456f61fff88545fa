"""docs/configuration.md, written from the settings model: every key with
its type, its default (from config/defaults.toml, else the model's) and its
description. `closeloop settings-reference --output docs/configuration.md`
writes it; a test checks that the committed page is what this writes."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from config.settings import Settings, load_settings

HEADER = """# Configuration

closeloop reads `config/defaults.toml`, then one TOML file (`--config PATH`
or `$CLOSELOOP_CONFIG`), then `CLOSELOOP_*` environment variables: each
overrides the one before. An environment variable names the section and the
key with two underscores between them, `CLOSELOOP_WEB__PORT=9000` for
`web.port` (one underscore after the section works too:
`CLOSELOOP_DATABASE_URL`); a list or table is given as JSON. A value that is
not allowed stops start-up with the key, the value and what is allowed.
Credentials and tokens are references, `env:NAME` or `file:PATH`, resolved
when they are used.

This page is written from the settings model by
`closeloop settings-reference --output docs/configuration.md`.
"""

LONG_DEFAULT = 60


def reference() -> str:
    """The whole page, in Markdown."""
    defaults = load_settings(env={}).model_dump(mode="json")
    parts = [HEADER]
    for name, field in Settings.model_fields.items():
        parts.append(_section(name, field, defaults.get(name)))
    return "\n".join(parts).rstrip() + "\n"


def described_keys() -> Iterator[tuple[str, FieldInfo]]:
    """Every key the settings model has, with its field, items of tables
    and lists written as `<name>` and `[]`."""
    for name, field in Settings.model_fields.items():
        yield name, field
        yield from _keys_under(name, field.annotation)


def _keys_under(prefix: str, annotation: Any) -> Iterator[tuple[str, FieldInfo]]:
    model, where = _model_in(annotation)
    if model is None:
        return
    for name, field in model.model_fields.items():
        key = f"{prefix}{where}.{name}"
        yield key, field
        yield from _keys_under(key, field.annotation)


def _model_in(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The settings model an annotation holds, and how its keys are
    reached: directly, through a table of names or through a list."""
    annotation = _unwrapped(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        model, _ = _model_in(args[1])
        return model, ".<name>"
    if origin is tuple and args:
        model, _ = _model_in(args[0])
        return model, "[]"
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            model, where = _model_in(arg)
            if model is not None:
                return model, where
    return None, ""


def _unwrapped(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _section(name: str, field: FieldInfo, default: Any) -> str:
    model, where = _model_in(field.annotation)
    lines = [f"## `{name}`", "", field.description or "", ""]
    if where == ".<name>":
        named = ", ".join(f"`[{name}.{key}]`" for key in default or {})
        lines += [f"A table per name, `[{name}.<name>]`" + (f"; by default {named}." if named else "."), ""]
    elif where == "[]":
        lines += [f"A list of tables, `[[{name}]]`.", ""]
    lines += ["| key | type | default | description |", "|---|---|---|---|"]
    if model is None:
        lines.append(_row(name, field, default))
    else:
        lines += _rows(f"{name}{where}", model, default if where == "" else None)
    return "\n".join(lines) + "\n"


def _rows(prefix: str, model: type[BaseModel], defaults: Mapping[str, Any] | None) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}"
        default = defaults.get(name, _model_default(field)) if defaults is not None else _model_default(field)
        rows.append(_row(key, field, default))
        inner, where = _model_in(field.annotation)
        if inner is not None:
            rows += _rows(f"{key}{where}", inner, default if where == "" and isinstance(default, Mapping) else None)
    return rows


def _model_default(field: FieldInfo) -> Any:
    if field.default is PydanticUndefined:
        return PydanticUndefined
    default = field.default
    return default.model_dump(mode="json") if isinstance(default, BaseModel) else default


def _row(key: str, field: FieldInfo, default: Any) -> str:
    cells = [f"`{key}`", type_of(field), _shown(default), field.description or ""]
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def type_of(field: FieldInfo) -> str:
    """The type in words, with its bounds."""
    words = _type_words(field.annotation)
    bounds, lowest = [], None
    for rule in field.metadata:
        if isinstance(rule, Ge):
            lowest = f"from {rule.ge}"
        elif isinstance(rule, Gt):
            lowest = f"above {rule.gt}"
        elif isinstance(rule, Le):
            bounds.append(f"to {rule.le}" if lowest and lowest.startswith("from") else f"at most {rule.le}")
        elif isinstance(rule, Lt):
            bounds.append(f"below {rule.lt}")
        elif isinstance(rule, MinLen) and rule.min_length > 0:
            bounds.append(f"at least {rule.min_length} long")
        elif isinstance(rule, MaxLen):
            bounds.append(f"at most {rule.max_length} long")
        elif getattr(rule, "pattern", None):
            bounds.append(f"matching `{rule.pattern}`")
    if lowest:
        bounds.insert(0, lowest)
    shown = ", ".join(bounds).replace(", to ", " to ")
    return f"{words}, {shown}" if shown else words


def _type_words(annotation: Any) -> str:
    annotation = _unwrapped(annotation)
    simple = {str: "text", int: "integer", float: "number", bool: "true or false", typing.Any: "any"}
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(f'"{arg}"' for arg in args)
    if origin is tuple:
        return f"list of {_type_words(args[0])}" if args else "list"
    if origin is dict:
        return f"table of {_type_words(args[1])}" if len(args) == 2 else "table"
    if origin in (typing.Union, types.UnionType):
        kept = [arg for arg in args if arg is not type(None)]
        words = " or ".join(_type_words(arg) for arg in kept)
        return f"{words}, optional" if len(kept) < len(args) else words
    return getattr(annotation, "__name__", str(annotation))


def _shown(default: Any) -> str:
    if default is PydanticUndefined:
        return "required"
    if default is None:
        return "unset"
    if isinstance(default, Mapping) and default and len(json.dumps(default)) > LONG_DEFAULT:
        return "tables " + ", ".join(f"`{key}`" for key in default)
    shown = json.dumps(default, ensure_ascii=False)
    if len(shown) > LONG_DEFAULT:
        shown = shown[:LONG_DEFAULT].rstrip() + "…"
    return f"`{shown}`"
