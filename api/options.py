"""The API process's own knobs (environment variables `CREAM_API_*`).

`CREAM_API_TOKEN` and `CREAM_API_LISTEN` are shared settings (`cream.settings.Settings`);
these only tune how the API talks to the engine and the worker.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiOptions(BaseSettings):
    """Knobs of the API process."""

    model_config = SettingsConfigDict(env_prefix="CREAM_API_", extra="ignore", frozen=True)

    market_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="how often QUOTES/OPTIONS subscribers' symbols are re-read from the engine",
    )
    worker_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, description="deadline of the worker /health probe"
    )
