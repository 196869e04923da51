"""One agent call inside a cycle: budget, timeout, tools, structured retry, lineage, fail closed.

`AgentCaller.call` returns the validated output and the call's record, or raises
`AgentFailure` with a stable `code` (the decision's `reason_code`) and the record of the
failed call (tokens spent on a failure still count). It never returns a default. A role with
tools is offered them over the cycle's `ToolData` (loaded once per cycle from `tool_data`);
every tool call the model made is in the record's `tool_calls`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import grpc
from pydantic import BaseModel

from agents.inputs import AgentInputs, PortfolioView, SymbolContext
from agents.providers.base import (
    DEFAULT_MAX_TOOL_ROUNDS,
    Generation,
    GenerationRequest,
    Provider,
    ProviderError,
    ToolCall,
    Usage,
)
from agents.providers.structured import generate_structured
from agents.roles import role, with_tools
from agents.tools import OptionChainSource, ToolData
from cream.config.schema import AgentSettings
from cream.engine.grpc_errors import decode_error_info
from cream.market.feed import DataUnavailable, OptionChain
from cream.v1 import market_snapshot_pb2 as md
from cream.v1 import market_snapshot_pb2_grpc as md_grpc
from workflows.trading_cycle.budget import BudgetExhaustedError, CycleBudget

RequestBuilder = Callable[
    [str, AgentSettings, AgentInputs, tuple[str, ...]], GenerationRequest[Any]
]
# The cycle's data for the agents' tools, loaded when the first agent with tools is called.
ToolDataSource = Callable[[], Awaitable[ToolData]]


@dataclass(frozen=True, slots=True)
class ResolvedAgent:
    """The provider and model one agent runs on in this cycle, and why if it was swapped."""

    provider: str
    settings: AgentSettings
    note: str | None = None


class AgentFailure(Exception):  # noqa: N818 - an outcome the graph records, not a bug
    """An agent produced no usable output; the affected symbols become NO_TRADE."""

    def __init__(self, code: str, agent: str, message: str, record: dict[str, Any]) -> None:
        super().__init__(f"{code}: {agent}: {message}")
        self.code = code
        self.agent = agent
        self.message = message
        self.record = record


def _record(
    agent: str,
    symbol: str,
    round_: int,
    resolved: ResolvedAgent,
    *,
    usage: Usage,
    output: dict[str, Any] | None,
    prompt_hash: str = "",
    attempts: int = 0,
    error_code: str | None = None,
    error: str | None = None,
    tool_calls: tuple[ToolCall, ...] = (),
) -> dict[str, Any]:
    return {
        "agent": agent,
        "symbol": symbol,
        "round": round_,
        "provider": resolved.provider,
        "model": resolved.settings.model,
        "prompt_hash": prompt_hash,
        "output": output,
        "tokens_in": usage.input_tokens,
        "tokens_out": usage.output_tokens,
        "cost_usd": str(usage.cost_usd),
        "latency_ms": usage.latency_ms,
        "attempts": attempts,
        "error_code": error_code,
        "error": error,
        "note": resolved.note,
        "tool_calls": [call.as_json() for call in tool_calls],
    }


class AgentCaller:
    """Calls agents through their resolved providers under the cycle's budget."""

    def __init__(
        self,
        providers: Mapping[str, Provider],
        agents: Mapping[str, ResolvedAgent],
        budget: CycleBudget,
        build_request: RequestBuilder,
        *,
        max_repairs: int = 2,
        tool_data: ToolDataSource | None = None,
        max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
        tool_feed: OptionChainSource | None = None,
    ) -> None:
        self._providers = providers
        self._agents = agents
        self._budget = budget
        self._build = build_request
        self._max_repairs = max_repairs
        self._tool_source = tool_data
        self._max_tool_rounds = max_tool_rounds
        self._tool_feed = tool_feed
        self._tool_data: asyncio.Future[ToolData] | None = None

    @property
    def budget(self) -> CycleBudget:
        return self._budget

    def resolved(self, agent: str) -> ResolvedAgent:
        return self._agents[agent]

    def prime_tool_data(
        self,
        as_of: datetime,
        contexts: Mapping[str, SymbolContext],
        portfolio: PortfolioView,
    ) -> None:
        """Hands the tools the data ORIENT just produced (the same values it checkpoints), so
        the first agent does not wait for the checkpoint to be read back. A resumed run, whose
        ORIENT ran before, loads them from the checkpoint instead (`tool_data`)."""
        if self._tool_data is None:
            ready: asyncio.Future[ToolData] = asyncio.get_running_loop().create_future()
            ready.set_result(ToolData(as_of, contexts, portfolio, feed=self._tool_feed))
            self._tool_data = ready

    async def _offer_tools(self, request: GenerationRequest[Any]) -> GenerationRequest[Any]:
        """`request` with its role's tools over the cycle's data (loaded once, shared)."""
        if self._tool_source is None or not role(request.agent).tools:
            return request
        if self._tool_data is None:
            # One load for the whole cycle, however many agents ask at once.
            self._tool_data = asyncio.ensure_future(self._tool_source())
        data = await asyncio.shield(self._tool_data)
        return with_tools(request, data, max_tool_rounds=self._max_tool_rounds)

    async def call(
        self,
        agent: str,
        inputs: AgentInputs,
        *,
        symbol: str = "",
        round_: int = 0,
        feedback: tuple[str, ...] = (),
    ) -> tuple[BaseModel, dict[str, Any]]:
        """The agent's validated output and its call record.

        Raises:
            AgentFailure: BUDGET_EXHAUSTED, AGENT_TIMEOUT, MALFORMED_OUTPUT, SYMBOL_MISMATCH,
                a provider's code (PROVIDER_*, REPLAY_MISS) or AGENT_ERROR.
        """
        resolved = self._agents[agent]
        started = time.monotonic()

        def fail(
            code: str,
            message: str,
            usage: Usage,
            prompt_hash: str = "",
            tool_calls: tuple[ToolCall, ...] = (),
        ) -> AgentFailure:
            spent = Usage(
                usage.input_tokens,
                usage.output_tokens,
                usage.cost_usd,
                int((time.monotonic() - started) * 1000),
            )
            self._budget.add(spent)
            record = _record(
                agent,
                symbol,
                round_,
                resolved,
                usage=spent,
                output=None,
                prompt_hash=prompt_hash,
                error_code=code,
                error=message,
                tool_calls=tool_calls,
            )
            return AgentFailure(code, agent, message, record)

        try:
            self._budget.check()
        except BudgetExhaustedError as exc:
            raise fail(exc.code, exc.message, Usage()) from None
        try:
            request = self._build(agent, resolved.settings, inputs, feedback)
        except Exception as exc:  # a prompt that cannot be built is this agent's failure
            raise fail("PROMPT_ERROR", f"{type(exc).__name__}: {exc}", Usage()) from None
        try:
            request = await self._offer_tools(request)
        except Exception as exc:  # the tools' data is the cycle's own: failing to load it is
            # a bug or a lost checkpoint, and the agent fails closed rather than run blind
            raise fail("TOOL_DATA_UNAVAILABLE", f"{type(exc).__name__}: {exc}", Usage()) from None
        prompt_hash = request.prompt_hash()
        timeout = resolved.settings.timeout_ms / 1000
        remaining = self._budget.remaining_s()
        if remaining is not None and remaining < timeout:
            timeout = remaining
        provider = self._providers[resolved.provider]
        try:
            generation: Generation[Any] = await asyncio.wait_for(
                generate_structured(provider, request, max_repairs=self._max_repairs),
                timeout=max(timeout, 0.001),
            )
        except TimeoutError:
            raise fail(
                "AGENT_TIMEOUT", f"no answer within {timeout:.1f} s", Usage(), prompt_hash
            ) from None
        except ProviderError as exc:
            raise fail(exc.code, exc.message, exc.usage, prompt_hash, exc.tool_calls) from None
        except Exception as exc:  # any other crash fails this agent closed, visibly
            raise fail(
                "AGENT_ERROR", f"{type(exc).__name__}: {exc}", Usage(), prompt_hash
            ) from None
        usage = Usage(
            generation.usage.input_tokens,
            generation.usage.output_tokens,
            generation.usage.cost_usd,
            generation.usage.latency_ms or int((time.monotonic() - started) * 1000),
        )
        output = generation.output
        found = getattr(output, "symbol", symbol)
        if symbol and found != symbol:
            raise fail(
                "SYMBOL_MISMATCH",
                f"asked about {symbol}, answered about {found}",
                usage,
                prompt_hash,
                generation.tool_calls,
            )
        self._budget.add(usage)
        record = _record(
            agent,
            symbol,
            round_,
            resolved,
            usage=usage,
            output=output.model_dump(mode="json"),
            prompt_hash=prompt_hash,
            attempts=generation.attempts,
            tool_calls=generation.tool_calls,
        )
        record["model"] = generation.model or resolved.settings.model
        return output, record


