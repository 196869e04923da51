"""Regime labels: one per (environment, symbol, bar, timeframe); re-writes replace the label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cream.clock import ManualClock
from cream.market.regime import Regime, RegimeClassification, RegimeMetrics
from cream.storage.database import Database
from cream.storage.errors import InvalidRecordError
from cream.storage.regime_labels import RegimeLabelRepository

BAR = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)
METRICS = RegimeMetrics(
    fast_ma=101.0, slow_ma=99.0, ma_diff_pct=2.0, atr_percentile=55.0, drawdown_pct=1.0
)


def label(regime: Regime, confidence: float = 0.8) -> RegimeClassification:
    return RegimeClassification(regime, confidence, "fast SMA 2.0% above slow", METRICS)


async def test_a_label_reads_back_as_written(db: Database, clock: ManualClock):
    labels = RegimeLabelRepository(db, "PAPER", clock=clock)
    await labels.upsert("AAPL", BAR, "1h", label(Regime.BULL_TREND, 0.734512))

    stored = await labels.latest("AAPL", "1h")

    assert stored is not None
    assert (stored.symbol, stored.timestamp, stored.timeframe.value) == ("AAPL", BAR, "1h")
    assert stored.regime == Regime.BULL_TREND
    assert stored.confidence == pytest.approx(0.734512)
    assert (stored.model_name, stored.model_version) == ("rule_based", "1")


async def test_writing_the_same_bar_again_replaces_the_label(db: Database, clock: ManualClock):
    labels = RegimeLabelRepository(db, "PAPER", clock=clock)
    await labels.upsert("AAPL", BAR, "1h", label(Regime.BULL_TREND))
    clock.advance(timedelta(minutes=5))
    await labels.upsert("AAPL", BAR, "1h", label(Regime.HIGH_VOLATILITY, 0.6))

    history = await labels.history("AAPL", "1h")
    rows = await db.query("SELECT COUNT(*) AS n FROM regime_labels")

    assert [(h.regime, h.confidence) for h in history] == [(Regime.HIGH_VOLATILITY, 0.6)]
    assert rows[0]["n"] == 1
    assert history[0].created_at < history[0].updated_at


async def test_labels_of_other_timeframes_and_environments_stay_apart(db: Database):
    paper = RegimeLabelRepository(db, "PAPER")
    backtest = RegimeLabelRepository(db, "BACKTEST")
    await paper.upsert("AAPL", BAR, "1h", label(Regime.BULL_TREND))
    await paper.upsert("AAPL", BAR, "1d", label(Regime.RANGE_BOUND))
    await backtest.upsert("AAPL", BAR, "1h", label(Regime.CRISIS))

    paper_hourly = await paper.latest("AAPL", "1h")
    paper_daily = await paper.latest("AAPL", "1d")
    backtest_hourly = await backtest.latest("AAPL", "1h")
    assert paper_hourly is not None and paper_hourly.regime is Regime.BULL_TREND
    assert paper_daily is not None and paper_daily.regime is Regime.RANGE_BOUND
    assert backtest_hourly is not None and backtest_hourly.regime is Regime.CRISIS
    assert await paper.latest("MSFT", "1h") is None


async def test_history_is_oldest_first_within_bounds_and_latest_is_the_newest_bar(db: Database):
    labels = RegimeLabelRepository(db, "PAPER")
    regimes = list(Regime)
    # Written out of order: reads order by the bar, not by insertion.
    for hour in (3, 0, 5, 1, 4, 2):
        await labels.upsert("SPY", BAR + timedelta(hours=hour), "1h", label(regimes[hour]))

    window = await labels.history(
        "SPY", "1h", start=BAR + timedelta(hours=1), end=BAR + timedelta(hours=4)
    )
    newest_two = await labels.history("SPY", "1h", limit=2)
    latest = await labels.latest("SPY", "1h")

    assert [w.regime for w in window] == regimes[1:5]
    assert [n.timestamp for n in newest_two] == [BAR + timedelta(hours=4), BAR + timedelta(hours=5)]
    assert latest is not None and latest.regime is regimes[5]


async def test_labels_in_one_batch_with_other_writes(db: Database):
    labels = RegimeLabelRepository(db, "PAPER")
    await db.batch(
        [
            labels.upsert_statement("AAPL", BAR, "1h", label(Regime.BULL_TREND)),
            labels.upsert_statement("MSFT", BAR, "1h", label(Regime.BEAR_TREND)),
        ]
    )
    latest = await labels.latest("MSFT", "1h")
    assert latest is not None and latest.regime is Regime.BEAR_TREND


@pytest.mark.parametrize(
    ("symbol", "timestamp", "timeframe", "confidence", "match"),
    [
        ("", BAR, "1h", 0.5, "needs a symbol"),
        ("AAPL", BAR.replace(tzinfo=None), "1h", 0.5, "no timezone"),
        ("AAPL", BAR, "5m", 0.5, "timeframe"),
        ("AAPL", BAR, "1h", 1.5, "not in 0..1"),
        ("AAPL", BAR, "1h", float("nan"), "not in 0..1"),
    ],
)
def test_malformed_labels_are_refused(
    db: Database, symbol, timestamp, timeframe, confidence, match
):
    labels = RegimeLabelRepository(db, "PAPER")
    with pytest.raises(InvalidRecordError, match=match):
        labels.upsert_statement(symbol, timestamp, timeframe, label(Regime.BULL_TREND, confidence))


def test_an_unknown_environment_is_refused(db: Database):
    with pytest.raises(InvalidRecordError):
        RegimeLabelRepository(db, "STAGING")
