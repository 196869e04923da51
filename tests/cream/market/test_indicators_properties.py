"""Indicator invariants (shape, warm-up length, bounds) under hypothesis, and input validation."""

from typing import Any, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cream.market import indicators as ind
from cream.market.indicators import IndicatorInputError

prices = arrays(
    np.float64,
    st.integers(1, 80),
    elements=st.floats(0.01, 1e6, allow_nan=False, allow_infinity=False),
)
periods = st.integers(1, 30)


@st.composite
def ohlc(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    close = draw(prices)
    up = draw(arrays(np.float64, close.shape, elements=st.floats(0, 100)))
    down = draw(arrays(np.float64, close.shape, elements=st.floats(0, 100)))
    return close + up, np.maximum(close - down, 0.0), close


def nan_prefix(values: np.ndarray) -> int:
    finite = np.flatnonzero(~np.isnan(values))
    return values.shape[0] if finite.size == 0 else int(finite[0])


@settings(deadline=None)
@given(close=prices, n=periods)
def test_moving_averages_keep_length_and_warm_up_for_n_minus_one_bars(close, n):
    for result in (ind.sma(close, n), ind.ema(close, n), ind.bollinger(close, n).middle):
        assert result.shape == close.shape and result.dtype == np.float64
        assert nan_prefix(result) == min(n - 1, close.shape[0])
        assert not np.isnan(result[n - 1 :]).any()


@settings(deadline=None)
@given(close=prices, n=periods)
def test_rsi_is_within_0_and_100_after_n_bars(close, n):
    result = ind.rsi(close, n)
    assert result.shape == close.shape
    assert nan_prefix(result) == min(n, close.shape[0])
    valid = result[n:]
    assert ((valid >= 0.0) & (valid <= 100.0)).all()


@settings(deadline=None)
@given(close=prices, n=periods, k=st.floats(0.0, 5.0))
def test_bollinger_bands_are_ordered(close, n, k):
    bands = ind.bollinger(close, n, k)
    valid = ~np.isnan(bands.middle)
    scale = 1e-12 * np.abs(bands.middle[valid])  # mean of equal values may round by an ulp
    assert (bands.lower[valid] <= bands.middle[valid] + scale).all()
    assert (bands.middle[valid] <= bands.upper[valid] + scale).all()


@settings(deadline=None)
@given(data=ohlc(), n=periods)
def test_atr_is_non_negative_after_n_bars(data, n):
    high, low, close = data
    result = ind.atr(high, low, close, n)
    assert result.shape == close.shape
    assert nan_prefix(result) == min(n, close.shape[0])
    assert (result[n:] >= 0.0).all()


@settings(deadline=None)
@given(close=prices)
def test_macd_histogram_is_line_minus_signal(close):
    result = ind.macd(close, 3, 6, 4)
    assert nan_prefix(result.line) == min(5, close.shape[0])
    assert nan_prefix(result.signal) == min(8, close.shape[0])
    np.testing.assert_array_equal(result.histogram, result.line - result.signal)


def test_flat_series_has_neutral_rsi_and_zero_width_bands():
    flat = np.full(40, 25.0)
    assert (ind.rsi(flat, 14)[14:] == 50.0).all()
    bands = ind.bollinger(flat, 20)
    assert (bands.upper[19:] == bands.lower[19:]).all()
    assert (ind.atr(flat, flat, flat, 14)[14:] == 0.0).all()


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: ind.sma([1.0, 2.0], 0), "INVALID_PERIOD"),
        (lambda: ind.ema([1.0, 2.0], True), "INVALID_PERIOD"),
        (lambda: ind.rsi([1.0, 2.0], cast(Any, 2.5)), "INVALID_PERIOD"),
        (lambda: ind.macd([1.0] * 40, 26, 12, 9), "INVALID_PERIOD"),
        (lambda: ind.sma([1.0, float("nan")], 1), "NON_FINITE_INPUT"),
        (lambda: ind.ema([1.0, float("inf")], 1), "NON_FINITE_INPUT"),
        (lambda: ind.atr([1.0, 2.0], [1.0], [1.0, 2.0]), "LENGTH_MISMATCH"),
        (lambda: ind.sma(np.ones((2, 2, 2)), 1), "INVALID_SHAPE"),
        (lambda: ind.sma(["a", "b"], 1), "NOT_NUMERIC"),
        (lambda: ind.bollinger([1.0, 2.0], 2, -1.0), "INVALID_MULTIPLIER"),
    ],
)
def test_invalid_inputs_raise_typed_errors(call, code):
    with pytest.raises(IndicatorInputError) as info:
        call()
    assert info.value.code == code


def test_series_shorter_than_the_period_is_all_nan():
    for result in (ind.sma([1.0, 2.0], 5), ind.ema([1.0, 2.0], 5), ind.rsi([1.0, 2.0], 5)):
        assert np.isnan(result).all() and result.shape == (2,)
