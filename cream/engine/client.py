"""The typed Python client of the execution engine, with deadlines and safe retries.

Retries use exponential backoff from 100 ms, at most 3 attempts, and only on UNAVAILABLE,
RESOURCE_EXHAUSTED, ABORTED and DEADLINE_EXCEEDED. SubmitOrder is retried only with the
same ``client_order_id`` (the request object is reused as is), which the engine treats
idempotently, so a retry after an ambiguous failure can never create a second order.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Self, TypeVar

import grpc

from cream.engine.grpc_errors import CORRELATION_METADATA_KEY, decode_error_info
from cream.v1 import common_pb2 as common
from cream.v1 import decision_pb2 as decision
from cream.v1 import execution_pb2 as ex
from cream.v1 import execution_pb2_grpc as ex_grpc

DEFAULT_ADDRESS = "127.0.0.1:50053"
DEFAULT_TIMEOUT_SECONDS = 30.0
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)
T = TypeVar("T")


class EngineCallError(Exception):
    """A failed engine call with the engine's error shape.

    Attributes:
        status: The gRPC status code.
        info: The engine's ErrorInfo (code, message, details, correlation id).
    """

    def __init__(self, status: grpc.StatusCode, info: common.ErrorInfo) -> None:
        super().__init__(f"{status.name} {info.code}: {info.message}")
        self.status = status
        self.info = info

    @property
    def code(self) -> str:
        """The engine's stable error code (or the gRPC status name)."""
        return self.info.code


def _to_error(exc: grpc.aio.AioRpcError) -> EngineCallError:
    info = decode_error_info(exc.trailing_metadata()) or common.ErrorInfo(
        code=exc.code().name, message=exc.details() or ""
    )
    return EngineCallError(exc.code(), info)


class EngineClient:
    """An async client of ExecutionService, found at ``CREAM_ENGINE_ADDR``."""

    def __init__(
        self,
        address: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        attempts: int = 3,
        backoff_seconds: float = 0.1,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.address = address or os.environ.get("CREAM_ENGINE_ADDR", DEFAULT_ADDRESS)
        self._timeout = timeout
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._sleep = sleep
        self._channel = grpc.aio.insecure_channel(self.address)
        self._stub = ex_grpc.ExecutionServiceStub(self._channel)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(
        self,
        method: Callable[..., Awaitable[T]],
        request: object,
        correlation_id: str | None,
        timeout: float | None,
    ) -> T:
        metadata = ((CORRELATION_METADATA_KEY, correlation_id),) if correlation_id else None
        delay = self._backoff
        for attempt in range(1, self._attempts + 1):
            try:
                return await method(request, timeout=timeout or self._timeout, metadata=metadata)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in RETRYABLE or attempt == self._attempts:
                    raise _to_error(exc) from exc
            await self._sleep(delay)
            delay *= 2
        raise AssertionError("the retry loop always returns or raises")

    async def check_constraints(
        self,
        plan: decision.DecisionPlan,
        *,
        correlation_id: str | None = None,
        timeout: float | None = None,
    ) -> ex.CheckConstraintsResponse:
        """Check a plan without trading."""
        request = ex.CheckConstraintsRequest(plan=plan)
        return await self._call(self._stub.CheckConstraints, request, correlation_id, timeout)

    async def submit_order(
        self,
        request: ex.SubmitOrderRequest,
        *,
        correlation_id: str | None = None,
        timeout: float | None = None,
    ) -> ex.SubmitOrderResponse:
        """Submit one decision's order; every retry reuses ``request.client_order_id``."""
        if not request.client_order_id:
            raise ValueError("SubmitOrder needs a client_order_id (see derive_client_order_id)")
        return await self._call(self._stub.SubmitOrder, request, correlation_id, timeout)

    async def get_order_state(
        self, *, order_id: str = "", client_order_id: str = "", timeout: float | None = None
    ) -> ex.GetOrderStateResponse:
        """An order and its fills."""
        request = ex.GetOrderStateRequest(order_id=order_id, client_order_id=client_order_id)
        return await self._call(self._stub.GetOrderState, request, None, timeout)

    async def cancel_order(
        self,
        *,
        order_id: str = "",
        client_order_id: str = "",
        reason: str = "",
        timeout: float | None = None,
    ) -> ex.CancelOrderResponse:
        """Request cancellation of an order."""
        request = ex.CancelOrderRequest(
            order_id=order_id, client_order_id=client_order_id, reason=reason
        )
        return await self._call(self._stub.CancelOrder, request, None, timeout)

    async def get_account_state(self, *, timeout: float | None = None) -> ex.AccountState:
        """Equity, cash, buying power and trading state."""
        response: ex.GetAccountStateResponse = await self._call(
            self._stub.GetAccountState, ex.GetAccountStateRequest(), None, timeout
        )
        return response.account

    async def get_positions(self, *, timeout: float | None = None) -> ex.GetPositionsResponse:
        """Open positions."""
        return await self._call(self._stub.GetPositions, ex.GetPositionsRequest(), None, timeout)

    async def stream_executions(
        self, order_ids: list[str] | None = None
    ) -> AsyncIterator[ex.StreamExecutionsResponse]:
        """Execution reports as they happen (no deadline; not retried)."""
        call = self._stub.StreamExecutions(ex.StreamExecutionsRequest(order_ids=order_ids or []))
        try:
            async for message in call:
                yield message
        except grpc.aio.AioRpcError as exc:
            raise _to_error(exc) from exc
