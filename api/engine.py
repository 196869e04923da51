"""`EngineGateway`: the API's only way to the engine — gRPC ExecutionService through
`EngineClient` and MarketDataService over the same address — with short deadlines."""

from __future__ import annotations

import grpc

from cream.engine.client import EngineCallError, EngineClient
from cream.engine.grpc_errors import decode_error_info
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex
from cream.v1 import market_snapshot_pb2 as md
from cream.v1 import market_snapshot_pb2_grpc as md_grpc

# A dashboard request should fail fast, with a 503, rather than hang on a dead engine.
DEFAULT_TIMEOUT_SECONDS = 5.0


class EngineGateway:
    """Account, positions, snapshots and quotes from the engine.

    Args:
        client: The execution client (its address is used for market data too).
        timeout: Deadline of one call in seconds.
    """

    def __init__(self, client: EngineClient, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._client = client
        self._timeout = timeout
        self._channel = grpc.aio.insecure_channel(client.address)
        self._market = md_grpc.MarketDataServiceStub(self._channel)

    @property
    def address(self) -> str:
        """The engine's gRPC address."""
        return self._client.address

    async def account(self) -> ex.AccountState:
        """Equity, cash, buying power and trading state.

        Raises:
            EngineCallError: The engine refused or could not be reached.
        """
        return await self._client.get_account_state(timeout=self._timeout)

    async def positions(self) -> ex.GetPositionsResponse:
        """Open positions.

        Raises:
            EngineCallError: The engine refused or could not be reached.
        """
        return await self._client.get_positions(timeout=self._timeout)

    async def snapshot(
        self, symbols: list[str], *, bar_count: int = 0, timeframe: str = ""
    ) -> md.MarketSnapshot:
        """Quotes (and bars when `bar_count` > 0) of `symbols`, with what could not be priced.

        Raises:
            EngineCallError: The engine refused the request or could not be reached.
        """
        request = md.GetSnapshotRequest(symbols=symbols, bar_count=bar_count, timeframe=timeframe)
        try:
            response: md.GetSnapshotResponse = await self._market.GetSnapshot(
                request, timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise _call_error(exc) from exc
        return response.snapshot

    async def option_chain(self, underlying: str) -> md.GetOptionChainResponse:
        """The listed contracts of `underlying` with quotes and greeks, and what is unpriced.

        Raises:
            EngineCallError: The engine refused (e.g. an unknown underlying) or is down.
        """
        request = md.GetOptionChainRequest(underlying=underlying)
        try:
            response: md.GetOptionChainResponse = await self._market.GetOptionChain(
                request, timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise _call_error(exc) from exc
        return response

    async def ping(self) -> None:
        """One cheap call that proves the engine answers.

        Raises:
            EngineCallError: It does not.
        """
        await self.account()

    async def close(self) -> None:
        """Closes both channels."""
        await self._channel.close()
        await self._client.close()


def _call_error(exc: grpc.aio.AioRpcError) -> EngineCallError:
    info = decode_error_info(exc.trailing_metadata()) or common.ErrorInfo(
        code=exc.code().name, message=exc.details() or ""
    )
    return EngineCallError(exc.code(), info)
