"""The `rules` provider: each role's output computed from its structured inputs, offline.

Deterministic (same inputs, same output), free and instant: the embedded default and the
baseline every LLM is measured against. It ignores the prompt text and reads
`request.inputs`, so what it decides is exactly what the data says.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

from pydantic import BaseModel

from agents.inputs import AgentInputs, AnalystInputs, ApprovalInputs, ResearchInputs, TraderInputs
from agents.providers.base import Generation, GenerationRequest, T, Usage
from agents.rules import critic, fundamentals, news, research, risk_manager, technical, trader
from agents.rules.errors import RulesInputError
from agents.schemas import OUTPUT_SCHEMAS

_K = TypeVar("_K", AnalystInputs, ResearchInputs, TraderInputs, ApprovalInputs)

PROVIDER_NAME: Final = "rules"
MODEL_NAME: Final = "rules-v1"


def _analyst(run: Callable[[Any], BaseModel]) -> Callable[[AgentInputs], BaseModel]:
    def call(inputs: AgentInputs) -> BaseModel:
        return run(_expect(inputs, AnalystInputs).context)

    return call


def _researcher(side: research.Side) -> Callable[[AgentInputs], BaseModel]:
    def call(inputs: AgentInputs) -> BaseModel:
        return research.research(_expect(inputs, ResearchInputs), side)

    return call


def _trader(inputs: AgentInputs) -> BaseModel:
    return trader.decide(_expect(inputs, TraderInputs))


def _risk(inputs: AgentInputs) -> BaseModel:
    return risk_manager.review(_expect(inputs, ApprovalInputs))


def _critic(inputs: AgentInputs) -> BaseModel:
    return critic.review(_expect(inputs, ApprovalInputs))


_ROLES: Final[dict[str, Callable[[AgentInputs], BaseModel]]] = {
    "technical_analyst": _analyst(technical.analyse),
    "news_analyst": _analyst(news.analyse),
    "fundamentals_analyst": _analyst(fundamentals.analyse),
    "bullish_researcher": _researcher("BULLISH"),
    "bearish_researcher": _researcher("BEARISH"),
    "trader": _trader,
    "risk_manager": _risk,
    "critic": _critic,
}


def _expect(inputs: AgentInputs, kind: type[_K]) -> _K:
    if not isinstance(inputs, kind):
        raise RulesInputError(f"expected {kind.__name__}, got {type(inputs).__name__}")
    return inputs


class RulesProvider:
    """Deterministic, offline structured generation for the eight roles."""

    @property
    def name(self) -> str:
        return PROVIDER_NAME

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """The role's output computed from `request.inputs`.

        Raises:
            RulesInputError: unknown agent, or a schema or inputs that do not fit the agent.
            InsufficientDataError: a symbol without any price.
        """
        started = time.perf_counter()
        run = _ROLES.get(request.agent)
        if run is None:
            raise RulesInputError(f"no rules for agent {request.agent!r}")
        if OUTPUT_SCHEMAS[request.agent] is not request.schema:
            raise RulesInputError(
                f"{request.agent} answers {OUTPUT_SCHEMAS[request.agent].__name__}, "
                f"not {request.schema.__name__}"
            )
        output = cast(T, run(request.inputs))
        latency_ms = int((time.perf_counter() - started) * 1000)
        return Generation(
            output=output,
            usage=Usage(latency_ms=latency_ms),
            provider=PROVIDER_NAME,
            model=MODEL_NAME,
            prompt_hash=request.prompt_hash(),
            raw=output.model_dump_json(),
        )
