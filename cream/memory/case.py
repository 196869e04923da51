"""Case records: a decision with the situation it was made in and, later, its outcome."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cream.market.regime import Regime
from cream.memory.errors import InvalidCaseError
from cream.memory.situation import Vector


class CaseAction(StrEnum):
    """The decision's action; values are the `cream.v1.Action` names without `ACTION_`."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"
    INCREASE = "INCREASE"
    REDUCE = "REDUCE"
    CLOSE = "CLOSE"
    NO_TRADE = "NO_TRADE"


class CaseDirection(StrEnum):
    """The resulting exposure; values are the `cream.v1.Direction` names without `DIRECTION_`."""

    LONG = "LONG"
    SHORT = "SHORT"
    FLAT = "FLAT"

    @property
    def sign(self) -> int:
        """+1 long, -1 short, 0 flat: how the position gains from a rising price."""
        return {"LONG": 1, "SHORT": -1, "FLAT": 0}[self.value]


@dataclass(frozen=True, slots=True)
class CaseDecision:
    """What was decided.

    Args:
        action: BUY, SELL, ... NO_TRADE.
        direction: LONG, SHORT or FLAT after the decision.
        rationale: The decision's reasoning in words.
        confidence: 0..1.
        horizon_bars: Bars after the decision at which its outcome is measured (>= 1).
        quantity: Units held in `direction` (shares or contracts); 0 for no position.
        entry_price: The intended entry; the close of the last known bar when omitted.
    """

    action: CaseAction
    direction: CaseDirection
    rationale: str
    confidence: float
    horizon_bars: int
    quantity: float = 0.0
    entry_price: float | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "action", CaseAction(self.action))
            object.__setattr__(self, "direction", CaseDirection(self.direction))
        except ValueError as exc:
            raise InvalidCaseError(f"unknown action or direction: {exc}") from None
        if not (isinstance(self.confidence, int | float) and 0.0 <= self.confidence <= 1.0):
            raise InvalidCaseError(f"confidence must be within 0..1, got {self.confidence!r}")
        if isinstance(self.horizon_bars, bool) or not isinstance(self.horizon_bars, int):
            raise InvalidCaseError(f"horizon_bars must be an integer, got {self.horizon_bars!r}")
        if self.horizon_bars < 1:
            raise InvalidCaseError(f"horizon_bars must be >= 1, got {self.horizon_bars}")
        if not math.isfinite(self.quantity) or self.quantity < 0:
            raise InvalidCaseError(f"quantity must be finite and >= 0, got {self.quantity!r}")
        if self.entry_price is not None and not (
            math.isfinite(self.entry_price) and self.entry_price > 0
        ):
            raise InvalidCaseError(f"entry_price must be positive, got {self.entry_price!r}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored in the `decision` column."""
        return {
            "action": self.action.value,
            "direction": self.direction.value,
            "rationale": self.rationale,
            "confidence": self.confidence,
            "horizon_bars": self.horizon_bars,
            "quantity": self.quantity,
            "entry_price": self.entry_price,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened after the decision's horizon, measured on bars known at `realized_at`.

    `underlying_return` is the instrument's move (exit / entry - 1) whatever the decision;
    `position_return` is that move signed by the direction (0 for FLAT); `pnl` is the
    position's profit in price units times `quantity`.
    """

    entry_price: float
    exit_price: float
    entry_time: datetime
    exit_time: datetime
    horizon_bars: int
    underlying_return: float
    position_return: float
    pnl: float
    realized_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored in the `realized_outcome` column."""
        return {
            "entry_price": self.entry_price,
            "exit_price": self.exit_price,
            "entry_time": self.entry_time.isoformat(),
            "exit_time": self.exit_time.isoformat(),
            "horizon_bars": self.horizon_bars,
            "underlying_return": self.underlying_return,
            "position_return": self.position_return,
            "pnl": self.pnl,
            "realized_at": self.realized_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        """Inverse of `as_dict`; a missing or mistyped key raises `KeyError`/`ValueError`."""
        return cls(
            entry_price=float(data["entry_price"]),
            exit_price=float(data["exit_price"]),
            entry_time=datetime.fromisoformat(data["entry_time"]),
            exit_time=datetime.fromisoformat(data["exit_time"]),
            horizon_bars=int(data["horizon_bars"]),
            underlying_return=float(data["underlying_return"]),
            position_return=float(data["position_return"]),
            pnl=float(data["pnl"]),
            realized_at=datetime.fromisoformat(data["realized_at"]),
        )


@dataclass(frozen=True, slots=True, eq=False)
class Case:
    """One stored case of an environment.

    `outcome` is None until settled (or when it was realised after the query's `as_of`).
    `metadata["rationale_embedding"]` says whether the rationale was embedded and, if not, why.
    """

    case_id: str
    environment: str
    symbol: str
    regime: Regime
    decided_at: datetime
    cycle_id: str | None
    config_version: int
    vector: Vector
    decision: CaseDecision
    outcome: Outcome | None
    metadata: dict[str, Any] = field(default_factory=dict)
    rationale_embedding: Vector | None = None


@dataclass(frozen=True, slots=True, eq=False)
class SimilarCase:
    """A retrieved case and its cosine similarity (-1..1) to the query situation."""

    case: Case
    similarity: float
