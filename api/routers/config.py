"""Config governance over HTTP: active, draft, validate, promote, rollback, history, diff.

Every change goes through `ConfigService`, which writes the change and its `config_audit`
entry (actor = the caller, with the diff) in one transaction; promotions also append
`config.promoted`. Each HTTP change (and each refused attempt) is also recorded in
`audit_log` with the request's correlation id, like every other API mutation. The service
commits its own batch and takes no extra statements, so that row is written right after
the change, with its result; if that write fails the change stands (its `config_audit` row
is already committed) and the failure is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal
from api.deps import Context, CorrelationId, Mutator, Reader
from api.errors import ERROR_RESPONSES, NotFoundError
from cream.config.errors import ConfigConflictError, ConfigError
from cream.config.versions import ConfigVersion
from cream.storage.errors import StorageError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/config", tags=["config"], responses=ERROR_RESPONSES)


class ConfigVersionOut(BaseModel):
    """A config version (`version` is null for the draft) with its document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: int | None
    status: str
    label: str
    data: dict[str, Any]
    content_hash: str
    parent_version: int | None
    created_by: str
    activated_at: str | None
    activated_by: str | None
    note: str | None
    created_at: str
    updated_at: str


class DiffEntryOut(BaseModel):
    """One changed leaf by dotted key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    old: Any
    new: Any


class AuditEntryOut(BaseModel):
    """Who changed what, when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    action: str
    version: int | None
    from_version: int | None
    actor: str
    diff: list[dict[str, Any]]
    created_at: str


class PromoteRequest(BaseModel):
    """`content_hash`: the draft the caller reviewed; a different draft is a 409 conflict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class RollbackRequest(BaseModel):
    """The archived version to re-activate (as a new version)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Annotated[int, Field(ge=1)]


def version_model(version: ConfigVersion) -> ConfigVersionOut:
    """The wire model of a config version."""
    return ConfigVersionOut(
        id=version.id,
        version=version.version,
        status=version.status,
        label=version.label,
        data=version.data,
        content_hash=version.content_hash,
        parent_version=version.parent_version,
        created_by=version.created_by,
        activated_at=version.activated_at,
        activated_by=version.activated_by,
        note=version.note,
        created_at=version.created_at,
        updated_at=version.updated_at,
    )


def _target(version: ConfigVersion) -> str:
    return "config/draft" if version.version is None else f"config/v{version.version}"


async def _audited(
    context: Context,
    principal: Principal,
    correlation_id: str,
    action: str,
    change: Awaitable[ConfigVersion],
    *,
    target: str = "config",
) -> ConfigVersion:
    """Awaits a config change and records it (or its refusal) in `audit_log`."""
    try:
        version = await change
    except ConfigError as exc:
        refused: dict[str, Any] = {
            "result": "refused",
            "requested": target,
            "code": exc.code,
            "message": exc.message,
        }
        await _record(context, principal, correlation_id, action, target, refused)
        raise
    details: dict[str, Any] = {
        "result": "ok",
        "requested": target,
        "config_id": version.id,
        "version": version.version,
        "status": version.status,
        "content_hash": version.content_hash,
    }
    await _record(context, principal, correlation_id, action, _target(version), details)
    return version


async def _record(
    context: Context,
    principal: Principal,
    correlation_id: str,
    action: str,
    target: str,
    details: dict[str, Any],
) -> None:
    try:
        entry = context.repos.audit.entry_statement(
            actor=principal.actor,
            action=action,
            target=target,
            details=details,
            correlation_id=correlation_id,
        )
        await context.db.batch([entry])
    except StorageError as exc:
        log.error(
            "audit_log entry %s by %s (%s) not written: %s; config_audit has the change",
            action,
            principal.actor,
            correlation_id,
            exc,
        )


@router.get("/active", operation_id="getActiveConfig", response_model=ConfigVersionOut)
async def active(_: Reader, context: Context) -> ConfigVersionOut:
    """The active version."""
    return version_model(await context.config.require_active(context.environment))


