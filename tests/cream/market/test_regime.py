"""Regime classifier on constructed series, its proto mapping, and real SPY history."""

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from cream.market.bars import Bars
from cream.market.regime import (
    InsufficientData,
    Regime,
    RegimeInputError,
    RegimeThresholds,
    classify_regime,
    required_bars,
)
from cream.market.replay import ReplayFeed
from cream.v1 import common_pb2

NY = ZoneInfo("America/New_York")
N = 200


def series(close: Any, half_range: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    close = np.asarray(close, dtype=np.float64)
    half_range = np.broadcast_to(np.asarray(half_range, dtype=np.float64), close.shape)
    return close + half_range, close - half_range, close


def zigzag(level: float = 100.0, step: float = 0.2) -> np.ndarray:
    return level + step * (np.arange(N) % 2)


def test_steady_uptrend_is_bull_trend():
    result = classify_regime(series(100 * 1.004 ** np.arange(N), 0.5))
    assert result.regime is Regime.BULL_TREND
    assert result.metrics.ma_diff_pct > 1.0
    assert 0.5 <= result.confidence <= 1.0


def test_steady_downtrend_is_bear_trend():
    # -0.09 % a bar: a clear trend, but under the 10 % drawdown that could make it a crisis.
    close = 100 * 0.9991 ** np.arange(N)
    result = classify_regime(series(close, 0.005 * close))
    assert result.regime is Regime.BEAR_TREND
    assert result.metrics.ma_diff_pct < -1.0


def test_sideways_with_constant_ranges_is_range_bound():
    result = classify_regime(series(zigzag(), 1.0))
    assert result.regime is Regime.RANGE_BOUND
    assert 20 < result.metrics.atr_percentile < 80


def test_sideways_with_widening_ranges_is_high_volatility():
    result = classify_regime(series(zigzag(), np.linspace(0.5, 3.0, N)))
    assert result.regime is Regime.HIGH_VOLATILITY
    assert result.metrics.atr_percentile >= 80


def test_sideways_with_narrowing_ranges_is_low_volatility():
    result = classify_regime(series(zigzag(), np.linspace(3.0, 0.5, N)))
    assert result.regime is Regime.LOW_VOLATILITY
    assert result.metrics.atr_percentile <= 20


def test_crash_with_exploding_ranges_is_crisis():
    close = np.concatenate([np.full(N - 10, 100.0), 100 * 0.97 ** np.arange(1, 11)])
    ranges = np.concatenate([np.full(N - 10, 0.5), np.full(10, 4.0)])
    result = classify_regime(series(close, ranges))
    assert result.regime is Regime.CRISIS
    assert result.metrics.drawdown_pct > 10


def test_reasoning_is_one_line_with_the_numbers():
    result = classify_regime(series(100 * 1.004 ** np.arange(N), 0.5))
    assert "\n" not in result.reasoning
    assert f"{result.metrics.fast_ma:.2f}" in result.reasoning
    assert "BULL_TREND" in result.reasoning


def test_thresholds_are_parameters():
    data = series(100 * 1.004 ** np.arange(N), 0.5)
    strict = RegimeThresholds(trend_pct=50.0)
    assert classify_regime(data, thresholds=strict).regime is not Regime.BULL_TREND


def test_too_few_bars_raise_insufficient_data_never_a_guess():
    needed = required_bars()
    data = series(100 * 1.004 ** np.arange(needed - 1), 0.5)
    with pytest.raises(InsufficientData) as info:
        classify_regime(data)
    assert (info.value.code, info.value.needed, info.value.got) == (
        "INSUFFICIENT_DATA",
        needed,
        needed - 1,
    )
    assert classify_regime(series(100 * 1.004 ** np.arange(needed), 0.5)).regime


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"fast": 50, "slow": 20}, "INVALID_PERIOD"), ({"lookback": 0}, "INVALID_PERIOD")],
)
def test_invalid_parameters_raise(kwargs, code):
    with pytest.raises(RegimeInputError) as info:
        classify_regime(series(np.full(N, 100.0), 1.0), **kwargs)
    assert info.value.code == code


def test_invalid_thresholds_raise():
    with pytest.raises(RegimeInputError):
        RegimeThresholds(low_volatility_percentile=90.0)


def test_non_finite_prices_raise_invalid_input():
    high, low, close = series(np.full(N, 100.0), 1.0)
    close = close.copy()
    close[-1] = np.nan
    with pytest.raises(RegimeInputError) as info:
        classify_regime((high, low, close))
    assert info.value.code == "INVALID_INPUT"


def test_regime_values_round_trip_through_the_proto_enum():
    assert {r.value for r in Regime} == {
        name.removeprefix("REGIME_")
        for name in common_pb2.Regime.keys()  # noqa: SIM118
    } - {"UNSPECIFIED"}
    for regime in Regime:
        assert common_pb2.Regime.Name(regime.to_proto()) == f"REGIME_{regime.value}"
        assert Regime.from_proto(regime.to_proto()) is regime
    with pytest.raises(RegimeInputError):
        Regime.from_proto(common_pb2.REGIME_UNSPECIFIED)


def spy_daily_as_of(lean_root: Path, year: int, month: int, day: int) -> Bars:
    feed = ReplayFeed(lean_root)
    return feed.bars("SPY", "1d", as_of=dt.datetime(year, month, day, 17, tzinfo=NY), limit=300)


@pytest.mark.parametrize("day", [(2020, 3, 12), (2020, 3, 16), (2020, 3, 23)])
def test_spy_march_2020_is_crisis_or_high_volatility(lean_root, day):
    result = classify_regime(spy_daily_as_of(lean_root, *day))
    assert result.regime in {Regime.CRISIS, Regime.HIGH_VOLATILITY}


def test_spy_2017_month_ends_are_calm_bull_market(lean_root):
    month_ends = [(2017, month, 28) for month in range(2, 13)]
    regimes = [classify_regime(spy_daily_as_of(lean_root, *d)).regime for d in month_ends]
    assert not {Regime.BEAR_TREND, Regime.CRISIS, Regime.HIGH_VOLATILITY} & set(regimes)
    calm = sum(r in {Regime.BULL_TREND, Regime.LOW_VOLATILITY} for r in regimes)
    assert calm >= len(regimes) * 2 // 3
