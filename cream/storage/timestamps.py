"""UTC timestamps as the storage layer writes them: fixed-width ISO-8601 ending in `Z`."""

from __future__ import annotations

from datetime import UTC, datetime

from cream.storage.errors import InvalidRecordError


def format_utc(moment: datetime) -> str:
    """Formats an aware datetime as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (sorts as text).

    Raises:
        InvalidRecordError: When `moment` is naive, so local time is never stored as UTC.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRecordError(
            f"timestamp {moment.isoformat()} has no timezone; pass an aware datetime"
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
