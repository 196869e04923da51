"""The config version store: rows of `config_versions`/`config_audit` and guarded statements.

Lifecycle changes are single batches whose FIRST statement is the audit row, and its
NOT NULL `config_id` is computed by a sub-query that yields NULL unless every precondition
still holds inside the transaction (the expected active version, the expected highest
version number, the draft's status and content, and for LIVE, the content was active in
PAPER). A lost race therefore breaks NOT NULL and rolls the whole batch back — the only
way to abort conditionally, since `Database.batch` has no interactive transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from cream.storage.database import Database, Row, Statement
from cream.storage.errors import CorruptRecordError
from cream.storage.order_records import check_environment
from cream.storage.rows import integer, json_column, optional_integer, optional_text, text
from cream.storage.timestamps import format_utc

ConfigStatus = Literal["draft", "validated", "active", "archived"]
AuditAction = Literal["seed", "draft", "validate", "promote", "rollback", "discard"]

_VERSION_COLUMNS: Final = (
    "id, environment, version, status, document, content_hash, parent_version, created_by, "
    "validated_at, activated_at, activated_by, archived_at, note, created_at, updated_at"
)
_AUDIT_INSERT: Final = (
    "INSERT INTO config_audit (id, environment, action, config_id, version, from_version, "
    "actor, diff, created_at, updated_at) VALUES (?, ?, ?, {config_id}, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class ConfigVersionRow:
    """One stored config version (document as JSON data)."""

    id: str
    environment: str
    version: int | None
    status: ConfigStatus
    document: dict[str, Any]
    content_hash: str
    parent_version: int | None
    created_by: str
    validated_at: str | None
    activated_at: str | None
    activated_by: str | None
    archived_at: str | None
    note: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit entry: who did what to which version, when, and the diff it made."""

    id: str
    action: AuditAction
    config_id: str
    version: int | None
    from_version: int | None
    actor: str
    diff: list[dict[str, Any]]
    created_at: str


@dataclass(frozen=True, slots=True)
class Preconditions:
    """What must still hold when a lifecycle batch runs."""

    active_id: str | None
    max_version: int
    proven_hash: str | None = None  # LIVE: this content must have been active in PAPER


