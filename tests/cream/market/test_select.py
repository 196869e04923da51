"""Feed selection: environment, CREAM_MARKET_FEED and the Alpaca keys decide; refusals are typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import grpc
import pytest

from cream.clock import ManualClock
from cream.engine.server import start_engine
from cream.market.alpaca_feed import AlpacaFeed
from cream.market.replay_feed import ReplayMarketFeed
from cream.market.select import FeedSelectionError, build_feed, feed_kind
from cream.market.synthetic import SyntheticFeed
from cream.resilience.token_bucket import TokenBucket
from cream.settings import Environment, Settings
from cream.v1 import market_snapshot_pb2 as md
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from tests.fakes.alpaca_data import KEY, SECRET, FakeAlpacaData, quote, trade

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
KEYS = {"alpaca_key": KEY, "alpaca_secret": SECRET}


def settings(
    env: str, feed: Literal["synthetic", "replay", "alpaca", "auto"] = "auto", **extra
) -> Settings:
    return Settings(cream_env=Environment(env), cream_market_feed=feed, **extra)


@pytest.fixture
def replay_dir(tmp_path):
    folder = tmp_path / "bars" / "1h"
    folder.mkdir(parents=True)
    rows = ["timestamp,open,high,low,close,volume"]
    rows += [
        f"{(NOW - timedelta(hours=10 - i)).isoformat()},100,101,99,100.5,1000" for i in range(10)
    ]
    (folder / "XYZ.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "bars"


@pytest.mark.parametrize(
    ("env", "feed", "keys", "kind"),
    [
        ("PAPER", "auto", False, "synthetic"),
        ("PAPER", "auto", True, "alpaca"),
        ("PAPER", "synthetic", True, "synthetic"),
        ("PAPER", "replay", True, "replay"),
        ("PAPER", "alpaca", True, "alpaca"),
        ("LIVE", "auto", True, "alpaca"),
        ("LIVE", "alpaca", True, "alpaca"),
        ("BACKTEST", "auto", True, "replay"),
        ("BACKTEST", "replay", False, "replay"),
        ("BACKTEST", "synthetic", True, "synthetic"),
    ],
)
def test_the_environment_keys_and_setting_pick_the_feed(env, feed, keys, kind):
    assert feed_kind(settings(env, feed, **(KEYS if keys else {}))) == kind


@pytest.mark.parametrize(
    ("env", "feed", "keys", "code"),
    [
        ("LIVE", "auto", False, "LIVE_NEEDS_ALPACA_KEYS"),
        ("LIVE", "alpaca", False, "LIVE_NEEDS_ALPACA_KEYS"),
        ("LIVE", "synthetic", True, "LIVE_NEEDS_ALPACA_DATA"),
        ("LIVE", "replay", True, "LIVE_NEEDS_ALPACA_DATA"),
        ("PAPER", "alpaca", False, "MISSING_ALPACA_KEYS"),
        ("BACKTEST", "alpaca", True, "BACKTEST_NO_NETWORK"),
    ],
)
def test_refused_combinations_say_what_to_set(env, feed, keys, code):
    with pytest.raises(FeedSelectionError) as info:
        build_feed(settings(env, feed, **(KEYS if keys else {})), ManualClock(NOW))
    assert info.value.code == code
    assert "ALPACA" in info.value.message or "CREAM_MARKET_FEED" in info.value.message


def test_a_half_set_key_pair_counts_as_no_keys():
    assert feed_kind(settings("PAPER", alpaca_key=KEY)) == "synthetic"
    with pytest.raises(FeedSelectionError):
        feed_kind(settings("LIVE", alpaca_secret=SECRET))


def test_an_unknown_feed_name_is_refused_by_the_settings():
    with pytest.raises(ValueError, match="cream_market_feed"):
        Settings(cream_market_feed="bloomberg")  # type: ignore[arg-type]


def test_backtest_without_a_replay_dir_is_refused():
    with pytest.raises(FeedSelectionError) as info:
        build_feed(settings("BACKTEST"), ManualClock(NOW))
    assert info.value.code == "MISSING_REPLAY_DIR"
    assert "CREAM_REPLAY_DIR" in info.value.message


def test_a_replay_dir_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(FeedSelectionError) as info:
        build_feed(settings("BACKTEST", cream_replay_dir=str(tmp_path / "nope")), ManualClock(NOW))
    assert info.value.code == "REPLAY_DIR_NOT_FOUND"


def test_backtest_replays_the_configured_folder(replay_dir):
    feed = build_feed(settings("BACKTEST", cream_replay_dir=str(replay_dir)), ManualClock(NOW))
    assert isinstance(feed, ReplayMarketFeed)
    assert feed.knows("XYZ") and not feed.knows("AAPL")


def test_paper_without_keys_is_the_synthetic_universe():
    feed = build_feed(settings("PAPER"), ManualClock(NOW), universe=["AAPL", "SPY"])
    assert isinstance(feed, SyntheticFeed)
    assert feed.symbols == {"AAPL", "SPY"}


async def test_paper_with_keys_reads_alpaca_through_the_shared_bucket():
    bucket = TokenBucket(200, 10)
    with FakeAlpacaData() as fake:
        fake.set_quote("AAPL", quote(NOW, 170.1, 170.12), last=trade(NOW, 170.11))
        feed = build_feed(
            settings("PAPER", alpaca_key=KEY, alpaca_secret=SECRET, alpaca_data_url=fake.url),
            ManualClock(NOW),
            limiter=bucket,
        )
        assert isinstance(feed, AlpacaFeed)

        batch = await feed.latest_quotes(["AAPL"], NOW)

    assert batch.quotes["AAPL"].last == "170.11"
    assert bucket.tokens < 10  # the request took a token from the bucket it was given


async def test_the_engine_serves_the_selected_feed(tmp_path, replay_dir):
    engine_settings = settings(
        "BACKTEST", cream_replay_dir=str(replay_dir), cream_db_url=f"file:{tmp_path / 'e.db'}"
    )
    runtime = await start_engine(engine_settings, listen="127.0.0.1:0", clock=ManualClock(NOW))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.port}") as channel:
            stub = md_grpc.MarketDataServiceStub(channel)
            reply = await stub.GetSnapshot(md.GetSnapshotRequest(symbols=["XYZ", "AAPL"]))
    finally:
        await runtime.stop(grace=0)

    assert [s.symbol for s in reply.snapshot.symbols] == ["XYZ"]
    assert reply.snapshot.symbols[0].quote.modeled.startswith("MODELED_FROM_BAR")
    assert [(u.symbol, u.reason_code) for u in reply.snapshot.unavailable] == [
        ("AAPL", "UNKNOWN_SYMBOL")
    ]


async def test_an_engine_asked_for_a_refused_feed_does_not_start(tmp_path):
    engine_settings = settings("LIVE", cream_db_url=f"file:{tmp_path / 'e.db'}")
    # The feed selector or the LIVE start-up guards may refuse first; either names the keys.
    with pytest.raises(Exception, match="ALPACA_KEY"):
        await start_engine(engine_settings, listen="127.0.0.1:0", clock=ManualClock(NOW))
