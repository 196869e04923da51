"""The order store: `cream.v1` Orders and Fills of one environment, with atomic execution saves."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass

from cream.storage.database import SqlValue, Statement
from cream.storage.errors import (
    ConstraintViolationError,
    DuplicateClientOrderIdError,
    DuplicateOrderIdError,
    InvalidRecordError,
    OrderNotFoundError,
    StorageError,
)
from cream.storage.order_records import (
    FILL_COLUMNS,
    OPEN_STATUSES,
    ORDER_COLUMNS,
    fill_from_row,
    fill_values,
    order_from_row,
    order_values,
    status_name,
)
from cream.storage.repository import EnvironmentRepository
from cream.storage.timestamps import format_utc
from cream.v1 import execution_pb2

MAX_PAGE = 1000

_INSERT_ORDER = (
    f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}, created_at, updated_at) "  # noqa: S608 - constant names only
    f"VALUES ({', '.join('?' for _ in ORDER_COLUMNS)}, ?, ?)"
)
# Identity columns (id, environment, client_order_id) and created_at never change.
_MUTABLE_ORDER_COLUMNS = ORDER_COLUMNS[3:]
_UPDATE_ORDER = (
    f"UPDATE orders SET {', '.join(f'{column} = ?' for column in _MUTABLE_ORDER_COLUMNS)}, "  # noqa: S608 - constant names only
    f"updated_at = ? WHERE environment = ? AND id = ? AND client_order_id = ?"
)
# The fill is written only when its order exists here (file databases do not enforce the
# foreign key) and only once per exec_id, in one statement that both schemes run atomically.
_INSERT_FILL = (
    f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}, created_at, updated_at) "  # noqa: S608 - constant names only
    f"SELECT {', '.join('?' for _ in FILL_COLUMNS)}, ?, ? "
    f"WHERE EXISTS (SELECT 1 FROM orders WHERE environment = ? AND id = ?) "
    f"ON CONFLICT (environment, order_id, exec_id) DO NOTHING"
)
_OPEN = ", ".join(f"'{status_name(status)}'" for status in sorted(OPEN_STATUSES))


@dataclass(frozen=True, slots=True)
class ExecutionSaved:
    """What `save_execution` wrote: whether the order was new and whether the fill was new."""

    order_created: bool
    fill_added: bool


class OrderRepository(EnvironmentRepository):
    """Orders and fills of one environment; every read and write is filtered by it.

    Args:
        db: An open database with the migrations applied.
        environment: BACKTEST, PAPER or LIVE.
        clock: Source of the rows' created_at/updated_at (default: the system clock).
    """

    @property
    def environment(self) -> str:
        """The environment this repository reads and writes."""
        return self._environment

    async def insert(self, order: execution_pb2.Order) -> None:
        """Stores a new order.

        Raises:
            DuplicateClientOrderIdError: Its client_order_id is already used in this environment.
            DuplicateOrderIdError: Its order_id is already used in this environment.
            EnvironmentMismatchError: The order is for another environment.
            InvalidRecordError: The order is incomplete or malformed.
        """
        statement = self._insert_statement(order)
        try:
            await self._db.execute(statement.sql, statement.params)
        except ConstraintViolationError as exc:
            raise await self._explain_conflict(order, exc) from exc

    async def update(self, order: execution_pb2.Order) -> None:
        """Replaces a stored order's state (client_order_id and created_at stay).

        Raises:
            OrderNotFoundError: No order with this id exists in this environment.
            InvalidRecordError: The order is malformed or its client_order_id differs.
        """
        statement = self._update_statement(order)
        result = await self._db.execute(statement.sql, statement.params)
        if result.rows_affected == 0:
            await self._check_identity(order, must_exist=True)

    async def save_execution(
        self,
        order: execution_pb2.Order,
        fill: execution_pb2.Fill | None = None,
        exec_id: str = "",
        events: Sequence[Statement] = (),
    ) -> ExecutionSaved:
        """Inserts or updates the order and adds its fill, atomically in one transaction.

        `events` (outbox inserts, e.g. `orders.updated`) are committed in the same
        transaction, so an execution is announced exactly when it is stored.

        `exec_id` is the id of the execution report that produced this state; it is stored
        with the fill (a report without a fill leaves no row of its own). A fill whose exec_id
        is already stored for the order is skipped while the order is still saved, so
        replaying an execution report is harmless.

        Raises:
            DuplicateClientOrderIdError: A new order reuses another order's client_order_id.
            InvalidRecordError: The records are malformed, the fill belongs to another order,
                or a fill comes without its exec_id.
        """
        exists = await self._check_identity(order, must_exist=False)
        steps = [self._update_statement(order) if exists else self._insert_statement(order)]
        if fill is not None:
            if fill.order_id != order.order_id:
                raise InvalidRecordError(
                    f"fill {fill.fill_id!r} is for order {fill.order_id!r}, not {order.order_id!r}"
                )
            steps.append(self._fill_statement(fill, exec_id))
        try:
            results = await self._db.batch([*steps, *events])
        except ConstraintViolationError as exc:
            explained = None if exists else await self._explain_conflict(order, exc)
            if explained is not None and explained is not exc:
                raise explained from exc
            # Neither id of the order clashed, so the fill did: its fill_id is taken.
            raise ConstraintViolationError(
                f"fill {fill.fill_id if fill else ''!r} was not stored: its fill_id is already "
                f"used by another execution in {self._environment} ({exc.message})"
            ) from exc
        return ExecutionSaved(
            order_created=not exists,
            fill_added=fill is not None and results[1].rows_affected == 1,
        )

    async def add_fill(self, fill: execution_pb2.Fill, exec_id: str) -> bool:
        """Stores a fill of a stored order; returns False when this exec_id was already stored.

        Raises:
            OrderNotFoundError: The fill's order does not exist in this environment.
            InvalidRecordError: The fill is incomplete or malformed.
        """
        statement = self._fill_statement(fill, exec_id)
        result = await self._db.execute(statement.sql, statement.params)
        if result.rows_affected == 1:
            return True
        if await self._order_row(fill.order_id) is None:
            raise OrderNotFoundError(
                f"fill {fill.fill_id!r} is for order {fill.order_id!r}, which does not exist in "
                f"{self._environment}; store the order first"
            )
        return False

    async def get(self, order_id: str) -> execution_pb2.Order | None:
        """The order with this id, or None."""
        row = await self._db.query_one(
            "SELECT id, payload FROM orders WHERE environment = ? AND id = ?",
            (self._environment, order_id),
        )
        return order_from_row(row) if row is not None else None

    async def get_by_client_order_id(self, client_order_id: str) -> execution_pb2.Order | None:
        """The order with this client_order_id, or None."""
        row = await self._db.query_one(
            "SELECT id, payload FROM orders WHERE environment = ? AND client_order_id = ?",
            (self._environment, client_order_id),
        )
        return order_from_row(row) if row is not None else None

    async def list_open(self) -> builtins.list[execution_pb2.Order]:
        """Orders that may still change at the broker, oldest first (for reconciliation)."""
        rows = await self._db.query(
            f"SELECT id, payload FROM orders WHERE environment = ? AND status IN ({_OPEN}) "  # noqa: S608 - constant names only
            f"ORDER BY created_at, id",
            (self._environment,),
        )
        return [order_from_row(row) for row in rows]

    async def list(
        self,
        limit: int = 100,
        offset: int = 0,
        *,
        symbol: str | None = None,
        status: execution_pb2.OrderStatus.ValueType | None = None,
        cycle_id: str | None = None,
        decision_id: str | None = None,
    ) -> builtins.list[execution_pb2.Order]:
        """A page of orders, newest first, optionally of one symbol, status, cycle or decision.

        Raises:
            InvalidRecordError: `limit` is outside 1..1000, `offset` is negative, or `status`
                is unset or unknown.
        """
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidRecordError(
                f"page limit must be 1..{MAX_PAGE} and offset >= 0, got {limit} and {offset}"
            )
        where = ["environment = ?"]
        params: builtins.list[SqlValue] = [self._environment]
        if symbol is not None:
            where.append("symbol = ?")
            params.append(symbol)
        if status is not None:
            where.append("status = ?")
            params.append(status_name(status))
        if cycle_id is not None:
            where.append("cycle_id = ?")
            params.append(cycle_id)
        if decision_id is not None:
            where.append("decision_id = ?")
            params.append(decision_id)
        rows = await self._db.query(
            f"SELECT id, payload FROM orders WHERE {' AND '.join(where)} "  # noqa: S608 - constant names only
            f"ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [order_from_row(row) for row in rows]

    async def fills(self, order_id: str) -> builtins.list[execution_pb2.Fill]:
        """The order's fills in time order."""
        rows = await self._db.query(
            "SELECT id, payload FROM fills WHERE environment = ? AND order_id = ? "
            "ORDER BY ts, created_at, id",
            (self._environment, order_id),
        )
        return [fill_from_row(row) for row in rows]

    async def exec_ids(self, order_id: str) -> frozenset[str]:
        """The exec_ids of the order's stored fills (to rebuild duplicate detection)."""
        rows = await self._db.query(
            "SELECT exec_id FROM fills WHERE environment = ? AND order_id = ?",
            (self._environment, order_id),
        )
        return frozenset(str(row["exec_id"]) for row in rows)

    def _now(self) -> str:
        return format_utc(self._clock.now())

    def _insert_statement(self, order: execution_pb2.Order) -> Statement:
        values = order_values(order, self._environment)
        now = self._now()
        return Statement(_INSERT_ORDER, (*(values[c] for c in ORDER_COLUMNS), now, now))

    def _update_statement(self, order: execution_pb2.Order) -> Statement:
        values = order_values(order, self._environment)
        return Statement(
            _UPDATE_ORDER,
            (
                *(values[c] for c in _MUTABLE_ORDER_COLUMNS),
                self._now(),
                self._environment,
                values["id"],
                values["client_order_id"],
            ),
        )

    def _fill_statement(self, fill: execution_pb2.Fill, exec_id: str) -> Statement:
        values = fill_values(fill, exec_id, self._environment)
        now = self._now()
        return Statement(
            _INSERT_FILL,
            (*(values[c] for c in FILL_COLUMNS), now, now, self._environment, values["order_id"]),
        )

    async def _order_row(self, order_id: str) -> dict[str, SqlValue] | None:
        return await self._db.query_one(
            "SELECT id, client_order_id FROM orders WHERE environment = ? AND id = ?",
            (self._environment, order_id),
        )

    async def _check_identity(self, order: execution_pb2.Order, *, must_exist: bool) -> bool:
        """Whether the order is stored; raises if missing (when required) or its cid changed."""
        row = await self._order_row(order.order_id)
        if row is None:
            if must_exist:
                raise OrderNotFoundError(
                    f"order {order.order_id!r} does not exist in {self._environment}; insert it "
                    f"first"
                )
            return False
        if row["client_order_id"] != order.client_order_id:
            raise InvalidRecordError(
                f"order {order.order_id!r} has client_order_id {row['client_order_id']!r}; it "
                f"cannot change to {order.client_order_id!r}"
            )
        return True

    async def _explain_conflict(
        self, order: execution_pb2.Order, exc: ConstraintViolationError
    ) -> StorageError:
        holder = await self._db.query_one(
            "SELECT id FROM orders WHERE environment = ? AND client_order_id = ?",
            (self._environment, order.client_order_id),
        )
        if holder is not None and holder["id"] != order.order_id:
            return DuplicateClientOrderIdError(
                order.client_order_id, str(holder["id"]), self._environment
            )
        if await self._order_row(order.order_id) is not None:
            if holder is not None:
                # The very same order again: for the engine this is the idempotent replay.
                return DuplicateClientOrderIdError(
                    order.client_order_id, order.order_id, self._environment
                )
            return DuplicateOrderIdError(
                f"order_id {order.order_id!r} already exists in {self._environment} with "
                f"another client_order_id"
            )
        return exc
