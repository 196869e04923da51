"""One agent call inside a cycle: budget, timeout, structured retry, lineage, fail closed.

`AgentCaller.call` returns the validated output and the call's record, or raises
`AgentFailure` with a stable `code` (the decision's `reason_code`) and the record of the
failed call (tokens spent on a failure still count). It never returns a default.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from agents.inputs import AgentInputs
from agents.providers.base import (
    Generation,
    GenerationRequest,
    Provider,
    ProviderError,
    Usage,
)
from agents.providers.structured import generate_structured
from cream.config.schema import AgentSettings
from workflows.trading_cycle.budget import BudgetExhaustedError, CycleBudget

RequestBuilder = Callable[
    [str, AgentSettings, AgentInputs, tuple[str, ...]], GenerationRequest[Any]
]


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
    ) -> None:
        self._providers = providers
        self._agents = agents
        self._budget = budget
        self._build = build_request
        self._max_repairs = max_repairs

    @property
    def budget(self) -> CycleBudget:
        return self._budget

    def resolved(self, agent: str) -> ResolvedAgent:
        return self._agents[agent]

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

        def fail(code: str, message: str, usage: Usage, prompt_hash: str = "") -> AgentFailure:
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
            raise fail(exc.code, exc.message, exc.usage, prompt_hash) from None
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
        )
        record["model"] = generation.model or resolved.settings.model
        return output, record
