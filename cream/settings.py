"""One settings class for every Cream process, read from the environment."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    """Where Cream trades. Rows of different environments never mix."""

    BACKTEST = "BACKTEST"
    PAPER = "PAPER"
    LIVE = "LIVE"


class Settings(BaseSettings):
    """Process settings. Every external service is optional; the defaults run offline."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    cream_env: Environment = Field(default=Environment.PAPER, description="BACKTEST, PAPER or LIVE")
    cream_db_url: str = Field(
        default="file:var/cream.db", description="libSQL URL (file: or http:)"
    )
    cream_engine_addr: str = Field(default="127.0.0.1:50053", description="engine gRPC address")
    cream_engine_listen: str = Field(default="127.0.0.1:50053", description="engine listen address")
    redis_url: str | None = Field(
        default=None, description="Redis URL; in-process fallbacks if unset"
    )
    cream_market_feed: Literal["synthetic", "replay", "alpaca", "auto"] = Field(
        default="auto", description="market feed; auto picks by CREAM_ENV and Alpaca keys"
    )
    cream_replay_dir: str | None = Field(
        default=None, description="folder of Lean zips or CSV bars for the replay feed"
    )
    alpaca_key: str | None = None
    alpaca_secret: str | None = None
    # --- Alpaca endpoints and the LIVE confirmation (broker adapter) ---
    alpaca_base_url: str | None = Field(
        default=None, description="Alpaca trading API URL; default paper/live by CREAM_ENV"
    )
    alpaca_data_url: str | None = Field(default=None, description="Alpaca market data API URL")
    alpaca_stream_url: str | None = Field(
        default=None, description="Alpaca trade_updates websocket URL; default by CREAM_ENV"
    )
    cream_live_confirm: str | None = Field(
        default=None, description="must be 'LIVE' for CREAM_ENV=LIVE to start"
    )
    # --- end Alpaca ---
    google_api_key: str | None = None
    anthropic_api_key: str | None = None
    gemini_base_url: str | None = Field(default=None, description="Gemini API endpoint override")
    anthropic_base_url: str | None = Field(default=None, description="Anthropic endpoint override")
    cream_api_token: str | None = None
    cream_api_listen: str = Field(default="127.0.0.1:3001", description="api listen address")
    cream_worker_listen: str = Field(
        default="127.0.0.1:3002", description="worker /health listen address"
    )
    cream_log_level: str = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
