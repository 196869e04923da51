"""A provider whose answers come from a function: for tests, demos and the cycle benchmark.

It plays an LLM without one: the answer function sees the request and returns the output
model (or raw JSON text, to exercise validation, or an exception to raise). An optional fixed
delay per call stands in for the model's latency, so the graph's parallelism can be measured.
Usage is estimated from the prompt and the answer with `count_tokens`, so token budgets and
the benchmark's tokens-per-symbol figure see realistic numbers; cost is 0 unless a price is
given.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from agents.providers.base import (
    Generation,
    GenerationRequest,
    MalformedOutputError,
    ProviderTimeoutError,
    Usage,
)
from agents.providers.output import parse_output
from agents.providers.pricing import ModelPrice
from agents.providers.prompting import user_message
from agents.providers.tokens import count_tokens

T = TypeVar("T", bound=BaseModel)

Answer = BaseModel | str | BaseException
AnswerFunction = Callable[[GenerationRequest[Any]], Answer]


class ScriptedProvider:
    """Answers from `answer(request)`, optionally after `delay_s`, counting calls.

    Args:
        answer: Returns the output model, raw JSON text (validated like an LLM's answer), or an
            exception to raise.
        delay_s: Simulated latency of every call (`asyncio.sleep`, bounded by the request's
            timeout: a delay past `timeout_s` is a `ProviderTimeoutError`).
        price: Prices the estimated tokens; None makes every call free.
        name: The provider name reported in lineage.
    """

    def __init__(
        self,
        answer: AnswerFunction,
        *,
        delay_s: float = 0.0,
        price: ModelPrice | None = None,
        name: str = "scripted",
    ) -> None:
        self._answer = answer
        self._delay_s = delay_s
        self._price = price
        self._name = name
        self.calls = 0
        self.requests: list[GenerationRequest[Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def name(self) -> str:
        """The provider's name in lineage."""
        return self._name

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """The scripted answer for `request`, validated against its schema."""
        self.calls += 1
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        started = time.monotonic()
        try:
            if self._delay_s > 0:
                await self._wait(request)
            answer = self._answer(request)
        finally:
            self.in_flight -= 1
        if isinstance(answer, BaseException):
            raise answer
        raw = answer if isinstance(answer, str) else answer.model_dump_json()
        usage = self._usage(request, raw, round((time.monotonic() - started) * 1000))
        source = f"{self._name} ({request.agent})"
        if isinstance(answer, BaseModel) and not isinstance(answer, request.schema):
            raise MalformedOutputError(
                f"{source} answered a {type(answer).__name__}, not a {request.schema.__name__}",
                raw=raw,
                errors=(f"(root): expected {request.schema.__name__}",),
                usage=usage,
            )
        output = parse_output(request.schema, raw, source=source, usage=usage)
        return Generation(
            output=output,
            usage=usage,
            provider=self._name,
            model=request.model,
            prompt_hash=request.prompt_hash(),
            raw=raw,
        )

    async def _wait(self, request: GenerationRequest[Any]) -> None:
        try:
            async with asyncio.timeout(request.timeout_s):
                await asyncio.sleep(self._delay_s)
        except TimeoutError as exc:
            raise ProviderTimeoutError(
                f"{self._name} ({request.agent}) gave no answer within {request.timeout_s:g} s"
            ) from exc

    def _usage(self, request: GenerationRequest[Any], raw: str, latency_ms: int) -> Usage:
        input_tokens = count_tokens(request.system) + count_tokens(user_message(request))
        output_tokens = count_tokens(raw)
        cost = self._price.cost(input_tokens, output_tokens) if self._price else Decimal(0)
        return Usage(input_tokens, output_tokens, cost, latency_ms)
