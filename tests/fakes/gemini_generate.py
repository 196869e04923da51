"""A fake Gemini API answering `POST /v1beta/models/{model}:generateContent` in its wire format.

The body shapes (candidates/content/parts/text, finishReason, usageMetadata, the error
envelope with google.rpc details) follow recorded responses of the real service (FirebaseExtended
vertexai-sdk-test-data, `mock-responses/googleai/unary-*.json`). What the fake answers is up to
a programmable responder, so tests can return valid JSON, malformed JSON, 429 with
Retry-After, 500, slow answers or an authentication failure. The API key must arrive in the
`x-goog-api-key` header, as the google-genai SDK sends it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.fakes.http_server import FakeHttpServer, Reply, Request

API_KEY = "test-gemini-key"
MODELS = ("gemini-3-pro-preview", "gemini-3-flash-preview", "gemini-2.5-pro", "gemini-2.5-flash")


@dataclass(frozen=True)
class GeminiCall:
    """One generateContent request as the fake understood it."""

    model: str
    system: str
    user: str
    generation_config: dict[str, Any]
    body: dict[str, Any]


Responder = Callable[[GeminiCall], Reply]


def _text(content: dict[str, Any] | None) -> str:
    if not content:
        return ""
    return "".join(part.get("text", "") for part in content.get("parts", []))


def success(
    answer: Any,
    *,
    prompt_tokens: int = 120,
    output_tokens: int = 40,
    thoughts_tokens: int = 0,
    finish_reason: str = "STOP",
    model_version: str = "gemini-3-pro-preview",
) -> Reply:
    """A 200 with one candidate whose text is `answer` (a string as is, else JSON-encoded)."""
    text = answer if isinstance(answer, str) else json.dumps(answer)
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": prompt_tokens + output_tokens + thoughts_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
    }
    if thoughts_tokens:
        usage["thoughtsTokenCount"] = thoughts_tokens
    body = {
        "candidates": [
            {
                "content": {"parts": [{"text": text}], "role": "model"},
                "finishReason": finish_reason,
                "avgLogprobs": -0.05,
            }
        ],
        "usageMetadata": usage,
        "modelVersion": model_version,
        "responseId": "fake-response-id",
    }
    return Reply(200, body)


def error(
    status: int,
    message: str,
    status_name: str,
    *,
    retry_after: str | None = None,
    details: list[dict[str, Any]] | None = None,
    delay_seconds: float = 0.0,
) -> Reply:
    """An error in Google's envelope `{error: {code, message, status, details}}`."""
    body = {"error": {"code": status, "message": message, "status": status_name}}
    if details:
        body["error"]["details"] = details
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(status, body, headers, delay_seconds=delay_seconds)


def invalid_key() -> Reply:
    """What Gemini answers to a wrong API key: 400 INVALID_ARGUMENT, reason API_KEY_INVALID."""
    return error(
        400,
        "API key not valid. Please pass a valid API key.",
        "INVALID_ARGUMENT",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ],
    )


class GeminiGenerateFake:
    """A fake generateContent endpoint; set `responder` (or `script`) to choose the answers."""

    def __init__(self, responder: Responder, models: Iterable[str] = MODELS) -> None:
        self.responder = responder
        self.calls: list[GeminiCall] = []
        routes = {
            ("POST", f"/v1beta/models/{model}:generateContent"): self._handler(model)
            for model in models
        }
        self.server = FakeHttpServer(routes)

    @property
    def url(self) -> str:
        return self.server.url

    def script(self, replies: Iterable[Reply]) -> None:
        """Answer with `replies` in order (a test fails loudly if more calls arrive)."""
        pending = list(replies)

        def next_reply(_call: GeminiCall) -> Reply:
            if not pending:
                return error(500, "the test scripted no more replies", "INTERNAL")
            return pending.pop(0)

        self.responder = next_reply

    def _handler(self, model: str) -> Callable[[Request], Reply]:
        def handle(request: Request) -> Reply:
            if request.headers.get("x-goog-api-key") != API_KEY:
                return invalid_key()
            body = request.json()
            call = GeminiCall(
                model=model,
                system=_text(body.get("systemInstruction")),
                user="\n".join(_text(content) for content in body.get("contents", [])),
                generation_config=body.get("generationConfig", {}),
                body=body,
            )
            self.calls.append(call)
            return self.responder(call)

        return handle

    def __enter__(self) -> GeminiGenerateFake:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
