"""Decision history (filters, keyset or offset pagination) and the detail of one decision
with every agent output and consensus round of its cycle, its constraint results and orders."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict

from api.deps import Context, Reader
from api.errors import ERROR_RESPONSES, NotFoundError, UnprocessableError
from api.routers.orders import Order, order_model
from cream.storage.decisions import DecisionFilter, DecisionStatus, StoredDecision
from cream.storage.timestamps import format_utc
from cream.v1 import common_pb2 as common

router = APIRouter(prefix="/api/decisions", tags=["decisions"], responses=ERROR_RESPONSES)

ACTIONS = tuple(
    name.removeprefix("ACTION_")
    for name in common.Action.keys()  # noqa: SIM118 - an enum wrapper, not a dict
    if not name.endswith("UNSPECIFIED")
)


class DecisionSummary(BaseModel):
    """A row of the decision list."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision_id: str
    cycle_id: str
    symbol: str
    action: str
    direction: str
    size: str
    size_unit: str
    status: str
    confidence: float
    reason_code: str
    summary: str
    config_version: int
    created_at: str


class DecisionPage(BaseModel):
    """A page of decisions, newest first. Pass `next_cursor` as `cursor` for the next page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: list[DecisionSummary]
    limit: int
    next_cursor: str | None


class Lineage(BaseModel):
    """What produced the decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    config_version: int
    model: str | None
    prompt_hash: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: str
    latency_ms: int | None
    snapshot_hash: str | None


class AgentOutput(BaseModel):
    """One agent call of the decision's cycle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: str
    symbol: str
    round: int
    output: dict[str, Any]
    model: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: str
    latency_ms: int | None
    created_at: str


class ConsensusRound(BaseModel):
    """One approval round: the trader's plan, the approvers' verdicts, the outcome."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    round: int
    plan: dict[str, Any]
    verdicts: list[dict[str, Any]]
    approved: bool
    created_at: str


class DecisionDetail(BaseModel):
    """A decision (the full `cream.v1.Decision` as JSON) with everything behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    summary: DecisionSummary
    decision: dict[str, Any]
    lineage: Lineage
    metadata: dict[str, Any]
    constraints: list[dict[str, Any]]
    agent_outputs: list[AgentOutput]
    rounds: list[ConsensusRound]
    orders: list[Order]


def _enum(enum: Any, value: int, prefix: str) -> str:
    try:
        name: str = enum.Name(value)
    except ValueError:
        return str(value)
    return name.removeprefix(prefix)


def summary_model(stored: StoredDecision) -> DecisionSummary:
    """The list row of a stored decision."""
    decision = stored.decision
    return DecisionSummary(
        decision_id=decision.decision_id,
        cycle_id=stored.cycle_id,
        symbol=decision.instrument.symbol,
        action=_enum(common.Action, decision.action, "ACTION_"),
        direction=_enum(common.Direction, decision.direction, "DIRECTION_"),
        size=decision.size.value,
        size_unit=_enum(common.SizeUnit, decision.size.unit, "SIZE_UNIT_"),
        status=stored.status,
        confidence=decision.confidence,
        reason_code=decision.reason_code,
        summary=decision.rationale.summary,
        config_version=stored.lineage.config_version,
        created_at=stored.created_at,
    )


def encode_cursor(stored: StoredDecision) -> str:
    """An opaque cursor pointing after `stored`."""
    raw = json.dumps([stored.created_at, stored.decision.decision_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The `(created_at, id)` a cursor points after.

    Raises:
        UnprocessableError: The cursor was not made by this API.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise UnprocessableError(
            "the cursor is malformed; pass next_cursor from a previous page", code="INVALID_CURSOR"
        ) from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, str) for part in value)
    ):
        raise UnprocessableError(
            "the cursor is malformed; pass next_cursor from a previous page", code="INVALID_CURSOR"
        )
    return value[0], value[1]


def _utc(value: datetime | None, name: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise UnprocessableError(
            f"{name} must carry a timezone, e.g. 2026-01-10T15:00:00Z", code="NAIVE_TIMESTAMP"
        )
    return format_utc(value)


def _action(value: str | None) -> str | None:
    if value is None:
        return None
    upper = value.upper()
    if upper not in ACTIONS:
        raise UnprocessableError(
            f"unknown action {value!r}; use one of {list(ACTIONS)}", code="INVALID_ACTION"
        )
    return upper


@router.get("", operation_id="listDecisions", response_model=DecisionPage)
async def list_decisions(
    _: Reader,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    offset: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    symbol: Annotated[str | None, Query(pattern=r"^[A-Za-z][A-Za-z0-9.]{0,9}$")] = None,
    action: Annotated[str | None, Query()] = None,
    status: Annotated[DecisionStatus | None, Query()] = None,
    cycle_id: Annotated[str | None, Query(max_length=128)] = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
) -> DecisionPage:
    """Decisions newest first; filters combine with AND; `from` inclusive, `to` exclusive."""
    if cursor is not None and offset is not None:
        raise UnprocessableError(
            "pass either cursor or offset, not both", code="CURSOR_WITH_OFFSET"
        )
    where = DecisionFilter(
        symbol=symbol.upper() if symbol else None,
        action=_action(action),
        status=status,
        cycle_id=cycle_id,
        since=_utc(from_, "from"),
        until=_utc(to, "to"),
        after=decode_cursor(cursor) if cursor is not None else None,
    )
    rows = await context.repos.decisions.search(where, limit=limit + 1, offset=offset or 0)
    page = rows[:limit]
    return DecisionPage(
        items=[summary_model(row) for row in page],
        limit=limit,
        next_cursor=encode_cursor(page[-1]) if len(rows) > limit else None,
    )


@router.get("/{decision_id}", operation_id="getDecision", response_model=DecisionDetail)
async def get_decision(
    _: Reader, context: Context, decision_id: Annotated[str, Path(max_length=128)]
) -> DecisionDetail:
    """One decision with its cycle's agent outputs and rounds, its constraints and orders."""
    repos = context.repos
    stored = await repos.decisions.get(decision_id)
    if stored is None:
        raise NotFoundError(
            f"no decision {decision_id!r} in {context.environment}", code="DECISION_NOT_FOUND"
        )
    outputs, rounds, orders = await asyncio.gather(
        repos.agent_outputs.for_cycle(stored.cycle_id),
        repos.rounds.for_cycle(stored.cycle_id),
        repos.orders.list(100, 0, decision_id=decision_id),
    )
    lineage = stored.lineage
    constraints = stored.metadata.get("constraints", [])
    return DecisionDetail(
        summary=summary_model(stored),
        decision=json_format.MessageToDict(stored.decision, preserving_proto_field_name=True),
        lineage=Lineage(
            config_version=lineage.config_version,
            model=lineage.model,
            prompt_hash=lineage.prompt_hash,
            tokens_in=lineage.tokens_in,
            tokens_out=lineage.tokens_out,
            cost_usd=lineage.cost_usd,
            latency_ms=lineage.latency_ms,
            snapshot_hash=lineage.snapshot_hash,
        ),
        metadata=stored.metadata,
        constraints=constraints if isinstance(constraints, list) else [constraints],
        agent_outputs=[
            AgentOutput(
                agent=o.agent,
                symbol=o.symbol,
                round=o.round,
                output=o.output,
                model=o.model,
                tokens_in=o.tokens_in,
                tokens_out=o.tokens_out,
                cost_usd=o.cost_usd,
                latency_ms=o.latency_ms,
                created_at=o.created_at,
            )
            for o in outputs
        ],
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
        orders=[order_model(o) for o in orders],
    )
