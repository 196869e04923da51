"""What the LLM providers share in their tool-calling loop: running calls, bounds, wording.

Gemini and Anthropic differ in wire format but not in policy, which lives here:

- Only the tools the request offers can run; any other name (one of `agents.tools.TOOLS` the
  role may not use, or no tool at all) is answered `UNKNOWN_TOOL`.
- A tool's failure is the tool's answer, `{"error": {"code", "message"}}`, so the model can
  recover (ask for another symbol, do without); it never ends the loop. An unexpected crash of
  a tool is answered `TOOL_FAILED` the same way, and logged.
- The calls of one turn run concurrently; each becomes a `ToolCall` for the audit trail.
- After `max_tool_rounds` rounds of calls the model is asked for its answer without tools (it
  is not refused with an error): the data in the prompt is enough to answer, the tools only
  refine it. A model that still calls a tool then gives a `MalformedOutputError` with the code
  `TOOL_LOOP_EXCEEDED` in its errors, which the structured retry feeds back.
- The whole loop shares one deadline, `request.timeout_s`, tool runs included.
- Every round after the first takes another token from the provider's rate limit (`Pace`),
  so a tool loop counts as the requests it makes against a requests-per-minute quota.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from pydantic import BaseModel

from agents.providers.base import (
    Generation,
    GenerationRequest,
    ProviderError,
    ProviderTimeoutError,
    ToolCall,
    Usage,
)
from agents.providers.output import parse_output
from agents.tools import TOOLS, Tool, ToolError, call_tool

T = TypeVar("T", bound=BaseModel)

log = logging.getLogger(__name__)

TOOL_LOOP_EXCEEDED: Final = "TOOL_LOOP_EXCEEDED"
# Waits for one more request's rate token (`ProviderLimiter.token`).
Pace = Callable[[], Awaitable[None]]
# Enough of a tool error's message for the audit record without storing whole payloads.
_ERROR_PREVIEW: Final = 500


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A tool call as the model asked for it; `call_id` pairs it with its answer."""

    name: str
    arguments: Any
    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What goes back to the model for one call, and its audit record."""

    call: PendingCall
    result: dict[str, Any]
    record: ToolCall

    @property
    def is_error(self) -> bool:
        return not self.record.ok


def offered_tools(request: GenerationRequest[Any]) -> list[Tool]:
    """The tool definitions the request offers, in its order."""
    return [TOOLS[name] for name in request.tools]


def tool_error(code: str, message: str) -> dict[str, Any]:
    """The answer of a failed tool call, as the model sees it."""
    return {"error": {"code": code, "message": message}}


class Deadline:
    """One time budget for every model call and tool run of a generation."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._loop = asyncio.get_running_loop()
        self._end = self._loop.time() + seconds

    def remaining(self, what: str) -> float:
        """Seconds left, or a `ProviderTimeoutError` naming `what` when none are."""
        left = self._end - self._loop.time()
        if left <= 0:
            raise ProviderTimeoutError(f"{what} gave no answer within {self.seconds:g} s")
        return left


async def pace_round(pace: Pace | None, deadline: Deadline, what: str) -> None:
    """Waits for the rate token of a loop's next request, within the generation's deadline.

    Raises:
        ProviderTimeoutError: No token came before the deadline.
    """
    if pace is None:
        return
    try:
        async with asyncio.timeout(deadline.remaining(what)):
            await pace()
    except TimeoutError as exc:
        raise ProviderTimeoutError(
            f"{what}: no rate-limit token for the next round within {deadline.seconds:g} s"
        ) from exc


