"""Alpaca-specific failures, each a BrokerPort error with a stable code."""

from __future__ import annotations

from cream.engine.broker.port import BrokerRejectedError, BrokerUnavailableError
from cream.engine.errors import FailedPreconditionError


class AlpacaOrderInvalidError(BrokerRejectedError):
    """The order breaks one of Alpaca's rules; it was refused locally, before sending."""

    code = "ALPACA_ORDER_INVALID"


class AlpacaRejectedError(BrokerRejectedError):
    """Alpaca answered 4xx: the order (or request) was definitively refused."""

    code = "ALPACA_REJECTED"


class AlpacaUnavailableError(BrokerUnavailableError):
    """Alpaca could not be reached or answered ambiguously (timeout, 5xx, 429 past its budget)."""

    code = "ALPACA_UNAVAILABLE"


class AlpacaNotFoundError(AlpacaRejectedError):
    """Alpaca has no such order (404)."""

    code = "ALPACA_NOT_FOUND"


class SubmitThrottledError(BrokerRejectedError):
    """Too many submissions in a short window: refused locally as a runaway-loop guard."""

    code = "SUBMIT_THROTTLED"


class SubmissionsGatedError(FailedPreconditionError):
    """New orders wait until reconciliation with the broker has completed."""

    code = "BROKER_RECONCILING"


class LiveRefusedError(FailedPreconditionError):
    """LIVE trading cannot start: a precondition is missing."""

    code = "LIVE_REFUSED"
