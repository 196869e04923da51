"""The alpaca-py names the market-data feed uses, imported with its one known import warning.

alpaca-py 0.44 imports `websockets.legacy` (for its trading stream) from `alpaca.data`, which
emits a DeprecationWarning at import; that is the SDK's business, not ours, so exactly that
warning is silenced here and every other warning still surfaces.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r"websockets\.legacy is deprecated", category=DeprecationWarning
    )
    from alpaca.common.enums import Sort
    from alpaca.common.exceptions import APIError
    from alpaca.data.enums import Adjustment, DataFeed, OptionsFeed
    from alpaca.data.historical.option import OptionHistoricalDataClient
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.data.models import Bar, BarSet, Quote
    from alpaca.data.models.snapshots import OptionsSnapshot, Snapshot
    from alpaca.data.requests import (
        OptionChainRequest,
        OptionSnapshotRequest,
        StockBarsRequest,
        StockSnapshotRequest,
    )
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

__all__ = [
    "APIError",
    "Adjustment",
    "Bar",
    "BarSet",
    "DataFeed",
    "OptionChainRequest",
    "OptionHistoricalDataClient",
    "OptionSnapshotRequest",
    "OptionsFeed",
    "OptionsSnapshot",
    "Quote",
    "Snapshot",
    "Sort",
    "StockBarsRequest",
    "StockHistoricalDataClient",
    "StockSnapshotRequest",
    "TimeFrame",
    "TimeFrameUnit",
]
