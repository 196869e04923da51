"""`GET /api/audit`: the audit log of API mutations (cycle triggers, config changes, logins,
logouts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.deps import Context, Reader
from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/audit", tags=["system"], responses=ERROR_RESPONSES)


class AuditLogEntry(BaseModel):
    """One audited mutation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    correlation_id: str
    created_at: str


@router.get("", operation_id="listAuditLog", response_model=list[AuditLogEntry])
async def audit_log(
    _: Reader,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditLogEntry]:
    """Entries newest first, optionally of one action (`cycle.trigger`, `config.promote`, ...)."""
    entries = await context.repos.audit.list(limit, offset, action=action)
    return [
        AuditLogEntry(
            id=e.id,
            actor=e.actor,
            action=e.action,
            target=e.target,
            details=e.details,
            correlation_id=e.correlation_id,
            created_at=e.created_at,
        )
        for e in entries
    ]
