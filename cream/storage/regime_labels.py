"""Regime labels: one classification per (environment, symbol, bar timestamp, timeframe).

Writing a label again for the same bar replaces it (a re-run of a cycle or backtest, or a newer
classifier) instead of adding a row, so the table is a function of its key. The label's
timestamp is the bar's start label in UTC, as the snapshot's bars carry it.
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cream.clock import Clock, SystemClock
from cream.market.bars import BarsError, Timeframe
from cream.market.regime import Regime, RegimeClassification
from cream.storage.database import Database, Row, Statement
from cream.storage.errors import CorruptRecordError, InvalidRecordError
from cream.storage.order_records import check_environment
from cream.storage.rows import text
from cream.storage.timestamps import format_utc

RULE_BASED_MODEL: Final = "rule_based"
RULE_BASED_VERSION: Final = "1"

_UPSERT: Final = (
    "INSERT INTO regime_labels (id, environment, symbol, timestamp, timeframe, regime, "
    "confidence, model_name, model_version, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (environment, symbol, timestamp, timeframe) DO UPDATE SET "
    "regime = excluded.regime, confidence = excluded.confidence, "
    "model_name = excluded.model_name, model_version = excluded.model_version, "
    "updated_at = excluded.updated_at"
)
_SELECT: Final = (
    "SELECT id, symbol, timestamp, timeframe, regime, confidence, model_name, model_version, "
    "created_at, updated_at FROM regime_labels"
)


@dataclass(frozen=True, slots=True)
class RegimeLabel:
    """A stored label: which bar, which regime with what confidence, and which model said so."""

    symbol: str
    timestamp: datetime
    timeframe: Timeframe
    regime: Regime
    confidence: float
    model_name: str
    model_version: str
    created_at: str
    updated_at: str


class RegimeLabelRepository:
    """Regime labels of one environment.

    Args:
        db: An open database with the migrations applied.
        environment: BACKTEST, PAPER or LIVE.
        clock: Source of created_at/updated_at.
        model_name: The classifier that produced the labels written here.
        model_version: Its version (bump it when the rules or thresholds change).
    """

    def __init__(
        self,
        db: Database,
        environment: str,
        *,
        clock: Clock | None = None,
        model_name: str = RULE_BASED_MODEL,
        model_version: str = RULE_BASED_VERSION,
    ) -> None:
        if not model_name or not model_version:
            raise InvalidRecordError("a regime label needs a model name and version")
        self._db = db
        self._environment = check_environment(environment)
        self._clock = clock or SystemClock()
        self._model = (model_name, model_version)

    def upsert_statement(
        self,
        symbol: str,
        timestamp: datetime,
        timeframe: Timeframe | str,
        classification: RegimeClassification,
    ) -> Statement:
        """The write of one label (insert, or replace the label of the same bar), for a batch.

        Raises:
            InvalidRecordError: empty symbol, naive timestamp, unknown timeframe or a
                confidence outside 0..1.
        """
        if not symbol:
            raise InvalidRecordError("a regime label needs a symbol")
        tf = _timeframe(timeframe)
        confidence = classification.confidence
        if not math.isfinite(confidence) or not 0.0 <= confidence <= 1.0:
            raise InvalidRecordError(
                f"regime label {symbol} {tf.value}: confidence {confidence!r} is not in 0..1"
            )
        stamp = format_utc(timestamp)
        now = format_utc(self._clock.now())
        return Statement(
            _UPSERT,
            (
                f"{symbol}:{tf.value}:{stamp}",
                self._environment,
                symbol,
                stamp,
                tf.value,
                Regime(classification.regime).value,
                f"{confidence:.6f}",
                *self._model,
                now,
                now,
            ),
        )

    async def upsert(
        self,
        symbol: str,
        timestamp: datetime,
        timeframe: Timeframe | str,
        classification: RegimeClassification,
    ) -> None:
        """Store one label (see `upsert_statement`)."""
        statement = self.upsert_statement(symbol, timestamp, timeframe, classification)
        await self._db.execute(statement.sql, statement.params)

    async def latest(self, symbol: str, timeframe: Timeframe | str) -> RegimeLabel | None:
        """The label of the newest bar of ``symbol`` in ``timeframe``, or None."""
        row = await self._db.query_one(
            f"{_SELECT} WHERE environment = ? AND symbol = ? AND timeframe = ? "
            "ORDER BY timestamp DESC LIMIT 1",
            (self._environment, symbol, _timeframe(timeframe).value),
        )
        return _label(row) if row is not None else None

    async def history(
        self,
        symbol: str,
        timeframe: Timeframe | str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 500,
    ) -> builtins.list[RegimeLabel]:
        """Labels with ``start <= timestamp <= end``, the newest ``limit`` of them, oldest first.

        Raises:
            InvalidRecordError: `limit` outside 1..10000 or a naive bound.
        """
        if not 1 <= limit <= 10_000:
            raise InvalidRecordError(f"history limit must be 1..10000, got {limit}")
        low = format_utc(start) if start is not None else ""
        high = format_utc(end) if end is not None else "9999"
        rows = await self._db.query(
            f"{_SELECT} WHERE environment = ? AND symbol = ? AND timeframe = ? "
            "AND timestamp >= ? AND timestamp <= ? ORDER BY timestamp DESC LIMIT ?",
            (self._environment, symbol, _timeframe(timeframe).value, low, high, limit),
        )
        return [_label(row) for row in reversed(rows)]


def _timeframe(value: Timeframe | str) -> Timeframe:
    try:
        return Timeframe.parse(value)
    except BarsError as exc:
        raise InvalidRecordError(exc.message) from None


def _label(row: Row) -> RegimeLabel:
    what = f"regime label {row.get('id')!r}"
    try:
        return RegimeLabel(
            symbol=text(row, "symbol"),
            timestamp=datetime.fromisoformat(text(row, "timestamp")),
            timeframe=Timeframe(text(row, "timeframe")),
            regime=Regime(text(row, "regime")),
            confidence=float(text(row, "confidence")),
            model_name=text(row, "model_name"),
            model_version=text(row, "model_version"),
            created_at=text(row, "created_at"),
            updated_at=text(row, "updated_at"),
        )
    except ValueError as exc:
        raise CorruptRecordError(f"{what}: {exc}") from exc