@router.get("/draft", operation_id="getDraftConfig", response_model=ConfigVersionOut)
async def draft(_: Reader, context: Context) -> ConfigVersionOut:
    """The draft."""
    found = await context.config.draft(context.environment)
    if found is None:
        raise NotFoundError(
            f"{context.environment} has no draft; PUT /api/config/draft to start one",
            code="CONFIG_NOT_FOUND",
        )
    return version_model(found)


@router.put("/draft", operation_id="saveDraftConfig", response_model=ConfigVersionOut)
async def save_draft(
    document: Annotated[dict[str, Any], Body(description="The full config document")],
    principal: Mutator,
    context: Context,
    correlation_id: CorrelationId,
) -> ConfigVersionOut:
    """Replaces the draft's content; an invalid document is a 422 listing every problem."""
    change = context.config.save_draft(context.environment, document, by=principal.actor)
    saved = await _audited(
        context, principal, correlation_id, "config.draft", change, target="config/draft"
    )
    return version_model(saved)


@router.post("/validate", operation_id="validateConfig", response_model=ConfigVersionOut)
async def validate(
    principal: Mutator, context: Context, correlation_id: CorrelationId
) -> ConfigVersionOut:
    """Marks the draft validated (422 with every problem when it is not valid)."""
    change = context.config.validate(context.environment, by=principal.actor)
    validated = await _audited(
        context, principal, correlation_id, "config.validate", change, target="config/draft"
    )
    return version_model(validated)


async def _promote(context: Context, principal: Principal, expected: str | None) -> ConfigVersion:
    if expected is not None:
        current = await context.config.draft(context.environment)
        if current is None or current.content_hash != expected:
            raise ConfigConflictError(
                "the draft changed since you reviewed it; reload the diff and promote again"
            )
    return await context.config.promote(context.environment, by=principal.actor)


@router.post("/promote", operation_id="promoteConfig", response_model=ConfigVersionOut)
async def promote(
    principal: Mutator,
    context: Context,
    correlation_id: CorrelationId,
    body: Annotated[PromoteRequest | None, Body()] = None,
) -> ConfigVersionOut:
    """Activates the validated draft as a new version (409 on any conflict)."""
    expected = body.content_hash if body is not None else None
    change = _promote(context, principal, expected)
    promoted = await _audited(
        context, principal, correlation_id, "config.promote", change, target="config/draft"
    )
    return version_model(promoted)


@router.post("/rollback", operation_id="rollbackConfig", response_model=ConfigVersionOut)
async def rollback(
    body: RollbackRequest, principal: Mutator, context: Context, correlation_id: CorrelationId
) -> ConfigVersionOut:
    """Re-activates an earlier version as a new version."""
    change = context.config.rollback(context.environment, body.version, by=principal.actor)
    restored = await _audited(
        context,
        principal,
        correlation_id,
        "config.rollback",
        change,
        target=f"config/v{body.version}",
    )
    return version_model(restored)


@router.get("/history", operation_id="getConfigHistory", response_model=list[ConfigVersionOut])
async def history(_: Reader, context: Context) -> list[ConfigVersionOut]:
    """The draft (if any), then every version newest first."""
    return [version_model(v) for v in await context.config.history(context.environment)]


@router.get("/diff", operation_id="diffConfig", response_model=list[DiffEntryOut])
async def config_diff(
    _: Reader,
    context: Context,
    from_: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to: Annotated[int | None, Query(ge=1)] = None,
) -> list[DiffEntryOut]:
    """What changes from version `from` (default: active) to `to` (default: the draft)."""
    entries = await context.config.diff(context.environment, from_, to)
    return [DiffEntryOut(key=e.key, old=e.old, new=e.new) for e in entries]


@router.get("/audit", operation_id="listConfigAudit", response_model=list[AuditEntryOut])
async def audit(
    _: Reader, context: Context, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[AuditEntryOut]:
    """The config audit trail, newest first."""
    rows = await context.config.audit(context.environment, limit)
    return [
        AuditEntryOut(
            id=r.id,
            action=r.action,
            version=r.version,
            from_version=r.from_version,
            actor=r.actor,
            diff=r.diff,
            created_at=r.created_at,
        )
        for r in rows
    ]
