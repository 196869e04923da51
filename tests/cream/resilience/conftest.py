"""Fixtures: the session's real redis-server."""

from tests.servers import redis_server

__all__ = ["redis_server"]
