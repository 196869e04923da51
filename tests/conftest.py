"""Shared fixtures: real servers live in `tests/servers.py` and are re-exported here."""

from tests.servers import libsql_url, sqld_server

__all__ = ["libsql_url", "sqld_server"]
