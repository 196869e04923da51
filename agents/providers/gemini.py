"""The Gemini provider: google-genai with native structured output and function calling.

The answer is constrained by `response_mime_type="application/json"` and the output model's
JSON Schema, then validated with pydantic (the schema constrains the shape; pydantic also
checks ranges, patterns and finiteness). The agent's tools are offered as function
declarations (their pydantic JSON schemas) with the SDK's automatic function calling off: this
provider runs the loop (`toolloop.py`), answering `function_call` parts with
`function_response` parts. Gemini 3 accepts tools together with JSON mode, so each round may
end in the final answer; Gemini 1.x/2.x refuse that combination (400 "Function calling with a
response mime type: 'application/json' is unsupported"), so there the tool rounds run in text
mode and the answer is then asked for in JSON mode without tools (one extra call). The SDK's
own retries are off, so `with_retries` is the only retry loop. An explicit httpx client keeps
the SDK off its aiohttp path, as the embedder in `cream.memory` does.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any, Final, TypeVar

import httpx
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
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
from agents.providers.gemini_tools import (
    combines_tools_with_json,
    declarations,
    final_turns,
    function_calls,
    model_turn,
    response_turn,
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
    Deadline,
    Pace,
    charge_failure,
    exceeded,
    final_answer_instruction,
    loop_answer,
    pace_round,
    run_calls,
)

T = TypeVar("T", bound=BaseModel)

# The Gemini API version; pinned so a custom base URL gets the same paths.
API_VERSION: Final = "v1beta"
DEFAULT_MAX_OUTPUT_TOKENS: Final = 8192
_CLIENT_TIMEOUT_S: Final = 600.0
_AUTH_REASONS: Final = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "PERMISSION_DENIED"})
_RETRY_INFO: Final = "type.googleapis.com/google.rpc.RetryInfo"


def _error_details(exc: genai_errors.APIError) -> list[dict[str, Any]]:
    details = exc.details.get("error", exc.details) if isinstance(exc.details, dict) else {}
    found = details.get("details", []) if isinstance(details, dict) else []
    return [item for item in found if isinstance(item, dict)]


def _retry_after(exc: genai_errors.APIError) -> float | None:
    """The server's wait: the Retry-After header, else the body's google.rpc.RetryInfo."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None and (seconds := retry_after_seconds(dict(headers))) is not None:
        return seconds
    for item in _error_details(exc):
        delay = item.get("retryDelay")
        if item.get("@type") == _RETRY_INFO and isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                return None
    return None


def _is_auth_failure(exc: genai_errors.APIError) -> bool:
    # Gemini answers a bad key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID.
    if exc.code in (401, 403):
        return True
    return any(item.get("reason") in _AUTH_REASONS for item in _error_details(exc))


def _answer_text(response: types.GenerateContentResponse) -> tuple[str, str | None]:
    """The answer's text (thought parts left out) and its finish reason."""
    candidates = response.candidates or []
    if not candidates:
        return "", None
    candidate = candidates[0]
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    text = "".join(part.text for part in parts if part.text and not part.thought)
    reason = candidate.finish_reason.value if candidate.finish_reason else None
    return text, reason


def _checked_text(response: types.GenerateContentResponse, source: str) -> str:
    """The answer's text, or a `MalformedOutputError` when the model stopped early."""
    raw, finish_reason = _answer_text(response)
    if finish_reason not in (None, "STOP"):
        raise MalformedOutputError(
            f"{source} stopped with finish reason {finish_reason}: the answer is incomplete "
            "or was withheld",
            raw=raw,
            errors=(f"finish reason {finish_reason}: answer incomplete or withheld",),
        )
    return raw


def _why_empty(response: types.GenerateContentResponse) -> str:
    feedback = response.prompt_feedback
    blocked = feedback.block_reason if feedback else None
    return f"the prompt was blocked ({blocked.value})" if blocked else "no answer text"


