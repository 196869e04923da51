"""Versioned system prompts of the eight agents; the version comes from each agent's config."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from agents.prompts import v1

VERSIONS: Final = MappingProxyType({"v1": v1.SYSTEM_PROMPTS})


class PromptVersionError(LookupError):
    """A prompt version or agent with no prompt; `code` is stable."""

    code = "UNKNOWN_PROMPT_VERSION"


def system_prompt(agent: str, version: str) -> str:
    """The system prompt of `agent` in prompt `version`.

    Raises:
        PromptVersionError: the version does not exist or has no prompt for the agent.
    """
    prompts = VERSIONS.get(version)
    if prompts is None:
        raise PromptVersionError(
            f"prompt version {version!r} does not exist; known: {', '.join(sorted(VERSIONS))}"
        )
    prompt = prompts.get(agent)
    if prompt is None:
        raise PromptVersionError(f"prompt version {version!r} has no prompt for {agent!r}")
    return prompt
