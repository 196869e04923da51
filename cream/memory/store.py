"""`CaseMemory`: cases of one environment in libSQL, answered from an in-memory index.

Each case row keeps its situation vector as a float32 BLOB (plus the JSON form the table
has always had), its decision, config version and regime; the outcome is written later by
`settle`. `open` loads every vector of the environment into a `CaseIndex`; `record` writes
the row first and indexes it only once the write succeeded, so the index never holds a case
the database lacks. Retrieval is point in time: a query made as of T sees only cases decided
before T, and an outcome only if it was realised by T.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import numpy as np

from cream.clock import Clock, SystemClock
from cream.market.bars import Bars, to_ns
from cream.market.regime import Regime
from cream.memory.case import Case, CaseDecision, Outcome, SimilarCase
from cream.memory.embeddings import NO_KEY_REASON, RationaleEmbedder
from cream.memory.errors import (
    CaseNotFoundError,
    CorruptCaseError,
    EmbeddingError,
    InvalidCaseError,
    VectorMismatchError,
)
from cream.memory.index import CaseIndex
from cream.memory.outcome import realized_outcome
from cream.memory.situation import DIMENSIONS, FEATURE_VERSION, Situation, Vector
from cream.settings import Environment
from cream.storage.database import Database, Row, Statement
from cream.storage.timestamps import format_utc

_COLUMNS: Final = (
    "id, cycle_id, symbol, regime, decided_at, config_version, vector, decision, "
    "realized_outcome, closed_at, metadata, rationale_embedding"
)
_INSERT: Final = (
    "INSERT INTO memory_cases (id, environment, cycle_id, decision_id, symbol, situation_vector, "
    "situation, decision, regime, decided_at, config_version, feature_version, vector, "
    "rationale_embedding, embedding_model, metadata, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (environment, id) DO NOTHING"
)
_SETTLE: Final = (
    "UPDATE memory_cases SET realized_outcome = ?, realized_pnl = ?, closed_at = ?, "
    "updated_at = ? WHERE environment = ? AND id = ?"
)


@dataclasses.dataclass(frozen=True, slots=True)
class CaseEntry:
    """One decision to remember: its id, the situation it was made in, and the decision."""

    decision_id: str
    situation: Situation
    decision: CaseDecision
    config_version: int
    cycle_id: str | None = None


def _check_entry(entry: CaseEntry) -> None:
    if not entry.decision_id:
        raise InvalidCaseError("a case needs the decision_id of its decision")
    version = entry.config_version
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidCaseError(f"config_version must be an integer, got {version!r}")
    situation = entry.situation
    if situation.feature_version != FEATURE_VERSION or situation.values.shape != (DIMENSIONS,):
        raise VectorMismatchError(
            f"situation {situation.feature_version} {situation.values.shape} is not "
            f"{FEATURE_VERSION} ({DIMENSIONS},); recompute it with situation_vector()"
        )


class CaseMemory:
    """The case memory of one environment; build it with `await CaseMemory.open(...)`.

    Args:
        db: An open database with the migrations applied.
        environment: BACKTEST, PAPER or LIVE; other environments' cases are never seen.
        index: The loaded index of this environment's cases.
        embedder: Embeds rationales; None when no Gemini key is configured.
        clock: The time of writes and of settlement.
    """

    def __init__(
        self,
        db: Database,
        environment: Environment,
        index: CaseIndex,
        *,
        embedder: RationaleEmbedder | None,
        clock: Clock,
        skipped_rows: int = 0,
    ) -> None:
        self._db = db
        self._environment = environment
        self._index = index
        self._embedder = embedder
        self._clock = clock
        self.skipped_rows = skipped_rows
        """Rows not indexed because they have no float32 vector of the current features."""

    @classmethod
    async def open(
        cls,
        db: Database,
        environment: str,
        *,
        embedder: RationaleEmbedder | None = None,
        clock: Clock | None = None,
    ) -> CaseMemory:
        """Loads the environment's case vectors into a fresh index.

        Raises:
            InvalidCaseError: The environment is not BACKTEST, PAPER or LIVE.
            CorruptCaseError: A stored vector or regime cannot be decoded.
        """
        env = _environment(environment)
        rows = await db.query(
            "SELECT id, symbol, regime, decided_at, feature_version, vector FROM memory_cases "
            "WHERE environment = ? ORDER BY decided_at, id",
            (env.value,),
        )
        usable = [
            row
            for row in rows
            if row.get("vector") is not None and row.get("feature_version") == FEATURE_VERSION
        ]
        index = CaseIndex()
        if usable:
            index.add_many(
                [str(row["id"]) for row in usable],
                np.stack([_vector(row, "vector", DIMENSIONS) for row in usable]),
                [str(row["symbol"]) for row in usable],
                [_regime(row) for row in usable],
                [to_ns(_time(row, "decided_at")) for row in usable],
            )
        return cls(
            db,
            env,
            index,
            embedder=embedder,
            clock=clock or SystemClock(),
            skipped_rows=len(rows) - len(usable),
        )

    @property
    def environment(self) -> Environment:
        """The environment whose cases this memory holds."""
        return self._environment

    @property
    def index(self) -> CaseIndex:
        """The in-memory similarity index (for benchmarks and diagnostics)."""
        return self._index

    async def record(
        self,
        *,
        decision_id: str,
        situation: Situation,
        decision: CaseDecision,
        config_version: int,
        cycle_id: str | None = None,
    ) -> Case:
        """Stores a decision with its situation; recording the same decision again is a no-op.

        The rationale is embedded when an embedder is configured; the case's metadata says
        whether it was, and why not (no key, or the service failed: the case is kept).

        Raises:
            InvalidCaseError: The decision id or config version is missing.
            VectorMismatchError: The situation was computed with other features.
        """
        entry = CaseEntry(decision_id, situation, decision, config_version, cycle_id)
        return (await self.record_many([entry]))[0]

    async def record_many(self, entries: Sequence[CaseEntry]) -> list[Case]:
        """Stores several decisions in one transaction (a cycle's cases), in order.

        Every entry is checked before anything is written, so one bad entry stores none.

        Raises:
            InvalidCaseError: A decision id or config version is missing.
            VectorMismatchError: A situation was computed with other features.
        """
        for entry in entries:
            _check_entry(entry)
        if not entries:
            return []
        # Rationales are embedded concurrently: with a real embedder each is one HTTP call.
        statements = await asyncio.gather(*(self._insert_statement(e) for e in entries))
        await self._db.batch(statements)
        ids = [entry.decision_id for entry in entries]
        found = {case.case_id: case for case in await self._fetch(ids)}
        cases = [found[case_id] for case_id in ids]
        for case in cases:
            self._index.add(
                case.case_id,
                case.vector,
                symbol=case.symbol,
                regime=case.regime,
                decided_at_ns=to_ns(case.decided_at),
            )
        return cases

    async def _insert_statement(self, entry: CaseEntry) -> Statement:
        situation, decision = entry.situation, entry.decision
        embedding, status = await self._embed(decision.rationale)
        metadata = {"rationale_embedding": status}
        now = format_utc(self._clock.now())
        vector = np.ascontiguousarray(situation.values, dtype="<f4")
        return Statement(
            _INSERT,
            (
                entry.decision_id,
                self._environment.value,
                entry.cycle_id,
                entry.decision_id,
                situation.symbol,
                json.dumps([float(v) for v in vector]),
                json.dumps(
                    {
                        "feature_version": situation.feature_version,
                        "features": situation.as_dict(),
                        "last_bar_close": situation.last_bar_close.isoformat(),
                    },
                    sort_keys=True,
                ),
                json.dumps(decision.as_dict(), sort_keys=True),
                situation.regime.value,
                format_utc(situation.as_of),
                entry.config_version,
                situation.feature_version,
                vector.tobytes(),
                None if embedding is None else embedding.astype("<f4").tobytes(),
                status.get("model"),
                json.dumps(metadata, sort_keys=True),
                now,
                now,
            ),
        )

    async def settle(self, case_id: str, bars: Bars) -> Outcome:
        """Computes and stores the case's outcome from the bars closed by the clock's now.

        Raises:
            CaseNotFoundError: No such case in this environment.
            InvalidCaseError: `bars` are of another symbol.
            OutcomeNotReadyError: The horizon has not elapsed yet.
        """
        case = await self.get(case_id)
        if bars.symbol != case.symbol:
            raise InvalidCaseError(f"case {case_id} is on {case.symbol}, bars are {bars.symbol}")
        now = self._clock.now()
        outcome = realized_outcome(case_id, case.decision, case.decided_at, bars, now)
        await self._db.batch(
            [
                Statement(
                    _SETTLE,
                    (
                        json.dumps(outcome.as_dict(), sort_keys=True),
                        repr(outcome.pnl),
                        format_utc(outcome.realized_at),
                        format_utc(now),
                        self._environment.value,
                        case_id,
                    ),
                )
            ]
        )
        return outcome

    async def get(self, case_id: str) -> Case:
        """The case with this id, with its outcome if settled.

        Raises:
            CaseNotFoundError: No such case in this environment.
        """
        found = await self._fetch([case_id])
        if not found:
            raise CaseNotFoundError(f"no case {case_id!r} in {self._environment.value}")
        return found[0]

    async def similar(
        self,
        situation: Situation,
        k: int = 5,
        *,
        symbol: str | None = None,
        regime: Regime | None = None,
        as_of: datetime | None = None,
    ) -> list[SimilarCase]:
        """The `k` past cases most similar to `situation`, best first.

        Args:
            situation: The current situation.
            k: How many cases at most.
            symbol: Only this symbol's cases (None: every symbol).
            regime: Only cases in this regime (None: every regime).
            as_of: Point in time of the query (default: the situation's); later cases are
                ignored and outcomes realised after it are returned as None.
        """
        moment = as_of or situation.as_of
        hits = self._index.top_k(
            situation.values, k, symbol=symbol, regime=regime, before_ns=to_ns(moment)
        )
        cases = {case.case_id: case for case in await self._fetch([i for i, _ in hits])}
        results: list[SimilarCase] = []
        for case_id, similarity in hits:
            case = cases[case_id]
            if case.outcome is not None and case.outcome.realized_at > moment:
                case = dataclasses.replace(case, outcome=None)
            results.append(SimilarCase(case, similarity))
        return results

    async def _fetch(self, case_ids: Sequence[str]) -> list[Case]:
        if not case_ids:
            return []
        marks = ", ".join("?" for _ in case_ids)
        rows = await self._db.query(
            f"SELECT {_COLUMNS} FROM memory_cases WHERE environment = ? AND id IN ({marks})",  # noqa: S608 - placeholders only
            (self._environment.value, *case_ids),
        )
        return [self._case(row) for row in rows]

    async def _embed(self, rationale: str) -> tuple[Vector | None, dict[str, Any]]:
        if self._embedder is None:
            return None, {"status": "not_embedded", "reason": NO_KEY_REASON}
        try:
            vector = await self._embedder.embed(rationale)
        except EmbeddingError as exc:
            return None, {"status": "failed", "error_code": exc.code, "reason": exc.message}
        model = self._embedder.model
        return vector, {"status": "embedded", "model": model, "dimensions": int(vector.shape[0])}

    def _case(self, row: Row) -> Case:
        case_id = str(row["id"])
        try:
            decision = CaseDecision(**json.loads(str(row["decision"])))
            outcome_text = row.get("realized_outcome")
            outcome = None if outcome_text is None else Outcome.from_dict(json.loads(outcome_text))  # type: ignore[arg-type]
            metadata = json.loads(str(row["metadata"]))
            config_version = int(row["config_version"])  # type: ignore[arg-type]
        except (TypeError, ValueError, KeyError) as exc:
            raise CorruptCaseError(f"case {case_id} cannot be decoded: {exc}") from exc
        embedding = row.get("rationale_embedding")
        return Case(
            case_id=case_id,
            environment=self._environment.value,
            symbol=str(row["symbol"]),
            regime=_regime(row),
            decided_at=_time(row, "decided_at"),
            cycle_id=None if row.get("cycle_id") is None else str(row["cycle_id"]),
            config_version=config_version,
            vector=_vector(row, "vector", DIMENSIONS),
            decision=decision,
            outcome=outcome,
            metadata=metadata,
            rationale_embedding=None if embedding is None else _vector(row, "rationale_embedding"),
        )


def _environment(value: str) -> Environment:
    try:
        return Environment(value)
    except ValueError:
        allowed = ", ".join(e.value for e in Environment)
        raise InvalidCaseError(f"environment must be one of {allowed}, got {value!r}") from None


def _vector(row: Row, column: str, dimensions: int | None = None) -> Vector:
    blob = row.get(column)
    if not isinstance(blob, bytes) or len(blob) % 4:
        raise CorruptCaseError(f"case {row.get('id')!r}: {column} is not a float32 blob")
    vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
    if dimensions is not None and vector.shape != (dimensions,):
        raise CorruptCaseError(
            f"case {row.get('id')!r}: {column} has {vector.shape[0]} values, expected {dimensions}"
        )
    vector.flags.writeable = False
    return vector


def _regime(row: Row) -> Regime:
    try:
        return Regime(str(row.get("regime")))
    except ValueError:
        raise CorruptCaseError(
            f"case {row.get('id')!r}: unknown regime {row.get('regime')!r}"
        ) from None


def _time(row: Row, column: str) -> datetime:
    value = row.get(column)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise CorruptCaseError(
            f"case {row.get('id')!r}: {column} {value!r} is not a time"
        ) from None
