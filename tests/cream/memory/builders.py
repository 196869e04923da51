"""Hourly bars for the memory tests: seeded random walks and straight trends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from cream.market.bars import Bars, Timeframe, to_ns

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def bars_from_closes(symbol: str, closes, volume=None) -> Bars:
    close = np.asarray(closes, dtype=np.float64)
    n = close.shape[0]
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) * 1.002
    low = np.minimum(open_, close) * 0.998
    stamps = to_ns(START) + np.arange(n, dtype=np.int64) * 3_600_000_000_000
    return Bars(
        symbol=symbol,
        timeframe=Timeframe.HOUR_1,
        timestamps=stamps,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=np.full(n, 1_000.0) if volume is None else np.asarray(volume, dtype=np.float64),
    )


def random_walk(symbol: str, n: int = 200, seed: int = 1, drift: float = 0.0) -> Bars:
    rng = np.random.default_rng(seed)
    steps = rng.normal(drift, 0.01, n)
    volume = rng.uniform(500, 1500, n)
    return bars_from_closes(symbol, 100.0 * np.exp(np.cumsum(steps)), volume)


def close_time(bars: Bars, index: int) -> datetime:
    """The instant bar `index` completed (what point-in-time filtering compares against)."""
    return bars[index].close_time