class GeminiProvider:
    """Structured generation with Gemini models through google-genai.

    Args:
        api_key: The Gemini API key (`GOOGLE_API_KEY`).
        base_url: Another endpoint than Google's (a proxy, or a local fake in tests).
        retry: Attempts and backoff for 429 and 5xx answers.
        sleep: How to wait between attempts (tests record the waits instead of sleeping).
        http_client: The async HTTP client the SDK uses (one is created and owned when None).
        pace: Waits for a rate token before each tool-loop round after the first (the
            provider's limiter; the first request's token is `LimitedProvider`'s).
        max_output_tokens: Upper bound of one answer.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        http_client: httpx.AsyncClient | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        pace: Pace | None = None,
    ) -> None:
        if not api_key:
            raise ProviderAuthError("the Gemini API key is empty; set GOOGLE_API_KEY")
        self._owned = http_client is None
        # Each call sets its own timeout (`request.timeout_s`); this bounds anything else.
        self._http = http_client or httpx.AsyncClient(timeout=_CLIENT_TIMEOUT_S)
        options = types.HttpOptions(
            base_url=base_url,
            api_version=API_VERSION,
            httpx_async_client=self._http,
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        self._client = genai.Client(api_key=api_key, http_options=options)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._max_output_tokens = max_output_tokens
        self._pace = pace

    @property
    def name(self) -> str:
        """The provider's name in config and lineage."""
        return "gemini"

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """One validated answer from Gemini, after the tool rounds, or a `ProviderError`.

        Each round sends the whole conversation; the model's function calls are run and
        answered with `function_response` parts until it answers with text, or the rounds run
        out and it is asked for its answer without tools.
        """
        price_for(request.model)  # fail before spending when the call cannot be costed
        deadline = Deadline(request.timeout_s)
        started = time.monotonic()
        source = f"Gemini {request.model} ({request.agent})"
        contents = [types.Content(role="user", parts=[types.Part(text=user_message(request))])]
        spent = Usage()
        records: list[ToolCall] = []
        rounds = requests = 0
        tools_open = bool(request.tools)
        try:
            while True:
                offer = tools_open and rounds < request.max_tool_rounds
                structured = not offer or combines_tools_with_json(request.model)
                sent = (
                    contents
                    if offer or not request.tools
                    else final_turns(contents, final_answer_instruction(request, rounds))
                )
                if requests:  # the first request's rate token is the limiter's
                    await pace_round(self._pace, deadline, source)
                response, usage = await self._round(request, sent, offer, structured, deadline)
                requests += 1
                spent += usage
                raw = _checked_text(response, source)
                calls = function_calls(response)
                if calls:
                    if not offer:
                        why = exceeded(request, [c.name for c in calls])
                        raise MalformedOutputError(f"{source}: {why}", raw=raw, errors=(why,))
                    rounds += 1
                    outcomes = await run_calls(request, calls, rounds, deadline)
                    records.extend(o.record for o in outcomes)
                    contents.append(model_turn(response))
                    contents.append(response_turn(outcomes))
                    continue
                if not structured:
                    # Gemini 2.x cannot use JSON mode with tools: the tool rounds are over, so
                    # the answer is asked for again, in JSON mode and without tools.
                    tools_open = False
                    if raw:
                        contents.append(types.Content(role="model", parts=[types.Part(text=raw)]))
                    continue
                if not raw:
                    why = _why_empty(response)
                    raise MalformedOutputError(f"{source} returned {why}", raw="", errors=(why,))
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
        contents: list[types.Content],
        offer: bool,
        structured: bool,
        deadline: Deadline,
    ) -> tuple[types.GenerateContentResponse, Usage]:
        """One generateContent request (retried on transient failures) and its usage."""
        what = f"Gemini {request.model}"
        timeout_s = deadline.remaining(what)
        config = types.GenerateContentConfig(
            system_instruction=request.system,
            temperature=request.temperature,
            max_output_tokens=self._max_output_tokens,
            http_options=types.HttpOptions(timeout=math.ceil(timeout_s * 1000)),
        )
        if structured:
            config.response_mime_type = "application/json"
            config.response_json_schema = output_json_schema(request.schema)
        if offer:
            config.tools = [declarations(request)]
            config.tool_config = types.ToolConfig(
                function_calling_config=types.FunctionCallingConfig(
                    mode=types.FunctionCallingConfigMode.AUTO
                )
            )
            # We run the loop: the SDK must not try to call Python functions itself.
            config.automatic_function_calling = types.AutomaticFunctionCallingConfig(disable=True)
        started = time.monotonic()
        response = await with_retries(
            lambda: self._call(request.model, contents, config),
            what=what,
            timeout_s=timeout_s,
            policy=self._retry,
            sleep=self._sleep,
            stated_timeout_s=deadline.seconds,
        )
        return response, self._usage(
            request.model, response, round((time.monotonic() - started) * 1000)
        )

    async def _call(
        self, model: str, contents: list[types.Content], config: types.GenerateContentConfig
    ) -> types.GenerateContentResponse:
        """One HTTP attempt, its failures sorted into retryable and final."""
        try:
            return await self._client.aio.models.generate_content(
                model=model, contents=contents, config=config
            )
        except genai_errors.APIError as exc:
            detail = f"Gemini {model} answered {exc.code} {exc.status}: {exc.message}"
            if _is_auth_failure(exc):
                raise ProviderAuthError(f"{detail}; check GOOGLE_API_KEY") from exc
            kind = transient_for_status(int(exc.code))
            if kind is not None:
                raise TransientError(kind, detail, _retry_after(exc)) from exc
            raise ProviderError(detail) from exc
        except httpx.TimeoutException as exc:
            raise ProviderTimeoutError(f"Gemini {model} timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransientError(
                "unavailable", f"Gemini {model} could not be reached: {exc!r}", None
            ) from exc

    def _usage(self, model: str, response: types.GenerateContentResponse, latency_ms: int) -> Usage:
        meta = response.usage_metadata
        input_tokens = (meta.prompt_token_count or 0) if meta else 0
        # Thinking tokens are billed as output.
        output_tokens = (
            (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0) if meta else 0
        )
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=call_cost(model, input_tokens, output_tokens),
            latency_ms=latency_ms,
        )

    async def aclose(self) -> None:
        """Releases the HTTP client when this provider created it."""
        await self._client.aio.aclose()
        if self._owned:
            await self._http.aclose()