async def _run_one(request: GenerationRequest[Any], call: PendingCall, round_: int) -> CallOutcome:
    started = time.monotonic()
    arguments = call.arguments if isinstance(call.arguments, Mapping) else {}
    result: dict[str, Any]
    if call.name not in request.tools:
        offered = ", ".join(request.tools) or "none"
        error = ToolError(
            "UNKNOWN_TOOL", f"{call.name!r} is not a tool you can call; yours: {offered}"
        )
    elif not isinstance(call.arguments, Mapping):
        error = ToolError(
            "INVALID_ARGUMENTS",
            f"{call.name}: arguments must be a JSON object, not {call.arguments!r}",
        )
    else:
        assert request.tool_data is not None  # GenerationRequest refuses tools without data
        try:
            result = await call_tool(call.name, request.tool_data, arguments)
        except ToolError as exc:
            error = exc
        except Exception as exc:  # a bug in one tool must not end the agent's call
            log.exception("tool %s crashed for %s", call.name, request.agent)
            error = ToolError("TOOL_FAILED", f"{call.name} failed: {type(exc).__name__}")
        else:
            record = ToolCall(
                call.name,
                dict(arguments),
                ok=True,
                latency_ms=round((time.monotonic() - started) * 1000),
                round=round_,
            )
            return CallOutcome(call, result, record)
    record = ToolCall(
        call.name,
        dict(arguments),
        ok=False,
        error_code=error.code,
        error=error.message[:_ERROR_PREVIEW],
        latency_ms=round((time.monotonic() - started) * 1000),
        round=round_,
    )
    return CallOutcome(call, tool_error(error.code, error.message), record)


async def run_calls(
    request: GenerationRequest[Any],
    calls: Sequence[PendingCall],
    round_: int,
    deadline: Deadline,
) -> list[CallOutcome]:
    """Every call of one turn, run concurrently, answered in the order they were asked.

    Raises:
        ProviderTimeoutError: The tools did not finish before the generation's deadline.
    """
    what = f"the tools of {request.agent} (round {round_})"
    try:
        async with asyncio.timeout(deadline.remaining(what)):
            return list(await asyncio.gather(*(_run_one(request, c, round_) for c in calls)))
    except TimeoutError as exc:
        raise ProviderTimeoutError(
            f"{what} did not finish within the {deadline.seconds:g} s of the call"
        ) from exc


def result_json(result: Mapping[str, Any]) -> str:
    """A tool's answer as compact JSON text (Anthropic's tool_result content)."""
    return json.dumps(result, separators=(",", ":"), default=str)


def final_answer_instruction(request: GenerationRequest[Any], rounds: int) -> str:
    """What the model is told when it must answer without (more) tools."""
    if rounds >= request.max_tool_rounds and request.tools:
        return (
            f"You have used all {request.max_tool_rounds} tool rounds. Do not call tools any "
            f"more: answer now with the final {request.schema.__name__} JSON object."
        )
    return f"Answer now with the final {request.schema.__name__} JSON object."


def exceeded(request: GenerationRequest[Any], names: Sequence[str]) -> str:
    """The error fed back when a model calls tools where it may not."""
    return (
        f"{TOOL_LOOP_EXCEEDED}: called {', '.join(names) or 'a tool'} after the "
        f"{request.max_tool_rounds} tool rounds were used up; answer with the JSON object only"
    )


def loop_answer(
    request: GenerationRequest[T],
    raw: str,
    *,
    provider: str,
    source: str,
    spent: Usage,
    started: float,
    records: Sequence[ToolCall],
) -> Generation[T]:
    """The loop's final answer: validated, with every round's tokens and the loop's wall time.

    Raises:
        MalformedOutputError: `raw` does not validate against the request's schema.
    """
    output = parse_output(request.schema, raw, source=source, usage=Usage())
    return Generation(
        output=output,
        usage=dataclasses.replace(spent, latency_ms=round((time.monotonic() - started) * 1000)),
        provider=provider,
        model=request.model,
        prompt_hash=request.prompt_hash(),
        raw=raw,
        tool_calls=tuple(records),
    )


def charge_failure(exc: ProviderError, spent: Usage, records: Sequence[ToolCall]) -> None:
    """Adds the loop's earlier rounds to a failure: tokens still count, calls stay auditable."""
    exc.usage = spent + exc.usage
    exc.tool_calls = tuple(records)
