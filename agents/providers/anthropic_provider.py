"""The Anthropic provider: native structured output through one forced tool call.

The output model's JSON Schema is offered as the only tool and `tool_choice` forces the model
to call it, so the answer arrives as the tool's `input` object; pydantic then validates it
(ranges, patterns and finiteness the schema alone does not enforce). The SDK's own retries
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
from anthropic.types import Message, ToolUseBlock
from pydantic import BaseModel

from agents.providers.base import (
    Generation,
    GenerationRequest,
    MalformedOutputError,
    ProviderAuthError,
    ProviderError,
    ProviderTimeoutError,
    Usage,
)
from agents.providers.output import parse_output
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

T = TypeVar("T", bound=BaseModel)

DEFAULT_MAX_OUTPUT_TOKENS: Final = 8192


def tool_name(schema: type[BaseModel]) -> str:
    """The forced tool's name for an output model (`submit_TradingPlan`)."""
    return f"submit_{schema.__name__}"[:64]


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
    ) -> None:
        if not api_key:
            raise ProviderAuthError("the Anthropic API key is empty; set ANTHROPIC_API_KEY")
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._max_output_tokens = max_output_tokens

    @property
    def name(self) -> str:
        """The provider's name in config and lineage."""
        return "anthropic"

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """One validated answer from Claude, or a `ProviderError`."""
        price_for(request.model)  # fail before spending when the call cannot be costed
        name = tool_name(request.schema)
        params: dict[str, Any] = {
            "model": request.model,
            "max_tokens": self._max_output_tokens,
            "system": request.system,
            "messages": [{"role": "user", "content": user_message(request)}],
            "tools": [
                {
                    "name": name,
                    "description": (
                        f"Submit the answer as a {request.schema.__name__} object. "
                        f"{(request.schema.__doc__ or '').strip()}"
                    ).strip(),
                    "input_schema": output_json_schema(request.schema),
                }
            ],
            "tool_choice": {"type": "tool", "name": name},
            "timeout": request.timeout_s,
        }
        started = time.monotonic()
        message = await with_retries(
            lambda: self._call(request.model, params),
            what=f"Anthropic {request.model}",
            timeout_s=request.timeout_s,
            policy=self._retry,
            sleep=self._sleep,
        )
        latency_ms = round((time.monotonic() - started) * 1000)
        input_tokens, output_tokens = message.usage.input_tokens, message.usage.output_tokens
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=call_cost(request.model, input_tokens, output_tokens),
            latency_ms=latency_ms,
        )
        source = f"Anthropic {request.model} ({request.agent})"
        raw = _tool_input(message, name)
        if raw is None or message.stop_reason == "max_tokens":
            why = (
                f"stop reason {message.stop_reason}: the answer is incomplete"
                if raw is not None
                else f"the model did not call the tool {name} (stop reason {message.stop_reason})"
            )
            text = "".join(getattr(block, "text", "") for block in message.content)
            raise MalformedOutputError(
                f"{source}: {why}", raw=raw or text, errors=(why,), usage=usage
            )
        output = parse_output(request.schema, raw, source=source, usage=usage)
        return Generation(
            output=output,
            usage=usage,
            provider=self.name,
            model=request.model,
            prompt_hash=request.prompt_hash(),
            raw=raw,
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
