"""The ExecutionService gRPC servicer: a thin shell over ExecutionEngine."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import grpc
from google.protobuf import message_factory

from cream.engine.errors import EngineError, InvalidArgumentError
from cream.engine.grpc_errors import abort, guarded
from cream.engine.service import ExecutionEngine
from cream.v1 import execution_pb2 as ex
from cream.v1 import execution_pb2_grpc as ex_grpc

log = logging.getLogger(__name__)
T = TypeVar("T")

# A plan larger than this is refused with INVALID_ARGUMENT before any work; the transport's
# own limit (set on the server) is higher, so oversize plans get an actionable code.
MAX_PLAN_BYTES = 1 << 20


class ExecutionServicer(ex_grpc.ExecutionServiceServicer):
    """Maps each RPC onto the engine and every engine error onto one gRPC status.

    CheckConstraints, the hot path, is served on raw bytes by `check_constraints_raw`.
    """

    def __init__(self, engine: ExecutionEngine) -> None:
        self._engine = engine

    async def check_constraints_raw(
        self, request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]
    ) -> bytes:
        """CheckConstraints on serialized messages (see `register_execution_service`)."""

        async def run() -> bytes:
            if len(request) > MAX_PLAN_BYTES:
                raise InvalidArgumentError(
                    f"the plan is {len(request)} bytes; the limit is {MAX_PLAN_BYTES}: "
                    "split it into smaller plans",
                    code="PLAN_TOO_LARGE",
                )
            return await self._engine.check_constraints_bytes(request)

        return await guarded(context, run, "engine")

    async def CheckConstraints(  # noqa: N802 - gRPC method names are PascalCase
        self,
        request: ex.CheckConstraintsRequest,
        context: grpc.aio.ServicerContext[ex.CheckConstraintsRequest, ex.CheckConstraintsResponse],
    ) -> ex.CheckConstraintsResponse:
        """The typed form, for the generated registration; the server uses the raw one."""
        raw = await self.check_constraints_raw(request.SerializeToString(), context)  # type: ignore[arg-type]
        return ex.CheckConstraintsResponse.FromString(raw)

    async def SubmitOrder(  # noqa: N802
        self,
        request: ex.SubmitOrderRequest,
        context: grpc.aio.ServicerContext[ex.SubmitOrderRequest, ex.SubmitOrderResponse],
    ) -> ex.SubmitOrderResponse:
        async def run() -> ex.SubmitOrderResponse:
            if not request.HasField("decision"):
                raise InvalidArgumentError("the request has no decision", code="MISSING_DECISION")
            return await self._engine.submit_order(request)

        return await guarded(context, run, "engine")

    async def GetOrderState(  # noqa: N802
        self,
        request: ex.GetOrderStateRequest,
        context: grpc.aio.ServicerContext[ex.GetOrderStateRequest, ex.GetOrderStateResponse],
    ) -> ex.GetOrderStateResponse:
        async def run() -> ex.GetOrderStateResponse:
            order, fills = await self._engine.get_order(request.order_id, request.client_order_id)
            return ex.GetOrderStateResponse(order=order, fills=fills)

        return await guarded(context, run, "engine")

    async def CancelOrder(  # noqa: N802
        self,
        request: ex.CancelOrderRequest,
        context: grpc.aio.ServicerContext[ex.CancelOrderRequest, ex.CancelOrderResponse],
    ) -> ex.CancelOrderResponse:
        async def run() -> ex.CancelOrderResponse:
            order = await self._engine.cancel_order(
                request.order_id, request.client_order_id, request.reason
            )
            return ex.CancelOrderResponse(order=order)

        return await guarded(context, run, "engine")

    async def StreamExecutions(  # noqa: N802
        self,
        request: ex.StreamExecutionsRequest,
        context: grpc.aio.ServicerContext[ex.StreamExecutionsRequest, ex.StreamExecutionsResponse],
    ) -> AsyncIterator[ex.StreamExecutionsResponse]:
        try:
            async for message in self._engine.executions(list(request.order_ids)):
                yield message
        except EngineError as exc:
            await abort(context, exc)

    async def GetAccountState(  # noqa: N802
        self,
        request: ex.GetAccountStateRequest,
        context: grpc.aio.ServicerContext[ex.GetAccountStateRequest, ex.GetAccountStateResponse],
    ) -> ex.GetAccountStateResponse:
        async def run() -> ex.GetAccountStateResponse:
            return ex.GetAccountStateResponse(account=await self._engine.account_state())

        return await guarded(context, run, "engine")

    async def GetPositions(  # noqa: N802
        self,
        request: ex.GetPositionsRequest,
        context: grpc.aio.ServicerContext[ex.GetPositionsRequest, ex.GetPositionsResponse],
    ) -> ex.GetPositionsResponse:
        async def run() -> ex.GetPositionsResponse:
            positions = await self._engine.positions()
            response = ex.GetPositionsResponse(positions=positions)
            response.as_of.CopyFrom(self._engine.portfolio.account.as_of)
            return response

        return await guarded(context, run, "engine")


def register_execution_service(servicer: ExecutionServicer, server: grpc.aio.Server) -> None:
    """Serve ExecutionService; CheckConstraints hands its request bytes straight to the core.

    The other methods get the usual protobuf (de)serializers, taken from the service
    descriptor so the table cannot drift from the contract.
    """
    service = ex.DESCRIPTOR.services_by_name["ExecutionService"]
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in service.methods:
        if method.name == "CheckConstraints":
            handlers[method.name] = grpc.unary_unary_rpc_method_handler(
                servicer.check_constraints_raw
            )
            continue
        request_type = message_factory.GetMessageClass(method.input_type)
        response_type = message_factory.GetMessageClass(method.output_type)
        make = (
            grpc.unary_stream_rpc_method_handler
            if method.server_streaming
            else grpc.unary_unary_rpc_method_handler
        )
        handlers[method.name] = make(
            getattr(servicer, method.name),
            request_deserializer=request_type.FromString,
            response_serializer=response_type.SerializeToString,
        )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(service.full_name, handlers),)
    )
