"""The real redis-server fixture for the shared rate-limit tests."""

from tests.servers import redis_server

__all__ = ["redis_server"]
