"""Typed reads of stored columns and JSON text, raising `CorruptRecordError` on a bad value."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from cream.storage.database import Row
from cream.storage.errors import CorruptRecordError, InvalidRecordError


def text(row: Row, column: str) -> str:
    """A NOT NULL TEXT column."""
    value = row.get(column)
    if not isinstance(value, str):
        raise CorruptRecordError(f"column {column!r} of row {row.get('id')!r} is not text")
    return value


def optional_text(row: Row, column: str) -> str | None:
    """A nullable TEXT column."""
    value = row.get(column)
    return None if value is None else text(row, column)


def integer(row: Row, column: str) -> int:
    """A NOT NULL INTEGER column."""
    value = row.get(column)
    if not isinstance(value, int):
        raise CorruptRecordError(f"column {column!r} of row {row.get('id')!r} is not an integer")
    return value


def optional_integer(row: Row, column: str) -> int | None:
    """A nullable INTEGER column."""
    return None if row.get(column) is None else integer(row, column)


def json_column(row: Row, column: str) -> Any:
    """A TEXT column holding JSON, decoded."""
    raw = text(row, column)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorruptRecordError(
            f"column {column!r} of row {row.get('id')!r} is not valid JSON: {exc}"
        ) from exc


def dump_json(value: Any, what: str) -> str:
    """Canonical JSON text (sorted keys, no spaces) for a TEXT column.

    Raises:
        InvalidRecordError: The value is not JSON-serialisable.
    """
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(f"{what} cannot be stored as JSON: {exc}") from exc


def decimal_text(value: Decimal | str, what: str) -> str:
    """A finite decimal as TEXT, exactly as given.

    Raises:
        InvalidRecordError: The value is not a finite decimal number.
    """
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidRecordError(f"{what} {value!r} is not a decimal number") from exc
    if not number.is_finite():
        raise InvalidRecordError(f"{what} {value!r} is not a finite decimal number")
    return str(value)


def page(limit: int, offset: int, *, maximum: int = 1000) -> tuple[int, int]:
    """Checks page bounds and returns them.

    Raises:
        InvalidRecordError: `limit` is outside 1..maximum or `offset` is negative.
    """
    if not 1 <= limit <= maximum or offset < 0:
        raise InvalidRecordError(
            f"page limit must be 1..{maximum} and offset >= 0, got {limit} and {offset}"
        )
    return limit, offset