class EngineOptionChains:
    """Option chains from the engine's MarketDataService, for the trader's option_chain tool.

    The engine answers at its own clock, which in a cycle is the cycle's clock (a few seconds
    past `as_of` at most); its error codes (UNKNOWN_SYMBOL, NO_OPTIONS_DATA...) come back as
    `DataUnavailable` with the same code, which the tool hands to the model.
    """

    def __init__(self, market: md_grpc.MarketDataServiceStub, *, timeout_s: float = 10.0) -> None:
        self._market = market
        self._timeout_s = timeout_s

    async def option_chain(
        self,
        underlying: str,
        as_of: datetime,
        *,
        min_expiry: date | None = None,
        max_expiry: date | None = None,
    ) -> OptionChain:
        """The engine's chain of `underlying` (raises `DataUnavailable`)."""
        del as_of  # the engine's clock is the cycle's
        request = md.GetOptionChainRequest(
            underlying=underlying,
            min_expiry=min_expiry.isoformat() if min_expiry else "",
            max_expiry=max_expiry.isoformat() if max_expiry else "",
        )
        try:
            response = await cast(
                Awaitable[md.GetOptionChainResponse],
                self._market.GetOptionChain(request, timeout=self._timeout_s),
            )
        except grpc.aio.AioRpcError as exc:
            info = decode_error_info(exc.trailing_metadata())
            code = info.code if info is not None else exc.code().name
            message = info.message if info is not None else exc.details() or ""
            raise DataUnavailable(code, f"the engine has no option chain: {message}") from None
        return OptionChain(
            underlying=response.underlying,
            underlying_quote=response.underlying_quote,
            options=tuple(response.options),
            unavailable=tuple(response.unavailable),
        )


def tool_data_from_state(
    values: Mapping[str, Any], feed: OptionChainSource | None = None
) -> ToolData:
    """The tools' data from the cycle's checkpointed state after ORIENT.

    Raises:
        LookupError: OBSERVE has not stored the contexts and the portfolio yet.
    """
    missing = [key for key in ("as_of", "contexts", "portfolio") if key not in values]
    if missing:
        raise LookupError(f"the cycle's state has no {', '.join(missing)} yet")
    return ToolData(
        as_of=datetime.fromisoformat(values["as_of"]),
        contexts={
            symbol: SymbolContext.model_validate(context)
            for symbol, context in values["contexts"].items()
        },
        portfolio=PortfolioView.model_validate(values["portfolio"]),
        feed=feed,
    )
