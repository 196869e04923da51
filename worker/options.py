"""The worker's own settings (environment variables `CREAM_WORKER_*`).

The cadence itself (`trading.trading_cycle_interval_ms`, `trading.prediction_markets_interval_ms`)
is governed config and follows promotions; these are process knobs an operator sets.
"""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerOptions(BaseSettings):
    """Knobs of the scheduler process."""

    model_config = SettingsConfigDict(env_prefix="CREAM_WORKER_", extra="ignore", frozen=True)

    settle_seconds: float = Field(
        default=30.0, ge=0, le=3600, description="delay after the candle close"
    )
    run_when_closed: bool = Field(
        default=False, description="run cycles outside sessions and on holidays"
    )
    exchange: str = Field(default="XNYS", description="exchange_calendars code of the calendar")
    filings_at: time = Field(default=time(6, 0), description="daily filings sync, New York time")
    misfire_grace_seconds: float = Field(
        default=300.0, gt=0, description="how late a missed run may still start (then coalesced)"
    )
    lock_ttl_seconds: float = Field(
        default=60.0, gt=0, description="lease length; renewed every third of it"
    )
    lock_poll_seconds: float = Field(
        default=0.5, gt=0, description="how often a requested cycle retries a held lock"
    )
    poll_seconds: float = Field(
        default=1.0, gt=0, description="event-log poll (the bound on a lost wake-up)"
    )
    engine_timeout_seconds: float = Field(default=1.0, gt=0, description="engine health probe")
    equity_interval_seconds: float = Field(
        default=300.0, ge=60, le=86_400, description="equity snapshots while the session is open"
    )
    account_timeout_seconds: float = Field(
        default=5.0, gt=0, description="deadline of the engine's account call (equity snapshots)"
    )

    @property
    def settle(self) -> timedelta:
        """`settle_seconds` as a timedelta."""
        return timedelta(seconds=self.settle_seconds)

    @property
    def lock_ttl(self) -> timedelta:
        """`lock_ttl_seconds` as a timedelta."""
        return timedelta(seconds=self.lock_ttl_seconds)
