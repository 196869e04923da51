"""The broker port: what the engine needs from any brokerage, and its typed failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from cream.engine.errors import EngineError
from cream.v1 import execution_pb2 as ex


class BrokerRejectedError(EngineError):
    """The broker definitively refused the order; it never became live."""

    code = "BROKER_REJECTED"


class BrokerUnavailableError(EngineError):
    """The broker could not be reached, or its answer was ambiguous (timeout, 5xx).

    An order whose submission ends like this stays in flight (PENDING_NEW) until a lookup
    by client_order_id resolves it; it is never marked rejected on a guess.
    """

    code = "BROKER_UNAVAILABLE"


class BrokerPort(Protocol):
    """A brokerage account: orders, their execution reports, account and positions."""

    name: str

    async def submit(self, order: ex.Order) -> str:
        """Send a NEW order; returns the broker's order id once acknowledged."""
        ...

    def exit_legs(self, order: ex.Order) -> list[ex.Order]:
        """Exit orders the broker attached to ``order`` when it was submitted (a bracket's
        stop loss and take profit), as NEW engine orders; empty when it attached none."""
        ...

    async def adopt(self, order: ex.Order) -> None:
        """Start reporting on an order the broker created (an exit leg the engine stored)."""
        ...

    async def cancel(self, order: ex.Order) -> None:
        """Ask the broker to cancel; the outcome arrives as an execution report."""
        ...

    async def account(self) -> ex.AccountState:
        """Equity, cash and buying power as the broker sees them."""
        ...

    async def positions(self) -> list[ex.Position]:
        """Open positions as the broker sees them (signed quantities)."""
        ...

    def reports(self) -> AsyncIterator[ex.ExecutionReport]:
        """The broker's execution reports (acks, fills, cancels), in order."""
        ...

    async def close(self) -> None:
        """Stop background work and release connections."""
        ...
