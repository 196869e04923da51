"""The LLM models a config may name, with provider and class (Pro reasons, Flash gates)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

Provider = Literal["rules", "gemini", "anthropic", "replay"]
ModelClass = Literal["pro", "flash", "any"]


@dataclass(frozen=True, slots=True)
class KnownModel:
    """A model Cream knows how to call: its provider and class."""

    provider: Provider
    model_class: ModelClass


KNOWN_MODELS: Final[Mapping[str, KnownModel]] = {
    "gemini-3-pro-preview": KnownModel("gemini", "pro"),
    "gemini-2.5-pro": KnownModel("gemini", "pro"),
    "gemini-3-flash-preview": KnownModel("gemini", "flash"),
    "gemini-2.5-flash": KnownModel("gemini", "flash"),
    "claude-opus-4-5": KnownModel("anthropic", "pro"),
    "claude-opus-4-1": KnownModel("anthropic", "pro"),
    "claude-sonnet-4-5": KnownModel("anthropic", "pro"),
    "claude-haiku-4-5": KnownModel("anthropic", "flash"),
    # The offline, deterministic rules engine plays every role.
    "rules-v1": KnownModel("rules", "any"),
}

DEFAULT_PRO_MODEL: Final = "gemini-3-pro-preview"
DEFAULT_FLASH_MODEL: Final = "gemini-3-flash-preview"


def model_problem(provider: Provider, model: str, needed: ModelClass) -> str | None:
    """Why `model` cannot serve an agent that needs `needed` under `provider`, or None.

    `replay` answers from cassettes recorded with a real model, so it accepts any known model
    of the needed class.
    """
    known = KNOWN_MODELS.get(model)
    if known is None:
        return f"unknown model {model!r}; known models: {', '.join(sorted(KNOWN_MODELS))}"
    if provider != "replay" and known.provider != provider:
        return f"model {model!r} belongs to provider {known.provider!r}, not {provider!r}"
    if needed != "any" and known.model_class not in (needed, "any"):
        return (
            f"model {model!r} is {known.model_class.title()}-class; this agent needs a "
            f"{needed.title()}-class model"
        )
    return None
