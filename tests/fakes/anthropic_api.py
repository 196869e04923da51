"""A fake Anthropic Messages API answering `POST /v1/messages` in its wire format.

Bodies follow the recorded responses of the real service (anthropic-sdk-python test
snapshots): a `message` with `content` blocks (`tool_use` with `id`, `name`, `input`),
`stop_reason` and `usage`; errors in the envelope `{type: "error", error: {type, message}}`.
What the fake answers is up to a programmable responder, so tests can return a valid tool
call, an invalid one, 429 with Retry-After, 5xx, slow answers or an authentication failure.
The API key must arrive in the `x-api-key` header or as a bearer token (SDK 2.x sends the
latter).

Tool use follows the Messages API: an assistant turn of `tool_use` blocks (`stop_reason`
"tool_use") is answered by a user turn of `tool_result` blocks with the same ids. The fake
refuses, with the real service's messages, a `tool_use` left unanswered, a `tool_result` for
an id the previous turn did not use, tool blocks in a request that defines no tools, and empty
text blocks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.fakes.http_server import FakeHttpServer, Reply, Request

API_KEY = "test-anthropic-key"

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class AnthropicCall:
    """One messages request as the fake understood it."""

    model: str
    system: str
    user: str
    tools: list[dict[str, Any]]
    tool_choice: dict[str, Any] | None
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """The tool_result blocks of the last (user) message."""
        messages = self.messages
        content = messages[-1].get("content") if messages else None
        if not isinstance(content, list):
            return []
        return [b for b in content if b.get("type") == "tool_result"]


Responder = Callable[[AnthropicCall], Reply]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content or [] if isinstance(block, dict))


def tool_use(
    call: AnthropicCall,
    tool_input: Any,
    *,
    input_tokens: int = 150,
    output_tokens: int = 60,
    stop_reason: str = "tool_use",
) -> Reply:
    """A 200 calling the forced tool (else the submit_ output tool) with `tool_input`."""
    submit = [t["name"] for t in call.tools if t["name"].startswith("submit_")]
    name = (call.tool_choice or {}).get("name") or (submit or [call.tools[0]["name"]])[0]
    return message(
        call,
        [{"type": "tool_use", "id": "toolu_01FakeToolUse", "name": name, "input": tool_input}],
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        stop_reason=stop_reason,
    )


_IDS = (f"toolu_01Fake{n:012d}" for n in itertools.count(1))


def tool_calls(
    call: AnthropicCall,
    *calls: tuple[str, dict[str, Any]],
    text: str | None = "Let me check the data.",
    input_tokens: int = 150,
    output_tokens: int = 40,
) -> Reply:
    """A 200 whose assistant turn uses the tools `calls` (name, input), each with a fresh id."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [
        {"type": "tool_use", "id": next(_IDS), "name": name, "input": tool_input}
        for name, tool_input in calls
    ]
    return message(
        call,
        content,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        stop_reason="tool_use",
    )


def _blocks(message_: dict[str, Any]) -> list[dict[str, Any]]:
    content = message_.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def refusal(call: AnthropicCall) -> Reply | None:
    """The 400 the real service gives a request it does not accept, or None."""
    messages = call.messages
    for index, turn in enumerate(messages):
        blocks = _blocks(turn)
        if any(b.get("type") == "text" and not b.get("text") for b in blocks):
            return error(400, "messages: text content blocks must be non-empty")
        if any(b.get("type") in ("tool_use", "tool_result") for b in blocks) and not call.tools:
            return error(
                400, "Requests which include `tool_use` or `tool_result` blocks must define tools."
            )
        used = [b["id"] for b in blocks if b.get("type") == "tool_use"]
        previous = _blocks(messages[index - 1]) if index else []
        asked = {b["id"] for b in previous if b.get("type") == "tool_use"}
        for position, block in enumerate(blocks):
            if block.get("type") == "tool_result" and block.get("tool_use_id") not in asked:
                return error(
                    400,
                    f"messages.{index}.content.{position}: unexpected `tool_use_id` found in "
                    f"`tool_result` blocks: {block.get('tool_use_id')}. Each `tool_result` block "
                    "must have a corresponding `tool_use` block in the previous message.",
                )
        if used:
            following = _blocks(messages[index + 1]) if index + 1 < len(messages) else []
            answered = {b.get("tool_use_id") for b in following if b.get("type") == "tool_result"}
            missing = [i for i in used if i not in answered]
            if missing:
                return error(
                    400,
                    f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                    "corresponding `tool_result` block in the next message.",
                )
    return None


def message(
    call: AnthropicCall,
    content: list[dict[str, Any]],
    *,
    input_tokens: int = 150,
    output_tokens: int = 60,
    stop_reason: str = "end_turn",
) -> Reply:
    """A 200 `message` with the given content blocks."""
    body = {
        "id": "msg_01FakeMessage",
        "type": "message",
        "role": "assistant",
        "model": call.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
            "service_tier": "standard",
        },
    }
    return Reply(200, body, {"request-id": "req_fake"})


def error(
    status: int,
    message_text: str,
    *,
    retry_after: str | None = None,
    delay_seconds: float = 0.0,
) -> Reply:
    """An error in Anthropic's envelope."""
    body = {
        "type": "error",
        "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message_text},
        "request_id": "req_fake_error",
    }
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Reply(status, body, headers, delay_seconds=delay_seconds)


class AnthropicFake:
    """A fake messages endpoint; set `responder` (or `script`) to choose the answers."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.calls: list[AnthropicCall] = []
        self.server = FakeHttpServer({("POST", "/v1/messages"): self._handle})

    @property
    def url(self) -> str:
        return self.server.url

    def script(self, replies: Iterable[Callable[[AnthropicCall], Reply]]) -> None:
        """Answer with each of `replies` in order (500 once they run out)."""
        pending = list(replies)

        def next_reply(call: AnthropicCall) -> Reply:
            if not pending:
                return error(500, "the test scripted no more replies")
            return pending.pop(0)(call)

        self.responder = next_reply

    def _handle(self, request: Request) -> Reply:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if API_KEY not in (request.headers.get("x-api-key"), bearer):
            return error(401, "invalid x-api-key")
        body = request.json()
        call = AnthropicCall(
            model=body["model"],
            system=_text(body.get("system")),
            user="\n".join(_text(m.get("content")) for m in body.get("messages", [])),
            tools=body.get("tools", []),
            tool_choice=body.get("tool_choice"),
            body=body,
        )
        self.calls.append(call)
        return refusal(call) or self.responder(call)

    def __enter__(self) -> AnthropicFake:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
