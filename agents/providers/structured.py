"""Structured generation with repair: invalid answers are retried with their errors fed back.

An LLM's answer that does not validate is not used. The validation errors are appended to
the request's feedback and the call is repeated, at most `max_repairs` times; if the answer is
still invalid the last `MalformedOutputError` is raised (fail closed). Tokens and dollars of
every attempt count, including the failed ones, and so do their tool calls (each numbered
with its attempt); a repair runs the tool loop again from the start.
"""

from __future__ import annotations

import dataclasses
from typing import Final, TypeVar

from pydantic import BaseModel

from agents.providers.base import (
    Generation,
    GenerationRequest,
    MalformedOutputError,
    Provider,
    ProviderError,
    ToolCall,
    Usage,
)

T = TypeVar("T", bound=BaseModel)

MAX_REPAIRS: Final = 2


def _numbered(calls: tuple[ToolCall, ...], attempt: int) -> list[ToolCall]:
    return [dataclasses.replace(call, attempt=attempt) for call in calls]


async def generate_structured(
    provider: Provider, request: GenerationRequest[T], max_repairs: int = MAX_REPAIRS
) -> Generation[T]:
    """A validated answer after at most `max_repairs` repair attempts.

    Returns:
        The generation with `usage` summed over every attempt, `attempts` the number of calls
        and `errors` the validation errors that were fed back.

    Raises:
        MalformedOutputError: Still invalid after the repairs; `usage` covers every attempt.
        ProviderError: Any other failure, its `usage` including the earlier attempts.
    """
    if max_repairs < 0:
        raise ValueError(f"max_repairs must be >= 0, got {max_repairs}")
    spent = Usage()
    seen: list[str] = []
    calls: list[ToolCall] = []
    current = request
    for attempt in range(1, max_repairs + 2):
        try:
            generation = await provider.generate(current)
        except MalformedOutputError as exc:
            spent += exc.usage
            seen.extend(exc.errors)
            calls.extend(_numbered(exc.tool_calls, attempt))
            if attempt > max_repairs:
                final = MalformedOutputError(
                    f"still invalid after {attempt} attempts ({max_repairs} repairs): "
                    f"{exc.message}",
                    raw=exc.raw,
                    errors=exc.errors,
                    usage=spent,
                )
                final.tool_calls = tuple(calls)
                raise final from exc
            current = dataclasses.replace(current, feedback=(*current.feedback, *exc.errors))
            continue
        except ProviderError as exc:
            exc.usage = spent + exc.usage
            exc.tool_calls = (*calls, *_numbered(exc.tool_calls, attempt))
            raise
        return dataclasses.replace(
            generation,
            usage=spent + generation.usage,
            attempts=attempt,
            errors=tuple(seen),
            tool_calls=(*calls, *_numbered(generation.tool_calls, attempt)),
        )
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
