"""Realised outcomes of a decision, measured point in time on the bars known at settlement."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from cream.market.bars import Bars, from_ns, to_ns
from cream.memory.case import CaseDecision, Outcome
from cream.memory.errors import InsufficientHistoryError, InvalidCaseError, OutcomeNotReadyError


def realized_outcome(
    case_id: str,
    decision: CaseDecision,
    decided_at: datetime,
    bars: Bars,
    now: datetime,
) -> Outcome:
    """The outcome of `decision` made at `decided_at`, using only bars closed by `now`.

    The entry bar is the last one closed at the decision time; the exit bar is
    `decision.horizon_bars` bars later. The entry price is the decision's own when it set
    one, otherwise the entry bar's close; the exit price is the exit bar's close.

    Raises:
        InvalidCaseError: `now` is before `decided_at`.
        InsufficientHistoryError: No bar had closed by the decision time.
        OutcomeNotReadyError: The exit bar has not closed by `now`.
    """
    if to_ns(now) < to_ns(decided_at):
        raise InvalidCaseError(f"case {case_id}: cannot settle at {now} before the decision")
    known = bars.closed_by(now)
    entry_index = int(np.searchsorted(known.end_times, to_ns(decided_at), side="right")) - 1
    if entry_index < 0:
        raise InsufficientHistoryError(bars.symbol, 1, 0)
    exit_index = entry_index + decision.horizon_bars
    if exit_index >= len(known):
        raise OutcomeNotReadyError(case_id, exit_index - len(known) + 1)
    entry = decision.entry_price or float(known.close[entry_index])
    exit_ = float(known.close[exit_index])
    sign = decision.direction.sign
    move = exit_ / entry - 1.0
    return Outcome(
        entry_price=entry,
        exit_price=exit_,
        entry_time=from_ns(int(known.end_times[entry_index])),
        exit_time=from_ns(int(known.end_times[exit_index])),
        horizon_bars=decision.horizon_bars,
        underlying_return=move,
        position_return=sign * move,
        pnl=sign * (exit_ - entry) * decision.quantity,
        realized_at=from_ns(int(known.end_times[exit_index])),
    )