class ConfigVersionStore:
    """Config versions and audit of one environment.

    Args:
        db: An open database with the migrations applied.
        environment: BACKTEST, PAPER or LIVE.
    """

    def __init__(self, db: Database, environment: str) -> None:
        self._db = db
        self._environment = check_environment(environment)

    @property
    def environment(self) -> str:
        """The environment of this store."""
        return self._environment

    async def active(self) -> ConfigVersionRow | None:
        """The active version, or None before the first promotion."""
        return await self._one("status = 'active'")

    async def draft(self) -> ConfigVersionRow | None:
        """The draft (status draft or validated), or None."""
        return await self._one("status IN ('draft', 'validated')")

    async def version(self, number: int) -> ConfigVersionRow | None:
        """The version with this number, or None."""
        return await self._one("version = ?", number)

    async def max_version(self) -> int:
        """The highest version number so far (0 when none was ever active)."""
        row = await self._db.query_one(
            "SELECT COALESCE(MAX(version), 0) AS top FROM config_versions WHERE environment = ?",
            (self._environment,),
        )
        return integer(row, "top") if row is not None else 0

    async def versions(self) -> list[ConfigVersionRow]:
        """Every numbered version, newest first, then the draft if any."""
        rows = await self._db.query(
            f"SELECT {_VERSION_COLUMNS} FROM config_versions WHERE environment = ? "  # noqa: S608 - constant names only
            f"ORDER BY version IS NULL DESC, version DESC",
            (self._environment,),
        )
        return [_version(row) for row in rows]

    async def audit(self, limit: int = 100) -> list[AuditRow]:
        """Audit entries, newest first."""
        rows = await self._db.query(
            "SELECT id, action, config_id, version, from_version, actor, diff, created_at "
            "FROM config_audit WHERE environment = ? ORDER BY created_at DESC, rowid DESC "
            "LIMIT ?",
            (self._environment, limit),
        )
        return [_audit(row) for row in rows]

    async def proven_in_paper(self, content_hash: str) -> bool:
        """Whether content with this hash was ever active in PAPER."""
        row = await self._db.query_one(
            "SELECT 1 AS hit FROM config_versions WHERE environment = 'PAPER' "
            "AND content_hash = ? AND activated_at IS NOT NULL LIMIT 1",
            (content_hash,),
        )
        return row is not None

    def insert_draft(
        self,
        config_id: str,
        document: str,
        content_hash: str,
        *,
        parent_version: int | None,
        by: str,
        now: datetime,
    ) -> Statement:
        """INSERT of a new draft, a no-op when the environment already has one."""
        stamp = format_utc(now)
        return Statement(
            "INSERT INTO config_versions (id, environment, version, status, document, "
            "content_hash, parent_version, created_by, created_at, updated_at) "
            "SELECT ?, ?, NULL, 'draft', ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM "
            "config_versions WHERE environment = ? AND status IN ('draft', 'validated'))",
            (
                config_id,
                self._environment,
                document,
                content_hash,
                parent_version,
                by,
                stamp,
                stamp,
                self._environment,
            ),
        )

    def update_draft(
        self,
        config_id: str,
        document: str,
        content_hash: str,
        *,
        expected_hash: str,
        status: Literal["draft", "validated"],
        now: datetime,
    ) -> Statement:
        """UPDATE of the draft's content and status, a no-op if it changed meanwhile."""
        stamp = format_utc(now)
        return Statement(
            "UPDATE config_versions SET document = ?, content_hash = ?, status = ?, "
            "validated_at = ?, updated_at = ? WHERE environment = ? AND id = ? "
            "AND status IN ('draft', 'validated') AND content_hash = ?",
            (
                document,
                content_hash,
                status,
                stamp if status == "validated" else None,
                stamp,
                self._environment,
                config_id,
                expected_hash,
            ),
        )

    def delete_draft(self, config_id: str) -> Statement:
        """DELETE of the draft."""
        return Statement(
            "DELETE FROM config_versions WHERE environment = ? AND id = ? "
            "AND status IN ('draft', 'validated')",
            (self._environment, config_id),
        )

    def audit_entry(
        self,
        audit_id: str,
        action: AuditAction,
        config_id: str,
        *,
        actor: str,
        now: datetime,
        version: int | None = None,
        from_version: int | None = None,
        diff: list[dict[str, Any]] | None = None,
        guard: Preconditions | None = None,
        draft: tuple[str, tuple[ConfigStatus, ...]] | None = None,
    ) -> Statement:
        """INSERT of an audit row that fails (NOT NULL) unless its preconditions hold.

        Args:
            guard: The active version and highest version number must be as given (and, with
                `proven_hash`, that content must have been active in PAPER).
            draft: `(content_hash, statuses)`: the row `config_id` must be the draft, with
                this content and one of these statuses.
        """
        stamp = format_utc(now)
        head = (audit_id, self._environment, action)
        tail = (
            version,
            from_version,
            actor,
            json.dumps(diff or [], sort_keys=True),
            stamp,
            stamp,
        )
        conditions: list[str] = []
        params: list[str | int] = []
        if guard is not None:
            conditions += [
                "COALESCE((SELECT id FROM config_versions WHERE environment = ? "
                "AND status = 'active'), '') = ?",
                "(SELECT COALESCE(MAX(version), 0) FROM config_versions WHERE environment = ?) = ?",
            ]
            params += [self._environment, guard.active_id or "", self._environment]
            params.append(guard.max_version)
            if guard.proven_hash is not None:
                conditions.append(
                    "EXISTS (SELECT 1 FROM config_versions WHERE environment = 'PAPER' "
                    "AND content_hash = ? AND activated_at IS NOT NULL)"
                )
                params.append(guard.proven_hash)
        if draft is not None:
            content, statuses = draft
            marks = ", ".join("?" for _ in statuses)
            conditions.append(
                f"EXISTS (SELECT 1 FROM config_versions WHERE environment = ? AND id = ? "  # noqa: S608 - placeholders only
                f"AND content_hash = ? AND status IN ({marks}))"
            )
            params += [self._environment, config_id, content, *statuses]
        if not conditions:
            return Statement(_AUDIT_INSERT.format(config_id="?"), (*head, config_id, *tail))
        sub = f"(SELECT ? WHERE {' AND '.join(conditions)})"
        return Statement(_AUDIT_INSERT.format(config_id=sub), (*head, config_id, *params, *tail))

    def archive_active(self, now: datetime) -> Statement:
        """UPDATE that archives the active version (if any)."""
        stamp = format_utc(now)
        return Statement(
            "UPDATE config_versions SET status = 'archived', archived_at = ?, updated_at = ? "
            "WHERE environment = ? AND status = 'active'",
            (stamp, stamp, self._environment),
        )

    def activate_draft(self, config_id: str, version: int, *, by: str, now: datetime) -> Statement:
        """UPDATE that makes the validated draft the active `version`."""
        stamp = format_utc(now)
        return Statement(
            "UPDATE config_versions SET status = 'active', version = ?, activated_at = ?, "
            "activated_by = ?, updated_at = ? WHERE environment = ? AND id = ? "
            "AND status = 'validated'",
            (version, stamp, by, stamp, self._environment, config_id),
        )

    def insert_active(
        self,
        config_id: str,
        version: int,
        document: str,
        content_hash: str,
        *,
        parent_version: int | None,
        by: str,
        note: str,
        now: datetime,
    ) -> Statement:
        """INSERT of a version that is active at once (seed, rollback)."""
        stamp = format_utc(now)
        return Statement(
            f"INSERT INTO config_versions ({_VERSION_COLUMNS}) "  # noqa: S608 - constant names only
            f"VALUES (?, ?, ?, 'active', ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?)",
            (
                config_id,
                self._environment,
                version,
                document,
                content_hash,
                parent_version,
                by,
                stamp,
                by,
                note,
                stamp,
                stamp,
            ),
        )

    async def _one(self, where: str, *params: int) -> ConfigVersionRow | None:
        row = await self._db.query_one(
            f"SELECT {_VERSION_COLUMNS} FROM config_versions "  # noqa: S608 - constant names only
            f"WHERE environment = ? AND {where}",
            (self._environment, *params),
        )
        return _version(row) if row is not None else None


