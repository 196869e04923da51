"""LIVE safety: the start-up refusals, and mass cancel when the broker connection is lost.

LIVE starts only with keys, an explicit ``CREAM_LIVE_CONFIRM=LIVE``, Alpaca's live endpoint,
an active LIVE config whose content was active in PAPER, and (checked by the runtime) a
completed reconciliation. It also refuses inside a test run, so no test can ever reach a
live account, whatever its settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable

from cream.engine.broker.alpaca.errors import LiveRefusedError
from cream.settings import Settings
from cream.storage.config_versions import ConfigVersionStore
from cream.storage.database import Database

log = logging.getLogger(__name__)
LIVE_TRADING_URL = "https://api.alpaca.markets"
LIVE_CONFIRMATION = "LIVE"


async def check_live_preconditions(settings: Settings, db: Database) -> None:
    """Refuse LIVE unless every precondition holds (see the module docstring).

    Raises:
        LiveRefusedError: The first missing precondition, with its own code.
    """
    if os.environ.get("PYTEST_CURRENT_TEST"):
        raise LiveRefusedError("LIVE never runs under a test runner", code="LIVE_UNDER_TEST")
    if not settings.alpaca_key or not settings.alpaca_secret:
        raise LiveRefusedError(
            "LIVE needs ALPACA_KEY and ALPACA_SECRET of the live account",
            code="LIVE_KEYS_MISSING",
        )
    if settings.cream_live_confirm != LIVE_CONFIRMATION:
        raise LiveRefusedError(
            f"LIVE trades real money: set CREAM_LIVE_CONFIRM={LIVE_CONFIRMATION} to confirm",
            code="LIVE_NOT_CONFIRMED",
        )
    base = (settings.alpaca_base_url or LIVE_TRADING_URL).rstrip("/")
    if base != LIVE_TRADING_URL:
        raise LiveRefusedError(
            f"LIVE must use {LIVE_TRADING_URL}, not ALPACA_BASE_URL={base}",
            code="LIVE_ENDPOINT",
        )
    store = ConfigVersionStore(db, "LIVE")
    active = await store.active()
    if active is None:
        raise LiveRefusedError(
            "LIVE has no active config: promote one that ran in PAPER first",
            code="LIVE_CONFIG_MISSING",
        )
    if not await store.proven_in_paper(active.content_hash):
        raise LiveRefusedError(
            f"the active LIVE config v{active.version} was never active in PAPER",
            code="LIVE_CONFIG_NOT_PROVEN",
        )


class ConnectionMonitor:
    """Mass-cancels open orders when the broker connection stays lost past a grace period.

    Args:
        cancel_all: Cancels every open order at the broker; returns how many.
        grace_seconds: How long a lost connection is tolerated.
        on_mass_cancel: Told the count (or the error) afterwards, to raise an alert.
    """

    def __init__(
        self,
        cancel_all: Callable[[], Awaitable[int]],
        grace_seconds: float,
        on_mass_cancel: Callable[[str], Awaitable[None]],
    ) -> None:
        self._cancel_all = cancel_all
        self._grace = grace_seconds
        self._on_mass_cancel = on_mass_cancel
        self._timer: asyncio.Task[None] | None = None
        self.mass_cancels = 0

    def lost(self) -> None:
        """The connection dropped: start the grace timer (once)."""
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._expire(), name="broker-grace-timer")

    async def restored(self) -> None:
        """The connection is back: stop the timer."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None

    async def _expire(self) -> None:
        await asyncio.sleep(self._grace)
        try:
            count = await self._cancel_all()
            outcome = (
                f"broker connection lost for {self._grace:g} s: canceled {count} open order(s)"
            )
        except Exception as exc:  # the alert must go out whatever failed
            outcome = f"broker connection lost for {self._grace:g} s: mass cancel failed: {exc}"
        self.mass_cancels += 1
        log.critical(outcome)
        await self._on_mass_cancel(outcome)
