"""A fake Alpaca trading API (REST + trade_updates websocket) on a loopback port, for tests."""

from tests.fakes.alpaca.server import FakeAlpaca

__all__ = ["FakeAlpaca"]
