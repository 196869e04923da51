"""Which orders are exit legs a broker created for an entry (bracket / OTO), per environment.

The legs are ordinary orders (``orders`` table); this records which ones they are and which
entry they protect, so a later reducing order on the symbol can cancel them first.
"""

from __future__ import annotations

from typing import Final

from cream.storage.errors import InvalidRecordError
from cream.storage.repository import EnvironmentRepository
from cream.storage.rows import text
from cream.storage.timestamps import format_utc

_INSERT: Final = (
    "INSERT INTO order_exit_legs (id, environment, entry_order_id, symbol, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (environment, id) DO NOTHING"
)


class ExitLegRepository(EnvironmentRepository):
    """Exit legs of one environment.

    Built with `(db, environment, clock=)`; see `EnvironmentRepository`.
    """

    async def add(self, leg_order_id: str, entry_order_id: str, symbol: str) -> None:
        """Record that ``leg_order_id`` is an exit leg of ``entry_order_id`` (idempotent).

        Raises:
            InvalidRecordError: An id or the symbol is empty.
        """
        if not leg_order_id or not entry_order_id or not symbol:
            raise InvalidRecordError("an exit leg needs its order id, its entry and a symbol")
        now = format_utc(self._clock.now())
        await self._db.execute(
            _INSERT, (leg_order_id, self._environment, entry_order_id, symbol, now, now)
        )

    async def for_symbol(self, symbol: str) -> frozenset[str]:
        """Order ids of every exit leg ever recorded for ``symbol`` (filter by open orders)."""
        rows = await self._db.query(
            "SELECT id FROM order_exit_legs WHERE environment = ? AND symbol = ?",
            (self._environment, symbol),
        )
        return frozenset(text(row, "id") for row in rows)
