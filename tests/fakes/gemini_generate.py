"""A fake Gemini API answering `POST /v1beta/models/{model}:generateContent` in its wire format.

The body shapes (candidates/content/parts/text, finishReason, usageMetadata, the error
envelope with google.rpc details) follow recorded responses of the real service (FirebaseExtended
vertexai-sdk-test-data, `mock-responses/googleai/unary-*.json`). What the fake answers is up to
a programmable responder, so tests can return valid JSON, malformed JSON, 429 with
Retry-After, 500, slow answers or an authentication failure. The API key must arrive in the
`x-goog-api-key` header, as the google-genai SDK sends it.

Function calling follows the recorded `unary-success-thinking-function-call-thought-summary-
signature.json`: a model turn of `functionCall` parts, the first one carrying a
`thoughtSignature`. The fake refuses, with the real service's messages, what the real service
refuses: function declarations with JSON mode on Gemini 1.x/2.x, a function-call turn not
answered by as many `functionResponse` parts, and (Gemini 3) a function call sent back without
the signature the fake issued.
"""

from __future__ import annotations

import base64
import itertools
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

    @property
    def contents(self) -> list[dict[str, Any]]:
        return list(self.body.get("contents", []))

    @property
    def declarations(self) -> list[dict[str, Any]]:
        """The function declarations offered, across every tool."""
        return [
            d for tool in self.body.get("tools", []) for d in tool.get("functionDeclarations", [])
        ]

    @property
    def function_responses(self) -> list[dict[str, Any]]:
        """The functionResponse parts of the last turn (what answers the model's calls)."""
        contents = self.contents
        if not contents:
            return []
        return [
            p["functionResponse"] for p in contents[-1].get("parts", []) if "functionResponse" in p
        ]


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


# Opaque bytes in base64, as the service sends them (the SDK decodes and re-encodes them).
_SIGNATURES = (
    base64.b64encode(f"fake-thought-signature-{n:04d}".encode()).decode()
    for n in itertools.count(1)
)


def function_call(
    *calls: tuple[str, dict[str, Any]],
    thought: str | None = "Checking the data first.",
    prompt_tokens: int = 120,
    output_tokens: int = 20,
    thoughts_tokens: int = 30,
    model_version: str = "gemini-3-pro-preview",
) -> Reply:
    """A 200 whose model turn calls `calls` (name, args) in order, as Gemini answers them.

    The first call carries a fresh `thoughtSignature` (a thought summary precedes it when
    `thought` is given), like the recorded response.
    """
    parts: list[dict[str, Any]] = []
    if thought is not None:
        parts.append({"text": thought, "thought": True})
    for index, (name, args) in enumerate(calls):
        part: dict[str, Any] = {"functionCall": {"name": name, "args": args}}
        if index == 0:
            part["thoughtSignature"] = next(_SIGNATURES)
        parts.append(part)
    body = {
        "candidates": [
            {"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens + thoughts_tokens,
            "thoughtsTokenCount": thoughts_tokens,
        },
        "modelVersion": model_version,
        "responseId": "fake-function-call",
    }
    return Reply(200, body)


def refusal(call: GeminiCall, issued: set[str]) -> Reply | None:
    """The 400 the real service gives a request it does not accept, or None."""
    config = call.generation_config
    json_mode = config.get("responseMimeType") == "application/json"
    if call.declarations and json_mode and call.model.startswith(("gemini-1", "gemini-2")):
        return error(
            400,
            "Function calling with a response mime type: 'application/json' is unsupported",
            "INVALID_ARGUMENT",
        )
    contents = call.contents
    for index, content in enumerate(contents):
        calls = [p for p in content.get("parts", []) if "functionCall" in p]
        if content.get("role") != "model" or not calls:
            continue
        following = contents[index + 1] if index + 1 < len(contents) else {"parts": []}
        answers = [p for p in following.get("parts", []) if "functionResponse" in p]
        if len(answers) != len(calls):
            return error(
                400,
                "Please ensure that the number of function response parts is equal to the "
                "number of function call parts of the function call turn.",
                "INVALID_ARGUMENT",
            )
        signature = signature_bytes(calls[0].get("thoughtSignature"))
        if call.model.startswith("gemini-3") and signature not in {
            signature_bytes(i) for i in issued
        }:
            name = calls[0]["functionCall"].get("name")
            return error(
                400,
                "Function call is missing a thought_signature in functionCall parts. This is "
                "required for tools to work correctly, and missing thought_signature may lead "
                f"to degraded model performance. Additional data, function call `default_api:"
                f"{name}` , position {index + 1}. Please refer to "
                "https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
                "INVALID_ARGUMENT",
            )
    return None


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


def signature_bytes(value: str | None) -> bytes | None:
    """A thought signature's bytes: proto3 JSON takes standard or URL-safe base64 (the SDK
    sends the latter), so signatures compare decoded."""
    if value is None:
        return None
    return base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_"))


def declared_schema(declaration: dict[str, Any]) -> Any:
    """A declaration's argument schema; the SDK sends the proto field name, which the service
    accepts beside the camelCase JSON name."""
    return declaration.get("parametersJsonSchema", declaration.get("parameters_json_schema"))


def _signatures(reply: Reply) -> list[str]:
    body = reply.body if isinstance(reply.body, dict) else {}
    return [
        part["thoughtSignature"]
        for candidate in body.get("candidates", [])
        for part in candidate.get("content", {}).get("parts", [])
        if "thoughtSignature" in part
    ]


class GeminiGenerateFake:
    """A fake generateContent endpoint; set `responder` (or `script`) to choose the answers."""

    def __init__(self, responder: Responder, models: Iterable[str] = MODELS) -> None:
        self.responder = responder
        self.calls: list[GeminiCall] = []
        # Thought signatures this fake handed out, which Gemini 3 wants back verbatim.
        self.signatures: set[str] = set()
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
            refused = refusal(call, self.signatures)
            if refused is not None:
                return refused
            reply = self.responder(call)
            self.signatures.update(_signatures(reply))
            return reply

        return handle

    def __enter__(self) -> GeminiGenerateFake:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
