"""The audit log of API mutations: who did what to which target, in the mutation's batch."""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from typing import Any

from cream.storage.database import Row, Statement
from cream.storage.errors import InvalidRecordError
from cream.storage.repository import EnvironmentRepository
from cream.storage.rows import dump_json, json_column, page, text
from cream.storage.timestamps import format_utc


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited mutation."""

    id: str
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    correlation_id: str
    created_at: str


class AuditLogRepository(EnvironmentRepository):
    """The audit log of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    def entry_statement(
        self,
        *,
        actor: str,
        action: str,
        target: str = "",
        details: dict[str, Any] | None = None,
        correlation_id: str = "",
    ) -> Statement:
        """The INSERT of one entry: put it in the same batch as the mutation it records.

        Raises:
            InvalidRecordError: The actor or action is empty, or details are not JSON.
        """
        if not actor or not action:
            raise InvalidRecordError("an audit entry needs an actor and an action")
        now = format_utc(self._clock.now())
        return Statement(
            "INSERT INTO audit_log (id, environment, actor, action, target, details, "
            "correlation_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid.uuid4().hex,
                self._environment,
                actor,
                action,
                target,
                dump_json(details or {}, f"audit entry {action}"),
                correlation_id,
                now,
                now,
            ),
        )

    async def list(
        self, limit: int = 100, offset: int = 0, *, action: str | None = None
    ) -> builtins.list[AuditEntry]:
        """A page of entries, newest first, optionally of one action."""
        page(limit, offset)
        where = "environment = ?"
        params: builtins.list[str | int] = [self._environment]
        if action is not None:
            where += " AND action = ?"
            params.append(action)
        rows = await self._db.query(
            "SELECT id, actor, action, target, details, correlation_id, created_at "  # noqa: S608 - constant names only
            f"FROM audit_log WHERE {where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_entry(row) for row in rows]


def _entry(row: Row) -> AuditEntry:
    return AuditEntry(
        id=text(row, "id"),
        actor=text(row, "actor"),
        action=text(row, "action"),
        target=text(row, "target"),
        details=dict(json_column(row, "details")),
        correlation_id=text(row, "correlation_id"),
        created_at=text(row, "created_at"),
    )
