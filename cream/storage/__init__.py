"""Persistence on libSQL: the `Database`, its migrations, and the repositories."""

from cream.storage.database import DEFAULT_DATABASE_URL, Database, ExecResult, Row, Statement
from cream.storage.errors import (
    DatabaseUnavailableError,
    DuplicateClientOrderIdError,
    StorageError,
)
from cream.storage.orders import ExecutionSaved, OrderRepository

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Database",
    "DatabaseUnavailableError",
    "DuplicateClientOrderIdError",
    "ExecResult",
    "ExecutionSaved",
    "OrderRepository",
    "Row",
    "Statement",
    "StorageError",
]
