"""Brokers behind one port: the local simulator now, Alpaca beside it."""
