"""Gemini's wire shapes for function calling: declarations, calls, responses, final turns.

The model's turn is sent back exactly as it came (`thought_signature`s included: Gemini 3
refuses a function-calling history without them). A call that is made without tools (the
answer after the tool rounds) gets the history as plain text instead, since function parts
need their tools declared and Gemini 2.x refuses tools in JSON mode.
"""

from __future__ import annotations

import json
from typing import Any

from google.genai import types

from agents.providers.base import GenerationRequest
from agents.providers.toolloop import CallOutcome, PendingCall, offered_tools

# Model families that refuse function calling together with a JSON response mime type.
_NO_TOOLS_WITH_JSON = ("gemini-1", "gemini-2")


def combines_tools_with_json(model: str) -> bool:
    """Whether `model` accepts function declarations and JSON mode in one request."""
    return not model.startswith(_NO_TOOLS_WITH_JSON)


def declarations(request: GenerationRequest[Any]) -> types.Tool:
    """The request's tools as function declarations, their arguments as JSON Schema."""
    return types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name=tool.name,
                description=tool.description,
                parameters_json_schema=tool.parameters,
            )
            for tool in offered_tools(request)
        ]
    )


def function_calls(response: types.GenerateContentResponse) -> list[PendingCall]:
    """The function calls of the answer's first candidate, in order."""
    candidates = response.candidates or []
    content = candidates[0].content if candidates else None
    return [
        PendingCall(
            part.function_call.name or "",
            part.function_call.args if part.function_call.args is not None else {},
            part.function_call.id,
        )
        for part in (content.parts or [] if content else [])
        if part.function_call is not None
    ]


def model_turn(response: types.GenerateContentResponse) -> types.Content:
    """The model's turn as it answered, to send back in the history."""
    candidates = response.candidates or []
    content = candidates[0].content if candidates else None
    if content is None:  # unreachable: a turn with function calls has content
        raise ValueError("the answer has no content to send back")
    return types.Content(role="model", parts=list(content.parts or []))


def response_turn(outcomes: list[CallOutcome]) -> types.Content:
    """One user turn answering every call of the model's turn, in the same order."""
    return types.Content(
        role="user",
        parts=[
            types.Part(
                function_response=types.FunctionResponse(
                    name=o.call.name, response=o.result, id=o.call.call_id
                )
            )
            for o in outcomes
        ],
    )


def _as_text(part: types.Part) -> str | None:
    if part.function_call is not None:
        call = part.function_call
        return f"[you called {call.name} with {json.dumps(call.args or {}, default=str)}]"
    if part.function_response is not None:
        answer = part.function_response
        return f"[{answer.name} answered {json.dumps(answer.response or {}, default=str)}]"
    if part.text and not part.thought:
        return part.text
    return None


def final_turns(contents: list[types.Content], instruction: str) -> list[types.Content]:
    """The history as text turns, ending with the user's `instruction` to answer now."""
    turns: list[types.Content] = []
    for content in contents:
        texts = [text for part in content.parts or [] if (text := _as_text(part)) is not None]
        if texts:
            turns.append(
                types.Content(role=content.role, parts=[types.Part(text=t) for t in texts])
            )
    if turns and turns[-1].role == "user":
        last = turns[-1]
        turns[-1] = types.Content(
            role="user", parts=[*(last.parts or []), types.Part(text=instruction)]
        )
    else:
        turns.append(types.Content(role="user", parts=[types.Part(text=instruction)]))
    return turns
