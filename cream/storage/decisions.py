"""The decision store: every `cream.v1.Decision` of a cycle with its status and lineage."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.message import DecodeError

from cream.storage.database import Row, Statement
from cream.storage.errors import CorruptRecordError, InvalidRecordError
from cream.storage.repository import EnvironmentRepository
from cream.storage.rows import (
    decimal_text,
    dump_json,
    integer,
    json_column,
    optional_integer,
    optional_text,
    page,
    text,
)
from cream.storage.timestamps import format_utc
from cream.v1 import common_pb2, decision_pb2

DecisionStatus = Literal["proposed", "approved", "rejected", "executed", "cancelled", "no_trade"]
DECISION_STATUSES: Final = get_args(DecisionStatus)

_INSERT: Final = (
    "INSERT INTO decisions (id, environment, cycle_id, symbol, action, direction, size, "
    "size_unit, entry_price, stop_price, target_price, status, strategy_family, time_horizon, "
    "rationale, bullish_factors, bearish_factors, confidence_score, metadata, config_version, "
    "model, prompt_hash, tokens_in, tokens_out, cost_usd, latency_ms, snapshot_hash, "
    "reason_code, failed_step, payload, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?)"
)
_SELECT: Final = (
    "SELECT id, cycle_id, status, metadata, config_version, model, prompt_hash, tokens_in, "
    "tokens_out, cost_usd, latency_ms, snapshot_hash, payload, created_at, updated_at "
    "FROM decisions"
)


@dataclass(frozen=True, slots=True)
class DecisionFilter:
    """Which decisions a search returns; None fields do not filter.

    `since` and `until` bound `created_at` (UTC text, inclusive and exclusive);
    `after` is a keyset cursor `(created_at, id)`: only decisions older than it.
    """

    symbol: str | None = None
    action: str | None = None
    status: DecisionStatus | None = None
    cycle_id: str | None = None
    since: str | None = None
    until: str | None = None
    after: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class DecisionLineage:
    """What produced a decision: config version, model and prompt, usage and the snapshot seen."""

    config_version: int
    model: str | None = None
    prompt_hash: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: str = "0"
    latency_ms: int | None = None
    snapshot_hash: str | None = None


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision as stored: the message, its cycle, status, lineage and metadata."""

    decision: decision_pb2.Decision
    cycle_id: str
    status: DecisionStatus
    lineage: DecisionLineage
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""


