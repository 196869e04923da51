"""The Gemini provider: google-genai with native structured output (JSON + response schema).

The answer is constrained by `response_mime_type="application/json"` and the output model's
JSON Schema, then validated with pydantic (the schema constrains the shape; pydantic also
checks ranges, patterns and finiteness). The SDK's own retries are off, so `with_retries` is
the only retry loop. An explicit httpx client keeps the SDK off its aiohttp path, as the
embedder in `cream.memory` does, so one HTTP stack serves every adapter.
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


class GeminiProvider:
    """Structured generation with Gemini models through google-genai.

    Args:
        api_key: The Gemini API key (`GOOGLE_API_KEY`).
        base_url: Another endpoint than Google's (a proxy, or a local fake in tests).
        retry: Attempts and backoff for 429 and 5xx answers.
        sleep: How to wait between attempts (tests record the waits instead of sleeping).
        http_client: The async HTTP client the SDK uses (one is created and owned when None).
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

    @property
    def name(self) -> str:
        """The provider's name in config and lineage."""
        return "gemini"

    async def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """One validated answer from Gemini, or a `ProviderError`."""
        price_for(request.model)  # fail before spending when the call cannot be costed
        config = types.GenerateContentConfig(
            system_instruction=request.system,
            temperature=request.temperature,
            max_output_tokens=self._max_output_tokens,
            response_mime_type="application/json",
            response_json_schema=output_json_schema(request.schema),
            http_options=types.HttpOptions(timeout=math.ceil(request.timeout_s * 1000)),
        )
        contents = user_message(request)
        started = time.monotonic()
        response = await with_retries(
            lambda: self._call(request.model, contents, config),
            what=f"Gemini {request.model}",
            timeout_s=request.timeout_s,
            policy=self._retry,
            sleep=self._sleep,
        )
        latency_ms = round((time.monotonic() - started) * 1000)
        usage = self._usage(request.model, response, latency_ms)
        raw, finish_reason = _answer_text(response)
        source = f"Gemini {request.model} ({request.agent})"
        if finish_reason not in (None, "STOP"):
            raise MalformedOutputError(
                f"{source} stopped with finish reason {finish_reason}: the answer is "
                "incomplete or was withheld",
                raw=raw,
                errors=(f"finish reason {finish_reason}: answer incomplete or withheld",),
                usage=usage,
            )
        if not raw:
            blocked = response.prompt_feedback.block_reason if response.prompt_feedback else None
            why = f"the prompt was blocked ({blocked.value})" if blocked else "no answer text"
            raise MalformedOutputError(
                f"{source} returned {why}", raw="", errors=(why,), usage=usage
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

    async def _call(
        self, model: str, contents: str, config: types.GenerateContentConfig
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