def _version(row: Row) -> ConfigVersionRow:
    status = text(row, "status")
    if status not in ("draft", "validated", "active", "archived"):
        raise CorruptRecordError(f"config version {row.get('id')!r} has status {status!r}")
    document = json_column(row, "document")
    if not isinstance(document, dict):
        raise CorruptRecordError(f"config version {row.get('id')!r}: document is not an object")
    return ConfigVersionRow(
        id=text(row, "id"),
        environment=text(row, "environment"),
        version=optional_integer(row, "version"),
        status=status,  # type: ignore[arg-type]
        document=document,
        content_hash=text(row, "content_hash"),
        parent_version=optional_integer(row, "parent_version"),
        created_by=text(row, "created_by"),
        validated_at=optional_text(row, "validated_at"),
        activated_at=optional_text(row, "activated_at"),
        activated_by=optional_text(row, "activated_by"),
        archived_at=optional_text(row, "archived_at"),
        note=optional_text(row, "note"),
        created_at=text(row, "created_at"),
        updated_at=text(row, "updated_at"),
    )


def _audit(row: Row) -> AuditRow:
    diff = json_column(row, "diff")
    return AuditRow(
        id=text(row, "id"),
        action=text(row, "action"),  # type: ignore[arg-type]
        config_id=text(row, "config_id"),
        version=optional_integer(row, "version"),
        from_version=optional_integer(row, "from_version"),
        actor=text(row, "actor"),
        diff=list(diff) if isinstance(diff, list) else [],
        created_at=text(row, "created_at"),
    )
