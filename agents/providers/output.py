"""Turning a model's raw JSON answer into the requested pydantic model, or a typed refusal."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from agents.providers.base import MalformedOutputError, Usage

T = TypeVar("T", bound=BaseModel)

# Enough of the raw answer to see what went wrong without flooding logs and feedback.
_RAW_PREVIEW = 200


def validation_errors(error: ValidationError) -> tuple[str, ...]:
    """One readable line per validation error: `location: message`."""
    lines = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "(root)"
        lines.append(f"{location}: {item['msg']}")
    return tuple(lines)


def parse_output(schema: type[T], raw: str, *, source: str, usage: Usage) -> T:
    """`raw` validated as `schema`.

    Raises:
        MalformedOutputError: `raw` is not JSON, or does not validate; carries the errors
            (fed back to the model by the structured retry) and the usage spent on it.
    """
    try:
        return schema.model_validate_json(raw)
    except ValidationError as exc:
        errors = validation_errors(exc)
        preview = raw[:_RAW_PREVIEW]
        raise MalformedOutputError(
            f"{source} returned output that is not a valid {schema.__name__} "
            f"({len(errors)} errors; starts {preview!r})",
            raw=raw,
            errors=errors,
            usage=usage,
        ) from exc
