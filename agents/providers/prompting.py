"""What every LLM provider sends: the agent's prompt plus the feedback of failed attempts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from pydantic import BaseModel

from agents.providers.base import GenerationRequest

FEEDBACK_HEADER: Final = "Your previous answer was invalid:"
FEEDBACK_FOOTER: Final = "Return corrected JSON only."


def feedback_block(feedback: Sequence[str]) -> str:
    """The repair instructions for earlier invalid answers ('' when there are none)."""
    if not feedback:
        return ""
    lines = "\n".join(f"- {item}" for item in feedback)
    return f"{FEEDBACK_HEADER}\n{lines}\n{FEEDBACK_FOOTER}"


def user_message(request: GenerationRequest[Any]) -> str:
    """The user turn: the agent's prompt, then the feedback block when there is feedback."""
    block = feedback_block(request.feedback)
    return f"{request.prompt}\n\n{block}" if block else request.prompt


def output_json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of an output model, as the providers' structured-output options take it."""
    return schema.model_json_schema()
