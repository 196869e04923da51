"""`KEY=VALUE` assignments with dotted keys, type-checked against the config schema."""

from __future__ import annotations

import copy
import types
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from cream.config.errors import ConfigValidationError, FieldError, UnknownConfigKeyError
from cream.config.schema import ConfigDocument

_NULLS = ("null", "~", "none", "None")


def apply_assignments(data: Mapping[str, Any], assignments: Sequence[str]) -> dict[str, Any]:
    """A copy of `data` with every `dotted.key=value` applied, each value checked for type.

    Values are read as YAML (`true`, `3`, `[SPY, AAPL]`); strings and decimals are taken
    verbatim so `0.10` stays `0.10`; a list also accepts `SPY,AAPL`.

    Raises:
        UnknownConfigKeyError: A key names no field (the message lists the valid ones).
        ConfigValidationError: A value has the wrong type; every such value is listed.
    """
    result = copy.deepcopy(dict(data))
    errors: list[FieldError] = []
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UnknownConfigKeyError(
                f"{assignment!r} is not KEY=VALUE (e.g. trading.max_consensus_iterations=2)"
            )
        annotation = annotation_of(key)
        try:
            value = _parse(annotation, raw.strip())
        except ValidationError as exc:
            message = "; ".join(e["msg"] for e in exc.errors())
            errors.append(FieldError(key, f"{raw.strip()!r} is not valid here: {message}"))
            continue
        except yaml.YAMLError as exc:
            errors.append(FieldError(key, f"{raw.strip()!r} is not a readable value: {exc}"))
            continue
        _set(result, key.split("."), value)
    if errors:
        raise ConfigValidationError(errors)
    return result


def annotation_of(key: str) -> Any:
    """The type of the field a dotted key names.

    Raises:
        UnknownConfigKeyError: No field has this key.
    """
    current: Any = ConfigDocument
    walked: list[str] = []
    for part in key.split("."):
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = current.model_fields
            if part not in fields:
                where = ".".join(walked) or "the document"
                raise UnknownConfigKeyError(
                    f"unknown config key {key!r}: {where} has {', '.join(fields)}"
                )
            current = fields[part].annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            raise UnknownConfigKeyError(
                f"unknown config key {key!r}: {'.'.join(walked)} is a single value"
            )
        walked.append(part)
    return current


def _parse(annotation: Any, raw: str) -> Any:
    options = _union_members(annotation)
    if type(None) in options and raw in _NULLS:
        return None
    target = next((o for o in options if o is not type(None)), annotation)
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    if target in (str, Decimal):
        value: Any = raw
    else:
        value = yaml.safe_load(raw) if raw else ""
        if get_origin(target) is list and isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
    return adapter.dump_python(adapter.validate_python(value), mode="json")


def _union_members(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _set(data: dict[str, Any], path: list[str], value: Any) -> None:
    node = data
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value
