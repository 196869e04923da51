"""The alpaca-py names the adapter uses, imported in one place.

``alpaca.trading`` imports its ``TradingStream``, which imports the deprecated
``websockets.legacy`` module and warns at import time. The adapter does not use that stream
(see ``stream.py``), so that one warning is silenced here, for this import only.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r"websockets\.legacy is deprecated", category=DeprecationWarning
    )
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderClass, OrderSide, QueryOrderStatus, TimeInForce
    from alpaca.trading.requests import (
        GetCalendarRequest,
        GetOrdersRequest,
        LimitOrderRequest,
        MarketOrderRequest,
        OptionLegRequest,
        OrderRequest,
        StopLimitOrderRequest,
        StopLossRequest,
        StopOrderRequest,
        TakeProfitRequest,
    )

__all__ = [
    "APIError",
    "GetCalendarRequest",
    "GetOrdersRequest",
    "LimitOrderRequest",
    "MarketOrderRequest",
    "OptionLegRequest",
    "OrderClass",
    "OrderRequest",
    "OrderSide",
    "QueryOrderStatus",
    "StopLimitOrderRequest",
    "StopLossRequest",
    "StopOrderRequest",
    "TakeProfitRequest",
    "TimeInForce",
    "TradingClient",
]
