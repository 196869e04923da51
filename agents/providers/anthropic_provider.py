"""The Anthropic provider: native structured output through a tool call, after the tool rounds.

The output model's JSON Schema is offered as a tool (`submit_<Schema>`), so the answer arrives
as that tool's `input` object; pydantic then validates it (ranges, patterns and finiteness the
schema alone does not enforce). Without agent tools `tool_choice` forces it at once. With
them, the agent's tools (their pydantic JSON schemas) are offered beside it with `tool_choice`
auto; `tool_use` blocks are answered with `tool_result` blocks (`toolloop.py`) until the model
calls the output tool, or the rounds run out and the output tool is forced. The SDK's own retries
are off (`max_retries=0`), so `with_retries` is the only retry loop. `request.temperature` is
not sent: the SDK (2.x) no longer takes sampling parameters, and current Claude models refuse
non-default ones.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Final, TypeVar

import anthropic
from anthropic.types import Message, TextBlock, ToolUseBlock
from pydantic import BaseModel

from agents.providers.base import (
    Generation,
    GenerationRequest,
    MalformedOutputError,
    ProviderAuthError,
    ProviderError,
    ProviderTimeoutError,
    ToolCall,
    Usage,
)
from agents.providers.pricing import call_cost, price_for
from agents.providers.prompting import output_json_schema, user_message
from agents.providers.retry import (
    RetryPolicy,
    Sleep,
    TransientError,
    retry_after_seconds,
    transient_for_status,
    with_retries,
)
from agents.providers.toolloop import (
    CallOutcome,
    Deadline,
    Pace,
    PendingCall,
    charge_failure,
    final_answer_instruction,
    loop_answer,
    offered_tools,
    pace_round,
    result_json,
    run_calls,
)

T = TypeVar("T", bound=BaseModel)

DEFAULT_MAX_OUTPUT_TOKENS: Final = 8192


def tool_name(schema: type[BaseModel]) -> str:
    """The forced tool's name for an output model (`submit_TradingPlan`)."""
    return f"submit_{schema.__name__}"[:64]


def _output_tool(request: GenerationRequest[Any], name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": (
            f"Submit the answer as a {request.schema.__name__} object. "
            f"{(request.schema.__doc__ or '').strip()}"
        ).strip(),
        "input_schema": output_json_schema(request.schema),
    }


