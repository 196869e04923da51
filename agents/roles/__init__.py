"""The eight agent roles: name, output schema, tools, system prompt and user-prompt renderer.

`build_request` is the one place a call is assembled, so every provider (LLM or `rules`)
receives the same prompt, schema, structured inputs and tools, and the prompt hash identifies
it. `with_tools` offers a request its role's tools over the cycle's `ToolData`; LLM providers
let the model call them, `rules` reads the same data directly and ignores them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from agents.inputs import AgentInputs
from agents.prompts import PromptVersionError, system_prompt
from agents.providers.base import DEFAULT_MAX_TOOL_ROUNDS, GenerationRequest
from agents.roles.render import render
from agents.schemas import OUTPUT_SCHEMAS
from agents.tools import ToolData
from cream.config.schema import AGENT_NAMES, AgentSettings

__all__ = [
    "ROLES",
    "PromptVersionError",
    "Role",
    "UnknownRoleError",
    "build_request",
    "role",
    "with_tools",
]

# Tools per agent (seed 000 §6); names are keys of `agents.tools.TOOLS`.
_TOOLS: Final[dict[str, tuple[str, ...]]] = {
    "technical_analyst": ("get_quotes", "recalc_indicator", "memory_query"),
    "news_analyst": ("news_search", "memory_query"),
    "fundamentals_analyst": ("economic_calendar", "memory_query"),
    "bullish_researcher": ("memory_query",),
    "bearish_researcher": ("memory_query",),
    "trader": ("get_quotes", "portfolio_state", "option_chain", "get_greeks"),
    "risk_manager": ("portfolio_state",),
    "critic": (),
}


class UnknownRoleError(LookupError):
    """An agent name that is not one of the eight roles; `code` is stable."""

    code = "UNKNOWN_AGENT"


@dataclass(frozen=True, slots=True)
class Role:
    """One agent: what it answers, which tools it may call, and how it is prompted."""

    name: str
    schema: type[Any]
    tools: tuple[str, ...]
    renderer: Callable[[AgentInputs], str] = render

    def system(self, version: str) -> str:
        """The system prompt in prompt `version` (raises `PromptVersionError`)."""
        return system_prompt(self.name, version)

    def render(self, inputs: AgentInputs) -> str:
        """The user prompt: the structured inputs as compact JSON."""
        return self.renderer(inputs)


ROLES: Final = MappingProxyType(
    {name: Role(name, OUTPUT_SCHEMAS[name], _TOOLS[name]) for name in AGENT_NAMES}
)


def role(name: str) -> Role:
    """The role called `name`.

    Raises:
        UnknownRoleError: not one of the eight agents.
    """
    found = ROLES.get(name)
    if found is None:
        raise UnknownRoleError(f"{name!r} is not an agent; agents: {', '.join(ROLES)}")
    return found


def with_tools(
    request: GenerationRequest[Any],
    tool_data: ToolData,
    *,
    max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
) -> GenerationRequest[Any]:
    """`request` offering its agent's tools over `tool_data` (unchanged for a tool-less role).

    Raises:
        UnknownRoleError: the request's agent is not one of the eight roles.
    """
    tools = role(request.agent).tools
    if not tools:
        return request
    return dataclasses.replace(
        request, tools=tools, tool_data=tool_data, max_tool_rounds=max_tool_rounds
    )


def build_request(
    role_or_name: Role | str,
    settings: AgentSettings,
    inputs: AgentInputs,
    feedback: tuple[str, ...] = (),
    *,
    tool_data: ToolData | None = None,
) -> GenerationRequest[Any]:
    """The generation request of one call with this agent's settings.

    Args:
        role_or_name: The role, or its agent name.
        settings: The agent's config (model, temperature, timeout, prompt version).
        inputs: The structured inputs; the prompt is rendered from them.
        feedback: Validation errors of earlier attempts, for the structured retry.
        tool_data: The cycle's data for the role's tools; None offers no tools.
    """
    chosen = role(role_or_name) if isinstance(role_or_name, str) else role_or_name
    request: GenerationRequest[Any] = GenerationRequest(
        agent=chosen.name,
        model=settings.model,
        system=chosen.system(settings.prompt_version),
        prompt=chosen.render(inputs),
        schema=chosen.schema,
        inputs=inputs,
        temperature=settings.temperature,
        timeout_s=settings.timeout_ms / 1000,
        feedback=feedback,
    )
    return request if tool_data is None else with_tools(request, tool_data)
