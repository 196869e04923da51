"""The storage error hierarchy: every failure of `cream.storage` is a `StorageError` with a code."""

from __future__ import annotations

from typing import ClassVar


class StorageError(Exception):
    """Base of every storage error; `code` is stable and safe to show or map to a status."""

    code: ClassVar[str] = "STORAGE_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidDatabaseUrlError(StorageError):
    """The database URL is malformed or uses an unsupported scheme."""

    code: ClassVar[str] = "INVALID_DATABASE_URL"


class DatabaseUnavailableError(StorageError):
    """The database cannot be reached or opened (server down, wrong URL, unwritable path)."""

    code: ClassVar[str] = "DATABASE_UNAVAILABLE"


class DatabaseBusyError(StorageError):
    """A file database stayed locked by another writer for longer than the retry budget."""

    code: ClassVar[str] = "DATABASE_BUSY"


class QueryError(StorageError):
    """The database refused a statement (syntax, schema or type error)."""

    code: ClassVar[str] = "QUERY_FAILED"


class ConstraintViolationError(QueryError):
    """A statement broke a UNIQUE, NOT NULL, CHECK or FOREIGN KEY constraint."""

    code: ClassVar[str] = "CONSTRAINT_VIOLATION"


class MigrationError(StorageError):
    """The migration files or the recorded migrations are inconsistent."""

    code: ClassVar[str] = "MIGRATION_FAILED"


class MigrationChecksumError(MigrationError):
    """An applied migration's file changed after it was applied."""

    code: ClassVar[str] = "MIGRATION_CHECKSUM_MISMATCH"


class UnknownMigrationError(MigrationError):
    """The database records a migration this code does not ship (the database is newer)."""

    code: ClassVar[str] = "UNKNOWN_MIGRATION"


class InvalidRecordError(StorageError):
    """A record given to a repository is incomplete or malformed; nothing was written."""

    code: ClassVar[str] = "INVALID_RECORD"


class EnvironmentMismatchError(InvalidRecordError):
    """A record belongs to another environment than the repository's."""

    code: ClassVar[str] = "ENVIRONMENT_MISMATCH"


class CorruptRecordError(StorageError):
    """A stored row cannot be decoded back into its message."""

    code: ClassVar[str] = "CORRUPT_RECORD"


class OrderNotFoundError(StorageError):
    """No order with this id exists in the repository's environment."""

    code: ClassVar[str] = "ORDER_NOT_FOUND"


class DuplicateOrderIdError(StorageError):
    """An order with this order_id already exists in the environment."""

    code: ClassVar[str] = "DUPLICATE_ORDER_ID"


class DuplicateClientOrderIdError(StorageError):
    """An order with this client_order_id already exists in the environment.

    Attributes:
        client_order_id: The repeated client order id.
        existing_order_id: The order_id of the order that already holds it.
    """

    code: ClassVar[str] = "DUPLICATE_CLIENT_ORDER_ID"

    def __init__(self, client_order_id: str, existing_order_id: str, environment: str) -> None:
        super().__init__(
            f"client_order_id {client_order_id!r} already belongs to order "
            f"{existing_order_id!r} in {environment}; a retry must reuse that order"
        )
        self.client_order_id = client_order_id
        self.existing_order_id = existing_order_id
