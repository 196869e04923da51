"""Choose the engine's market feed from the environment, `CREAM_MARKET_FEED` and the Alpaca keys.

| CREAM_ENV | auto (default)                      | synthetic | replay          | alpaca       |
|-----------|-------------------------------------|-----------|-----------------|--------------|
| BACKTEST  | replay (needs CREAM_REPLAY_DIR)      | synthetic | replay          | refused      |
| PAPER     | alpaca with keys, else synthetic    | synthetic | replay          | needs keys   |
| LIVE      | alpaca (refused without keys)       | refused   | refused         | needs keys   |

A backtest never touches the network, and LIVE trades only on observed market data. Every
refusal is a `FeedSelectionError` with a stable code and the setting to change. The Alpaca
feed's requests share one token bucket per key (through Redis when REDIS_URL is set, so every
process stays under the key's budget together).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from cream.clock import Clock
from cream.market.alpaca_client import AlpacaDataClients, Limiter
from cream.market.alpaca_feed import AlpacaFeed
from cream.market.feed import MarketFeed
from cream.market.replay import DataUnavailable, ReplayFeed
from cream.market.replay_feed import ReplayMarketFeed
from cream.market.synthetic import SyntheticFeed
from cream.resilience.token_bucket import RedisTokenBucket, TokenBucket
from cream.settings import Environment, Settings

# Alpaca's market-data budget per key; a small burst keeps a cold start from using it at once.
ALPACA_DATA_REQUESTS_PER_MINUTE = 200
ALPACA_DATA_BURST = 10


class FeedSelectionError(Exception):
    """The settings ask for a feed that cannot or must not run; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def feed_kind(settings: Settings) -> str:
    """Which feed the settings select: "synthetic", "replay" or "alpaca".

    Raises:
        FeedSelectionError: the combination is refused (see the module table).
    """
    env, choice = settings.cream_env, settings.cream_market_feed
    keys = bool(settings.alpaca_key and settings.alpaca_secret)
    if env is Environment.BACKTEST:
        if choice == "alpaca":
            raise FeedSelectionError(
                "BACKTEST_NO_NETWORK",
                "a backtest never calls Alpaca: set CREAM_MARKET_FEED=replay (or auto) and "
                "CREAM_REPLAY_DIR",
            )
        return "synthetic" if choice == "synthetic" else "replay"
    if env is Environment.LIVE:
        if choice not in ("auto", "alpaca"):
            raise FeedSelectionError(
                "LIVE_NEEDS_ALPACA_DATA",
                f"LIVE trades only on Alpaca market data, not the {choice} feed: set "
                "CREAM_MARKET_FEED=alpaca (or auto)",
            )
        if not keys:
            raise FeedSelectionError(
                "LIVE_NEEDS_ALPACA_KEYS",
                "LIVE refuses to start without market data: set ALPACA_KEY and ALPACA_SECRET",
            )
        return "alpaca"
    if choice == "alpaca" and not keys:
        raise FeedSelectionError(
            "MISSING_ALPACA_KEYS",
            "CREAM_MARKET_FEED=alpaca needs ALPACA_KEY and ALPACA_SECRET (or use auto/synthetic)",
        )
    if choice == "auto":
        return "alpaca" if keys else "synthetic"
    return choice


def build_feed(
    settings: Settings,
    clock: Clock,
    *,
    universe: Iterable[str] = (),
    limiter: Limiter | None = None,
) -> MarketFeed:
    """The market feed the settings select, ready to serve.

    Args:
        settings: process settings (CREAM_ENV, CREAM_MARKET_FEED, CREAM_REPLAY_DIR, ALPACA_*).
        clock: the engine's clock (simulated in backtests).
        universe: the symbols the synthetic feed prices (Alpaca and replay know their own).
        limiter: the Alpaca data rate limit; by default one bucket per key, Redis-shared
            when REDIS_URL is set.

    Raises:
        FeedSelectionError: a refused combination, MISSING_REPLAY_DIR or REPLAY_DIR_NOT_FOUND.
    """
    kind = feed_kind(settings)
    if kind == "synthetic":
        return SyntheticFeed(sorted(set(universe)), clock)
    if kind == "replay":
        return _replay(settings, clock)
    key, secret = settings.alpaca_key or "", settings.alpaca_secret or ""
    clients = AlpacaDataClients(
        key, secret, limiter or _limiter(settings, key), base_url=settings.alpaca_data_url
    )
    return AlpacaFeed(clients, clock)


def _replay(settings: Settings, clock: Clock) -> ReplayMarketFeed:
    if not settings.cream_replay_dir:
        raise FeedSelectionError(
            "MISSING_REPLAY_DIR",
            f"CREAM_ENV={settings.cream_env.value} with the replay feed needs CREAM_REPLAY_DIR: "
            "a folder of Lean zips (equity/usa/hour, daily) or CSV bars (1h/, 1d/)",
        )
    root = Path(settings.cream_replay_dir)
    try:
        return ReplayMarketFeed(ReplayFeed(root), clock)
    except DataUnavailable as exc:
        raise FeedSelectionError(
            "REPLAY_DIR_NOT_FOUND", f"CREAM_REPLAY_DIR={root} is not usable: {exc.message}"
        ) from None


def _limiter(settings: Settings, key: str) -> Limiter:
    if settings.redis_url:
        # The key id is not secret, but a digest keeps it out of Redis key listings.
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return RedisTokenBucket(
            settings.redis_url,
            f"ratelimit:alpaca-data:{digest}",
            ALPACA_DATA_REQUESTS_PER_MINUTE,
            ALPACA_DATA_BURST,
        )
    return TokenBucket(ALPACA_DATA_REQUESTS_PER_MINUTE, ALPACA_DATA_BURST)
