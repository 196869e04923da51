"""Structured generation with repair: invalid answers are retried with their errors fed back.

An LLM's answer that does not validate is not used. The validation errors are appended to
the request's feedback and the call is repeated, at most `max_repairs` times; if the answer is
still invalid the last `MalformedOutputError` is raised (fail closed). Tokens and dollars of
every attempt count, including the failed ones.
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
    Usage,
)

T = TypeVar("T", bound=BaseModel)

MAX_REPAIRS: Final = 2


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
    current = request
    for attempt in range(1, max_repairs + 2):
        try:
            generation = await provider.generate(current)
        except MalformedOutputError as exc:
            spent += exc.usage
            seen.extend(exc.errors)
            if attempt > max_repairs:
                raise MalformedOutputError(
                    f"still invalid after {attempt} attempts ({max_repairs} repairs): "
                    f"{exc.message}",
                    raw=exc.raw,
                    errors=exc.errors,
                    usage=spent,
                ) from exc
            current = dataclasses.replace(current, feedback=(*current.feedback, *exc.errors))
            continue
        except ProviderError as exc:
            exc.usage = spent + exc.usage
            raise
        return dataclasses.replace(
            generation, usage=spent + generation.usage, attempts=attempt, errors=tuple(seen)
        )
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