class DecisionRepository(EnvironmentRepository):
    """Decisions of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    def insert_statement(
        self,
        decision: decision_pb2.Decision,
        *,
        cycle_id: str,
        status: DecisionStatus,
        lineage: DecisionLineage,
        metadata: dict[str, Any] | None = None,
    ) -> Statement:
        """The INSERT of one decision, for a batch with the cycle's other writes.

        Raises:
            InvalidRecordError: An id, the symbol, an enum or a decimal is missing or malformed.
        """
        decision_id = decision.decision_id
        if not decision_id or not cycle_id:
            raise InvalidRecordError("a decision needs its decision_id and cycle_id")
        if status not in DECISION_STATUSES:
            raise InvalidRecordError(f"decision {decision_id}: unknown status {status!r}")
        symbol = decision.instrument.symbol
        if not symbol:
            raise InvalidRecordError(f"decision {decision_id}: instrument.symbol is empty")
        what = f"decision {decision_id}"
        now = format_utc(self._clock.now())
        return Statement(
            _INSERT,
            (
                decision_id,
                self._environment,
                cycle_id,
                symbol,
                _name(common_pb2.Action.DESCRIPTOR, decision.action, "ACTION_", what),
                _name(common_pb2.Direction.DESCRIPTOR, decision.direction, "DIRECTION_", what),
                decimal_text(decision.size.value or "0", f"{what}: size"),
                _name(common_pb2.SizeUnit.DESCRIPTOR, decision.size.unit, "SIZE_UNIT_", what),
                _optional_decimal(decision.order_plan.limit_price, f"{what}: limit_price"),
                _optional_decimal(decision.risk_levels.stop_loss, f"{what}: stop_loss"),
                _optional_decimal(decision.risk_levels.take_profit, f"{what}: take_profit"),
                status,
                _optional_name(
                    common_pb2.StrategyFamily.DESCRIPTOR,
                    decision.strategy_family,
                    "STRATEGY_FAMILY_",
                ),
                _optional_name(
                    common_pb2.TimeHorizon.DESCRIPTOR, decision.time_horizon, "TIME_HORIZON_"
                ),
                decision.rationale.summary or None,
                dump_json(list(decision.rationale.bullish_factors), f"{what}: bullish factors"),
                dump_json(list(decision.rationale.bearish_factors), f"{what}: bearish factors"),
                repr(float(decision.confidence)),
                dump_json(metadata or {}, f"{what}: metadata"),
                lineage.config_version,
                lineage.model,
                lineage.prompt_hash,
                lineage.tokens_in,
                lineage.tokens_out,
                decimal_text(lineage.cost_usd, f"{what}: cost_usd"),
                lineage.latency_ms,
                lineage.snapshot_hash,
                decision.reason_code or None,
                decision.failed_step or None,
                decision.SerializeToString(deterministic=True),
                now,
                now,
            ),
        )

    async def insert(
        self,
        decision: decision_pb2.Decision,
        *,
        cycle_id: str,
        status: DecisionStatus,
        lineage: DecisionLineage,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Stores one decision (see `insert_statement`)."""
        statement = self.insert_statement(
            decision, cycle_id=cycle_id, status=status, lineage=lineage, metadata=metadata
        )
        await self._db.execute(statement.sql, statement.params)

    async def set_status(self, decision_id: str, status: DecisionStatus) -> bool:
        """Moves a decision to a new status; False when no such decision exists here.

        Raises:
            InvalidRecordError: The status is unknown.
        """
        if status not in DECISION_STATUSES:
            raise InvalidRecordError(f"decision {decision_id}: unknown status {status!r}")
        result = await self._db.execute(
            "UPDATE decisions SET status = ?, updated_at = ? WHERE environment = ? AND id = ?",
            (status, format_utc(self._clock.now()), self._environment, decision_id),
        )
        return result.rows_affected == 1

    async def get(self, decision_id: str) -> StoredDecision | None:
        """The decision with this id, or None."""
        row = await self._db.query_one(
            f"{_SELECT} WHERE environment = ? AND id = ?", (self._environment, decision_id)
        )
        return _stored(row) if row is not None else None

    async def for_cycle(self, cycle_id: str) -> builtins.list[StoredDecision]:
        """The cycle's decisions in the order they were stored."""
        rows = await self._db.query(
            f"{_SELECT} WHERE environment = ? AND cycle_id = ? ORDER BY created_at, id",
            (self._environment, cycle_id),
        )
        return [_stored(row) for row in rows]

    async def list(
        self, limit: int = 50, offset: int = 0, *, symbol: str | None = None
    ) -> builtins.list[StoredDecision]:
        """A page of decisions, newest first, optionally of one symbol."""
        page(limit, offset)
        if symbol is None:
            rows = await self._db.query(
                f"{_SELECT} WHERE environment = ? ORDER BY created_at DESC, id DESC "
                f"LIMIT ? OFFSET ?",
                (self._environment, limit, offset),
            )
        else:
            rows = await self._db.query(
                f"{_SELECT} WHERE environment = ? AND symbol = ? "
                f"ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                (self._environment, symbol, limit, offset),
            )
        return [_stored(row) for row in rows]

    async def search(
        self, where: DecisionFilter, *, limit: int = 50, offset: int = 0
    ) -> builtins.list[StoredDecision]:
        """A page of decisions matching `where`, newest first (`created_at`, then id).

        Raises:
            InvalidRecordError: The page bounds or the status are invalid.
        """
        page(limit, offset)
        clauses = ["environment = ?"]
        params: builtins.list[str | int] = [self._environment]
        for column, value in (
            ("symbol", where.symbol),
            ("action", where.action),
            ("status", where.status),
            ("cycle_id", where.cycle_id),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if where.status is not None and where.status not in DECISION_STATUSES:
            raise InvalidRecordError(f"unknown decision status {where.status!r}")
        if where.since is not None:
            clauses.append("created_at >= ?")
            params.append(where.since)
        if where.until is not None:
            clauses.append("created_at < ?")
            params.append(where.until)
        if where.after is not None:
            clauses.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params.extend((where.after[0], where.after[0], where.after[1]))
        rows = await self._db.query(
            f"{_SELECT} WHERE {' AND '.join(clauses)} "
            f"ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_stored(row) for row in rows]


def _stored(row: Row) -> StoredDecision:
    payload = row.get("payload")
    decision = decision_pb2.Decision()
    if not isinstance(payload, bytes):
        raise CorruptRecordError(f"decision {row.get('id')!r} has no payload in the database")
    try:
        decision.ParseFromString(payload)
    except DecodeError as exc:
        raise CorruptRecordError(f"decision {row.get('id')!r}: bad payload: {exc}") from exc
    status = text(row, "status")
    if status not in DECISION_STATUSES:
        raise CorruptRecordError(f"decision {row.get('id')!r} has unknown status {status!r}")
    return StoredDecision(
        decision=decision,
        cycle_id=text(row, "cycle_id"),
        status=status,  # type: ignore[arg-type]
        lineage=DecisionLineage(
            config_version=integer(row, "config_version"),
            model=optional_text(row, "model"),
            prompt_hash=optional_text(row, "prompt_hash"),
            tokens_in=integer(row, "tokens_in"),
            tokens_out=integer(row, "tokens_out"),
            cost_usd=text(row, "cost_usd"),
            latency_ms=optional_integer(row, "latency_ms"),
            snapshot_hash=optional_text(row, "snapshot_hash"),
        ),
        metadata=dict(json_column(row, "metadata")),
        created_at=text(row, "created_at"),
        updated_at=text(row, "updated_at"),
    )


def _name(enum: EnumDescriptor, number: int, prefix: str, what: str) -> str:
    value = enum.values_by_number.get(number)
    if number == 0 or value is None:
        raise InvalidRecordError(f"{what}: {enum.name} is unset or unknown ({number})")
    return value.name.removeprefix(prefix)


def _optional_name(enum: EnumDescriptor, number: int, prefix: str) -> str | None:
    value = enum.values_by_number.get(number)
    return value.name.removeprefix(prefix) if number and value is not None else None


def _optional_decimal(value: str, what: str) -> str | None:
    return decimal_text(value, what) if value else None
