"""Login sessions of the API: digests of the session and CSRF tokens, expiry and revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cream.storage.database import Row, Statement
from cream.storage.errors import InvalidRecordError
from cream.storage.repository import EnvironmentRepository
from cream.storage.rows import optional_text, text
from cream.storage.timestamps import format_utc


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One stored session; `id` is the sha256 digest of the cookie's token."""

    id: str
    csrf_digest: str
    actor: str
    expires_at: str
    revoked_at: str | None
    created_at: str

    def live_at(self, now: datetime) -> bool:
        """True when the session is neither revoked nor expired at `now`."""
        return self.revoked_at is None and format_utc(now) < self.expires_at


class SessionRepository(EnvironmentRepository):
    """Sessions of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    def insert_statement(
        self, session_digest: str, *, csrf_digest: str, actor: str, expires_at: datetime
    ) -> Statement:
        """The INSERT of a new session, for a batch with its audit entry.

        Raises:
            InvalidRecordError: A digest or the actor is empty.
        """
        if not session_digest or not csrf_digest or not actor:
            raise InvalidRecordError("a session needs its digests and an actor")
        now = format_utc(self._clock.now())
        return Statement(
            "INSERT INTO api_sessions (id, environment, csrf_digest, actor, expires_at, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                session_digest,
                self._environment,
                csrf_digest,
                actor,
                format_utc(expires_at),
                now,
                now,
            ),
        )

    def revoke_statement(self, session_digest: str) -> Statement:
        """The UPDATE that ends a session (logout), for a batch with its audit entry."""
        now = format_utc(self._clock.now())
        return Statement(
            "UPDATE api_sessions SET revoked_at = ?, updated_at = ? "
            "WHERE environment = ? AND id = ? AND revoked_at IS NULL",
            (now, now, self._environment, session_digest),
        )

    async def get(self, session_digest: str) -> SessionRecord | None:
        """The session with this digest (live or not), or None."""
        row = await self._db.query_one(
            "SELECT id, csrf_digest, actor, expires_at, revoked_at, created_at FROM api_sessions "
            "WHERE environment = ? AND id = ?",
            (self._environment, session_digest),
        )
        return _record(row) if row is not None else None

    async def delete_expired(self) -> int:
        """Deletes sessions that expired or were revoked; returns how many."""
        now = format_utc(self._clock.now())
        result = await self._db.execute(
            "DELETE FROM api_sessions WHERE environment = ? "
            "AND (expires_at <= ? OR revoked_at IS NOT NULL)",
            (self._environment, now),
        )
        return result.rows_affected


def _record(row: Row) -> SessionRecord:
    return SessionRecord(
        id=text(row, "id"),
        csrf_digest=text(row, "csrf_digest"),
        actor=text(row, "actor"),
        expires_at=text(row, "expires_at"),
        revoked_at=optional_text(row, "revoked_at"),
        created_at=text(row, "created_at"),
    )
