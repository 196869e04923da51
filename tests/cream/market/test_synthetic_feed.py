"""SyntheticFeed: exact replays, regime-switching paths, U-shaped volume, bars, option chains."""

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from cream.clock import ManualClock
from cream.market.feed import DataUnavailable
from cream.market.occ import parse_occ
from cream.market.options import years_to_expiry
from cream.market.replay import ReplayRequestError
from cream.market.synthetic import SyntheticFeed
from cream.market.synthetic_path import PathRegime, mid_prices

NY = ZoneInfo("America/New_York")
# Wednesday 2026-11-18, 10:00 New York: the 09:00 hourly bar has just closed.
T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
UNIVERSE = ["AAPL", "MSFT", "SPY", "TSLA"]


@pytest.fixture
def feed():
    return SyntheticFeed(UNIVERSE, ManualClock(T0))


async def test_same_inputs_give_identical_quotes_bars_and_chains():
    first, second = (SyntheticFeed(UNIVERSE, ManualClock(T0)) for _ in range(2))
    for tf in ("1h", "1d"):
        a = await first.bars("AAPL", tf, end=T0, limit=120)
        b = await second.bars("AAPL", tf, end=T0, limit=120)
        for column in ("timestamps", "close_times", "open", "high", "low", "close", "volume"):
            assert np.array_equal(getattr(a, column), getattr(b, column)), column
    assert (await first.latest_quotes(UNIVERSE, T0)).quotes == (
        await second.latest_quotes(UNIVERSE, T0)
    ).quotes
    assert (await first.option_chain("SPY", T0)).options == (
        await second.option_chain("SPY", T0)
    ).options


async def test_different_symbols_follow_different_paths(feed):
    aapl = await feed.bars("AAPL", "1h", end=T0, limit=50)
    msft = await feed.bars("MSFT", "1h", end=T0, limit=50)
    returns = np.corrcoef(np.diff(np.log(aapl.close)), np.diff(np.log(msft.close)))[0, 1]
    assert abs(returns) < 0.9


async def test_last_hourly_close_is_the_quote_at_its_close_time(feed):
    bars = await feed.bars("AAPL", "1h", end=T0, limit=120)
    quote = (await feed.latest_quotes(["AAPL"], T0)).quotes["AAPL"]
    assert bars[-1].close_time == T0
    assert float(quote.last) == pytest.approx(bars.close[-1], abs=0.011)
    later = (await feed.latest_quotes(["AAPL"], T0 + timedelta(minutes=40))).quotes["AAPL"]
    assert float(later.last) == pytest.approx(bars.close[-1], rel=0.03)


async def test_bars_are_point_in_time_and_never_revised(feed):
    end = datetime(2026, 11, 18, 10, 59, tzinfo=NY)
    early = await feed.bars("AAPL", "1h", end=end, limit=40)
    late = await feed.bars("AAPL", "1h", end=end + timedelta(days=3), limit=80)
    assert early[-1].close_time == datetime(2026, 11, 18, 10, 0, tzinfo=NY)
    assert early.end_times.max() <= int(end.timestamp()) * 10**9
    overlap = late.timestamps.searchsorted(early.timestamps[0])
    for column in ("open", "high", "low", "close", "volume"):
        got = getattr(late, column)[overlap : overlap + len(early)]
        assert np.array_equal(got, getattr(early, column)), column


async def test_hourly_bars_follow_the_session_calendar(feed):
    bars = await feed.bars("SPY", "1h", end=T0, limit=70)
    assert len(bars) == 70
    labels = [b.timestamp.astimezone(NY) for b in bars]
    assert {t.hour for t in labels} == set(range(9, 16))
    assert all(t.weekday() < 5 for t in labels)
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in bars)


async def test_daily_bars_aggregate_their_sessions_hourly_bars(feed):
    days = await feed.bars("TSLA", "1d", end=T0, limit=3)
    hours = await feed.bars("TSLA", "1h", end=T0, limit=30)
    day = days[-1]
    session = [b for b in hours if b.timestamp.astimezone(NY).date() == day.timestamp.date()]
    assert len(session) == 7
    assert day.close_time == datetime(2026, 11, 17, 16, 0, tzinfo=NY)
    assert day.open == session[0].open
    assert day.close == session[-1].close
    assert day.high == max(b.high for b in session)
    assert day.low == min(b.low for b in session)
    assert day.volume == pytest.approx(sum(b.volume for b in session))


async def test_intraday_volume_is_u_shaped(feed):
    bars = await feed.bars("MSFT", "1h", end=T0, limit=7 * 60)
    hours = np.array([b.timestamp.astimezone(NY).hour for b in bars])
    by_hour = {h: bars.volume[hours == h].mean() for h in range(9, 16)}
    midday = min(by_hour[12], by_hour[13])
    # The first bar covers only half an hour yet trades more than midday hours.
    assert by_hour[9] > midday * 1.2
    assert by_hour[15] > by_hour[9]
    assert by_hour[15] > 2 * midday


def test_regimes_switch_at_seeded_times_and_shape_the_path():
    stamps = T0.timestamp() + np.arange(0, 400 * 86_400, 3_600, dtype=np.float64)
    prices, regimes = mid_prices("AAPL", stamps)
    _, other = mid_prices("MSFT", stamps)
    assert set(regimes.tolist()) == {r.value for r in PathRegime}
    switches = np.flatnonzero(np.diff(regimes)) + 1
    assert 30 < len(switches) < 120
    assert not np.array_equal(regimes, other)
    moves = np.diff(np.log(prices))
    by = {r: moves[regimes[1:] == r] for r in PathRegime}
    assert by[PathRegime.TREND_UP].mean() > 0 > by[PathRegime.TREND_DOWN].mean()
    assert by[PathRegime.HIGH_VOL].std() > 1.5 * by[PathRegime.RANGE].std()


