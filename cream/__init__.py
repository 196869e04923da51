"""Cream: the shared kernel (settings, storage, config, market data, events, engine)."""

__version__ = "0.1.0"
