"""Checked reads of decoded JSON payloads: a wrong shape raises `MalformedPayloadError`."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from cream.context.errors import MalformedPayloadError


class Payload:
    """Typed accessors over one source's decoded JSON, naming the path of a bad field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> MalformedPayloadError:
        """The error for a field that does not have the documented shape."""
        return MalformedPayloadError(self.source, f"{where}: {problem}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        """A JSON object."""
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {type(value).__name__}")
        return value

    def array(self, value: Any, where: str) -> list[Any]:
        """A JSON array."""
        if not isinstance(value, list):
            raise self.fail(where, f"expected an array, got {type(value).__name__}")
        return value

    def text(self, data: dict[str, Any], key: str, where: str) -> str:
        """A required, non-empty string field."""
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", f"expected a non-empty string, got {value!r}")
        return value

    def optional_text(self, data: dict[str, Any], key: str, where: str) -> str | None:
        """A string field that may be missing, null or empty."""
        value = data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"expected a string, got {value!r}")
        return value

    def number(self, data: dict[str, Any], key: str, where: str) -> float | None:
        """A finite number (or a numeric string, as some APIs send); None when absent."""
        value = data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"expected a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.fail(f"{where}.{key}", f"expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise self.fail(f"{where}.{key}", f"expected a finite number, got {value!r}")
        return number

    def moment(
        self, data: dict[str, Any], key: str, where: str, *, naive_tz: tzinfo = UTC
    ) -> datetime:
        """A required timestamp: ISO-8601 with `Z` or an offset, or a `YYYY-MM-DD HH:MM:SS`
        or bare date read in `naive_tz` (the zone the source documents), returned in UTC."""
        raw = self.text(data, key, where)
        try:
            parsed = datetime.fromisoformat(raw.replace(" ", "T", 1) if " " in raw else raw)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"not a timestamp: {raw!r}") from None
        aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=naive_tz)
        return aware.astimezone(UTC)

    def day(self, data: dict[str, Any], key: str, where: str) -> date:
        """A required `YYYY-MM-DD` date."""
        raw = self.text(data, key, where)
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            raise self.fail(f"{where}.{key}", f"not a date: {raw!r}") from None

    def embedded_json(self, data: dict[str, Any], key: str, where: str) -> Any:
        """A field that holds JSON encoded as a string (Polymarket's outcome lists)."""
        value = data.get(key)
        if isinstance(value, list):
            return value
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"expected JSON text, got {value!r}")
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise self.fail(f"{where}.{key}", f"invalid JSON text: {exc}") from None