def test_path_is_continuous_across_regime_switches():
    stamps = T0.timestamp() + np.arange(0, 200 * 86_400, 60, dtype=np.float64)
    prices, _ = mid_prices("SPY", stamps)
    assert np.abs(np.diff(np.log(prices))).max() < 0.01


async def test_quotes_have_a_sane_spread_around_last(feed):
    for minutes in range(0, 24 * 60, 97):
        quote = (await feed.latest_quotes(["SPY"], T0 + timedelta(minutes=minutes))).quotes["SPY"]
        bid, ask, last = float(quote.bid), float(quote.ask), float(quote.last)
        assert 0 < bid < ask
        assert bid <= last <= ask
        assert (ask - bid) / last < 0.005
        assert quote.bid_size > 0


async def test_unknown_symbols_are_reported_never_invented(feed):
    batch = await feed.latest_quotes(["AAPL", "ZZZZ"], T0)
    assert set(batch.quotes) == {"AAPL"}
    assert batch.unavailable["ZZZZ"].reason_code == "UNKNOWN_SYMBOL"
    with pytest.raises(DataUnavailable) as info:
        await feed.bars("ZZZZ", "1h", end=T0, limit=10)
    assert info.value.code == "UNKNOWN_SYMBOL"
    with pytest.raises(DataUnavailable):
        await feed.option_chain("ZZZZ", T0)


@pytest.mark.parametrize(
    ("limit", "end", "code"),
    [
        (0, T0, "INVALID_LIMIT"),
        (10**6, T0, "INVALID_LIMIT"),
        (5, T0.replace(tzinfo=None), "NAIVE_DATETIME"),
    ],
)
async def test_bad_bar_requests_raise_typed_errors(feed, limit, end, code):
    with pytest.raises(ReplayRequestError) as info:
        await feed.bars("AAPL", "1h", end=end, limit=limit)
    assert info.value.code == code


async def test_option_chain_brackets_spot_over_several_future_expiries(feed):
    chain = await feed.option_chain("AAPL", T0)
    spot = float(chain.underlying_quote.last)
    contracts = [parse_occ(o.contract.occ_symbol) for o in chain.options]
    strikes = sorted({float(c.strike) for c in contracts})
    expiries = sorted({c.expiry for c in contracts})
    assert len(strikes) == 11
    assert strikes[0] < spot < strikes[-1]
    assert len(expiries) >= 5
    assert all(years_to_expiry(e, T0) > 0 for e in expiries)
    assert len(chain.options) == len(strikes) * len(expiries) * 2
    assert chain.unavailable == ()


async def test_option_chain_prices_obey_greeks_and_put_call_parity(feed):
    chain = await feed.option_chain("SPY", T0)
    spot = feed.mid("SPY", T0)
    by_key = {}
    for option in chain.options:
        c = parse_occ(option.contract.occ_symbol)
        by_key[(c.expiry, c.strike, c.is_call)] = option
        if c.is_call:
            assert 0 < option.greeks.delta < 1
        else:
            assert -1 < option.greeks.delta < 0
        assert option.greeks.gamma > 0
        assert float(option.quote.bid) <= float(option.quote.last) <= float(option.quote.ask)
    for (expiry, strike, is_call), call in by_key.items():
        if not is_call:
            continue
        put = by_key[(expiry, strike, False)]
        t = years_to_expiry(expiry, T0)
        parity = spot - float(strike) * math.exp(-0.04 * t)
        gap = float(call.quote.last) - float(put.quote.last)
        if min(float(call.quote.last), float(put.quote.last)) > 0.05:
            assert gap == pytest.approx(parity, abs=0.03)


async def test_option_chain_respects_expiry_bounds(feed):
    full = await feed.option_chain("MSFT", T0)
    expiries = sorted({o.contract.expiry for o in full.options})
    low, high = date.fromisoformat(expiries[1]), date.fromisoformat(expiries[2])
    bounded = await feed.option_chain("MSFT", T0, min_expiry=low, max_expiry=high)
    assert sorted({o.contract.expiry for o in bounded.options}) == expiries[1:3]


def test_bars_from_cached_sessions_equal_bars_sampled_afresh():
    warm = SyntheticFeed(UNIVERSE, ManualClock(T0))
    for k in range(30):  # ends spread over six weeks, so sessions enter the cache piecemeal
        end = T0 + timedelta(hours=5 * k + 1)
        for timeframe, limit in (("1h", 120), ("1h", 3), ("1d", 40), ("1h", 700)):
            cold = SyntheticFeed(UNIVERSE, ManualClock(T0))
            cached = warm.bars_now("AAPL", timeframe, end=end, limit=limit)
            fresh = cold.bars_now("AAPL", timeframe, end=end, limit=limit)
            for column in ("timestamps", "open", "high", "low", "close", "volume"):
                assert np.array_equal(getattr(cached, column), getattr(fresh, column)), (
                    k,
                    timeframe,
                    column,
                )


async def test_bars_of_sampled_sessions_are_served_without_the_worker_thread(feed, monkeypatch):
    import cream.market.synthetic as synthetic

    first = await feed.bars("MSFT", "1h", end=T0, limit=60)  # samples the sessions

    async def no_worker(*_args, **_kwargs):
        raise AssertionError("cached bars went to the worker thread")

    monkeypatch.setattr(synthetic, "off_loop", no_worker)
    again = await feed.bars("MSFT", "1h", end=T0, limit=60)
    assert np.array_equal(again.close, first.close)
    assert np.array_equal(again.timestamps, first.timestamps)
    # A request the feed refuses still goes the long way, which raises the feed's error.
    with pytest.raises(AssertionError):
        await feed.bars("MSFT", "1h", end=T0, limit=0)