def _agent_tools(request: GenerationRequest[Any]) -> list[dict[str, Any]]:
    return [
        {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
        for tool in offered_tools(request)
    ]


def _assistant_turn(message: Message) -> dict[str, Any]:
    """The model's turn as it answered (thinking signatures and tool_use ids included)."""
    blocks = [
        block.to_dict(mode="json", exclude_none=True)
        for block in message.content
        # The API refuses empty text blocks in a request.
        if not (isinstance(block, TextBlock) and not block.text)
    ]
    return {"role": "assistant", "content": blocks}


def _results_turn(
    outcomes: list[CallOutcome], request: GenerationRequest[Any], rounds: int
) -> dict[str, Any]:
    """One tool_result per tool_use, in order; the last round adds the answer-now note."""
    content: list[dict[str, Any]] = [
        {
            "type": "tool_result",
            "tool_use_id": o.call.call_id,
            "content": result_json(o.result),
            **({"is_error": True} if o.is_error else {}),
        }
        for o in outcomes
    ]
    if rounds >= request.max_tool_rounds:
        content.append({"type": "text", "text": final_answer_instruction(request, rounds)})
    return {"role": "user", "content": content}


def _not_submitted(message: Message, name: str, raw: str | None, source: str) -> ProviderError:
    """The error of a final turn without a complete call of the output tool."""
    why = (
        f"stop reason {message.stop_reason}: the answer is incomplete"
        if raw is not None
        else f"the model did not call the tool {name} (stop reason {message.stop_reason})"
    )
    text = "".join(getattr(block, "text", "") for block in message.content)
    return MalformedOutputError(f"{source}: {why}", raw=raw or text, errors=(why,))


def _tool_input(message: Message, name: str) -> str | None:
    """The forced tool call's input as JSON text, or None when the model did not call it."""
    for block in message.content:
        if isinstance(block, ToolUseBlock) and block.name == name:
            return json.dumps(block.input)
    return None


class AnthropicProvider:
    """Structured generation with Claude models through the anthropic SDK.

    Args:
        api_key: The Anthropic API key (`ANTHROPIC_API_KEY`).
        base_url: Another endpoint than Anthropic's (a proxy, or a local fake in tests).
        retry: Attempts and backoff for 429, 529 and 5xx answers.
        sleep: How to wait between attempts (tests record the waits instead of sleeping).
        pace: Waits for a rate token before each tool-loop round after the first (the
            provider's limiter; the first request's token is `LimitedProvider`'s).
        max_output_tokens: Upper bound of one answer (`max_tokens`).
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        pace: Pace | None = None,
    ) -> None:
        if not api_key:
            raise ProviderAuthError("the Anthropic API key is empty; set ANTHROPIC_API_KEY")
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._max_output_tokens = max_output_tokens
        self._pace = pace

    @property
    def name(self) -> str:
        """The provider's name in config and lineage."""
        return "anthropic"

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """One validated answer from Claude, after the tool rounds, or a `ProviderError`.

        While tool rounds remain, the agent's tools are offered beside the output tool with
        `tool_choice` auto: `tool_use` blocks are run and answered with `tool_result` blocks,
        and a call of the output tool is the answer. Once the rounds are used up, or the model
        ends its turn in prose, the output tool is forced.
        """
        price_for(request.model)  # fail before spending when the call cannot be costed
        deadline = Deadline(request.timeout_s)
        started = time.monotonic()
        name = tool_name(request.schema)
        source = f"Anthropic {request.model} ({request.agent})"
        tools = [*_agent_tools(request), _output_tool(request, name)]
        messages: list[dict[str, Any]] = [{"role": "user", "content": user_message(request)}]
        spent = Usage()
        records: list[ToolCall] = []
        rounds = requests = 0
        tools_open = bool(request.tools)
        try:
            while True:
                offer = tools_open and rounds < request.max_tool_rounds
                choice = {"type": "auto"} if offer else {"type": "tool", "name": name}
                if requests:  # the first request's rate token is the limiter's
                    await pace_round(self._pace, deadline, source)
                message, usage = await self._round(request, messages, tools, choice, deadline)
                requests += 1
                spent += usage
                raw = _tool_input(message, name)
                uses = [
                    b for b in message.content if isinstance(b, ToolUseBlock) and b.name != name
                ]
                if raw is None and offer and message.stop_reason != "max_tokens":
                    if uses:
                        rounds += 1
                        outcomes = await run_calls(
                            request,
                            [PendingCall(b.name, b.input, b.id) for b in uses],
                            rounds,
                            deadline,
                        )
                        records.extend(o.record for o in outcomes)
                        messages.append(_assistant_turn(message))
                        messages.append(_results_turn(outcomes, request, rounds))
                        continue
                    # The model answered in prose: ask for the answer through the output tool.
                    tools_open = False
                    if (turn := _assistant_turn(message))["content"]:
                        messages.append(turn)
                    messages.append(
                        {"role": "user", "content": final_answer_instruction(request, rounds)}
                    )
                    continue
                if raw is None or message.stop_reason == "max_tokens":
                    raise _not_submitted(message, name, raw, source)
                return loop_answer(
                    request,
                    raw,
                    provider=self.name,
                    source=source,
                    spent=spent,
                    started=started,
                    records=records,
                )
        except ProviderError as exc:
            charge_failure(exc, spent, records)
            raise

    async def _round(
        self,
        request: GenerationRequest[Any],
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        choice: dict[str, Any],
        deadline: Deadline,
    ) -> tuple[Message, Usage]:
        """One messages request (retried on transient failures) and its usage."""
        what = f"Anthropic {request.model}"
        timeout_s = deadline.remaining(what)
        params: dict[str, Any] = {
            "model": request.model,
            "max_tokens": self._max_output_tokens,
            "system": request.system,
            # A copy: the loop appends to its history after this request was sent.
            "messages": list(messages),
            "tools": tools,
            "tool_choice": choice,
            "timeout": timeout_s,
        }
        started = time.monotonic()
        message = await with_retries(
            lambda: self._call(request.model, params),
            what=what,
            timeout_s=timeout_s,
            policy=self._retry,
            sleep=self._sleep,
            stated_timeout_s=deadline.seconds,
        )
        input_tokens, output_tokens = message.usage.input_tokens, message.usage.output_tokens
        return message, Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=call_cost(request.model, input_tokens, output_tokens),
            latency_ms=round((time.monotonic() - started) * 1000),
        )

    async def _call(self, model: str, params: dict[str, Any]) -> Message:
        """One HTTP attempt, its failures sorted into retryable and final."""
        try:
            message: Message = await self._client.messages.create(**params)
        except anthropic.APITimeoutError as exc:
            raise ProviderTimeoutError(f"Anthropic {model} timed out") from exc
        except anthropic.APIConnectionError as exc:
            raise TransientError(
                "unavailable", f"Anthropic {model} could not be reached: {exc}", None
            ) from exc
        except anthropic.APIStatusError as exc:
            detail = f"Anthropic {model} answered {exc.status_code} {exc.type}: {exc.api_message}"
            if exc.status_code in (401, 403):
                raise ProviderAuthError(f"{detail}; check ANTHROPIC_API_KEY") from exc
            kind = transient_for_status(exc.status_code)
            if kind is not None:
                retry_after = retry_after_seconds(dict(exc.response.headers))
                raise TransientError(kind, detail, retry_after) from exc
            raise ProviderError(detail) from exc
        return message

    async def aclose(self) -> None:
        """Closes the SDK's HTTP client."""
        await self._client.close()
