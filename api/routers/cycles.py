"""Cycles: the list, and one cycle with its stage progress, decisions and consensus rounds."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from api.deps import Context, Reader
from api.errors import ERROR_RESPONSES, NotFoundError
from api.routers.decisions import ConsensusRound, DecisionSummary, summary_model
from cream.events.history import events_for_cycle
from cream.events.outbox import StoredEvent
from cream.events.types import CYCLE_STAGE, CYCLE_STAGES
from cream.storage.cycles import CycleRecord, CycleStatus

router = APIRouter(prefix="/api/cycles", tags=["cycles"], responses=ERROR_RESPONSES)

StageState = Literal["pending", "started", "completed", "failed"]


class CycleSummary(BaseModel):
    """A cycle as listed; `status` goes queued → running → completed | failed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cycle_id: str
    status: CycleStatus
    trigger: str
    requested_by: str
    use_draft: bool
    requested_at: str
    started_at: str | None
    finished_at: str | None
    config_version: int
    symbols: list[str]
    tokens_used: int
    cost_usd: str
    wall_ms: int | None
    error: str | None


class Stage(BaseModel):
    """One stage of the cycle and where it stands (from its `cycle.stage` events)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str
    state: StageState
    round: int
    detail: str
    updated_at: str | None


class CycleDetail(BaseModel):
    """A cycle with its stage progress, decisions and consensus rounds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cycle: CycleSummary
    stages: list[Stage]
    decisions: list[DecisionSummary]
    rounds: list[ConsensusRound]


class CyclePage(BaseModel):
    """A page of cycles, newest request first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: list[CycleSummary]
    limit: int
    offset: int
    next_offset: int | None


def cycle_model(record: CycleRecord) -> CycleSummary:
    """The wire model of a stored cycle."""
    return CycleSummary(
        cycle_id=record.id,
        status=record.status,
        trigger=record.trigger,
        requested_by=record.requested_by,
        use_draft=record.use_draft,
        requested_at=record.requested_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        config_version=record.config_version,
        symbols=list(record.symbols),
        tokens_used=record.tokens_used,
        cost_usd=record.cost_usd,
        wall_ms=record.wall_ms,
        error=record.error,
    )


def stage_progress(events: list[StoredEvent]) -> list[Stage]:
    """Each known stage's latest state, in cycle order, then any stage the log adds."""
    latest: dict[str, dict[str, Any]] = {}
    for stored in events:
        payload = stored.event.payload
        stage = str(payload.get("stage", ""))
        if stage:
            latest[stage] = {**payload, "ts": stored.event.ts.isoformat().replace("+00:00", "Z")}
    order = list(CYCLE_STAGES) + [s for s in latest if s not in CYCLE_STAGES]
    stages: list[Stage] = []
    for name in order:
        entry = latest.get(name)
        state = str(entry.get("state")) if entry else "pending"
        stages.append(
            Stage(
                stage=name,
                state=state if state in ("started", "completed", "failed") else "pending",  # type: ignore[arg-type]
                round=int(entry.get("round", 0) or 0) if entry else 0,
                detail=str(entry.get("detail", "")) if entry else "",
                updated_at=str(entry["ts"]) if entry else None,
            )
        )
    return stages


@router.get("", operation_id="listCycles", response_model=CyclePage)
async def list_cycles(
    _: Reader,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    status: Annotated[CycleStatus | None, Query()] = None,
) -> CyclePage:
    """Cycles newest first, optionally of one status."""
    records = await context.repos.cycles.list(limit + 1, offset, status=status)
    return CyclePage(
        items=[cycle_model(r) for r in records[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(records) > limit else None,
    )


@router.get("/{cycle_id}", operation_id="getCycle", response_model=CycleDetail)
async def get_cycle(
    _: Reader, context: Context, cycle_id: Annotated[str, Path(max_length=128)]
) -> CycleDetail:
    """One cycle with its stage progress, decisions and rounds."""
    repos = context.repos
    record = await repos.cycles.get(cycle_id)
    if record is None:
        raise NotFoundError(
            f"no cycle {cycle_id!r} in {context.environment}", code="CYCLE_NOT_FOUND"
        )
    events, decisions, rounds = await asyncio.gather(
        events_for_cycle(context.db, context.environment, cycle_id, types=[CYCLE_STAGE]),
        repos.decisions.for_cycle(cycle_id),
        repos.rounds.for_cycle(cycle_id),
    )
    return CycleDetail(
        cycle=cycle_model(record),
        stages=stage_progress(events),
        decisions=[summary_model(d) for d in decisions],
        rounds=[
            ConsensusRound(
                round=r.round,
                plan=r.plan,
                verdicts=r.verdicts,
                approved=r.approved,
                created_at=r.created_at,
            )
            for r in rounds
        ],
    )
