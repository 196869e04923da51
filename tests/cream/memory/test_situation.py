"""Situation vectors: point in time, fixed window, regime one-hot, typed errors."""

from __future__ import annotations

import numpy as np
import pytest

from cream.market.regime import Regime
from cream.memory import FEATURE_NAMES, HISTORY_BARS, InsufficientHistoryError, situation_vector
from tests.cream.memory.builders import bars_from_closes, close_time, random_walk


def test_vector_ignores_bars_that_closed_after_the_decision():
    bars = random_walk("AAPL", 300)
    as_of = close_time(bars, 180)
    full = situation_vector(bars, as_of)
    truncated = situation_vector(bars[:181], as_of)
    np.testing.assert_array_equal(full.values, truncated.values)
    assert full.last_bar_close == as_of


def test_vector_depends_only_on_the_last_history_window():
    bars = random_walk("AAPL", 400)
    as_of = close_time(bars, 399)
    long = situation_vector(bars, as_of)
    short = situation_vector(bars[400 - HISTORY_BARS :], as_of)
    np.testing.assert_array_equal(long.values, short.values)


def test_too_little_history_is_a_typed_error_saying_how_much_is_needed():
    bars = random_walk("AAPL", HISTORY_BARS - 1)
    with pytest.raises(InsufficientHistoryError) as info:
        situation_vector(bars, close_time(bars, HISTORY_BARS - 2))
    assert info.value.code == "INSUFFICIENT_HISTORY"
    assert (info.value.needed, info.value.got) == (HISTORY_BARS, HISTORY_BARS - 1)


def test_regime_block_is_one_hot_on_the_given_regime():
    bars = random_walk("AAPL", 150)
    situation = situation_vector(bars, close_time(bars, 149), regime=Regime.CRISIS)
    features = situation.as_dict()
    regime_values = {k: v for k, v in features.items() if k.startswith("regime_")}
    assert regime_values == {f"regime_{r.value}": float(r is Regime.CRISIS) for r in Regime}
    assert len(situation.values) == len(FEATURE_NAMES)


def test_a_steady_uptrend_reads_as_positive_returns_high_rsi_and_bull_trend():
    closes = 100.0 * np.exp(np.linspace(0.0, 0.3, 150))
    situation = situation_vector(bars_from_closes("MSFT", closes), close_time_of(closes))
    features = situation.as_dict()
    assert all(features[f"return_{w}"] > 0 for w in (1, 5, 20, 60))
    assert features["rsi_14"] > 0.9
    assert situation.regime is Regime.BULL_TREND


def test_a_volume_spike_gives_a_large_positive_volume_z_score():
    rng = np.random.default_rng(3)
    volume = rng.uniform(900, 1100, 150)
    volume[-1] = 5_000
    bars = bars_from_closes("AAPL", np.full(150, 50.0) + rng.normal(0, 0.1, 150), volume)
    assert situation_vector(bars, close_time(bars, 149)).as_dict()["volume_z_20"] > 10


def close_time_of(closes):
    bars = bars_from_closes("X", closes)
    return close_time(bars, len(closes) - 1)
