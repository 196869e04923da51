"""Building providers by name: keys required, endpoints from settings, the registration hook."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.providers.base import Provider, ProviderAuthError
from agents.providers.limits import LimitedProvider
from agents.providers.registry import (
    REPLAY_DIR_ENV,
    UnknownProviderError,
    build_provider,
    register_provider,
    registered_providers,
    unregister_provider,
)
from agents.providers.replay import ReplayProvider
from agents.providers.scripted import ScriptedProvider
from agents.schemas import TechnicalAnalysis
from cream.settings import Settings
from tests.agents.providers.samples import TECHNICAL, request_for
from tests.fakes import anthropic_api, gemini_generate


def settings(**values: str | None) -> Settings:
    blank: dict[str, str | None] = {
        "google_api_key": None,
        "anthropic_api_key": None,
        "gemini_base_url": None,
        "anthropic_base_url": None,
    }
    return Settings(**(blank | values))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "variable"), [("gemini", "GOOGLE_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")]
)
def test_missing_key_is_an_actionable_auth_error(name: str, variable: str) -> None:
    with pytest.raises(ProviderAuthError) as caught:
        build_provider(name, settings())
    assert variable in caught.value.message
    assert "rules" in caught.value.message


async def test_gemini_is_built_limited_against_the_configured_endpoint() -> None:
    with gemini_generate.GeminiGenerateFake(
        lambda _call: gemini_generate.success(TECHNICAL.model_dump())
    ) as fake:
        provider = build_provider(
            "gemini", settings(google_api_key=gemini_generate.API_KEY, gemini_base_url=fake.url)
        )
        assert isinstance(provider, LimitedProvider)
        try:
            generation = await provider.generate(request_for(TechnicalAnalysis))
        finally:
            await provider.aclose()
    assert generation.output == TECHNICAL
    assert provider.name == "gemini"


async def test_anthropic_is_built_limited_against_the_configured_endpoint() -> None:
    with anthropic_api.AnthropicFake(
        lambda call: anthropic_api.tool_use(call, TECHNICAL.model_dump(mode="json"))
    ) as fake:
        provider = build_provider(
            "anthropic",
            settings(anthropic_api_key=anthropic_api.API_KEY, anthropic_base_url=fake.url),
        )
        assert isinstance(provider, LimitedProvider)
        try:
            generation = await provider.generate(
                request_for(TechnicalAnalysis, model="claude-haiku-4-5")
            )
        finally:
            await provider.aclose()
    assert generation.output == TECHNICAL


def test_replay_reads_its_directory_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REPLAY_DIR_ENV, str(tmp_path))
    provider = build_provider("replay", settings())
    assert isinstance(provider, ReplayProvider)
    assert provider.cassette_dir == tmp_path and provider.mode == "replay"


def test_replay_defaults_to_var_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REPLAY_DIR_ENV, raising=False)
    provider = build_provider("replay", settings())
    assert isinstance(provider, ReplayProvider)
    assert provider.cassette_dir == Path("var/replay")


def test_unknown_provider_names_the_known_ones() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        build_provider("gpt", settings())
    assert "gemini" in caught.value.message and "replay" in caught.value.message


def test_registered_provider_is_built_and_names_are_not_taken_twice() -> None:
    def factory(_settings: Settings, _redis_url: str | None) -> Provider:
        return ScriptedProvider(lambda _request: TECHNICAL, name="test-registered")

    register_provider("test-registered", factory)
    try:
        assert "test-registered" in registered_providers()
        assert build_provider("test-registered", settings()).name == "test-registered"
        with pytest.raises(ValueError, match="already registered"):
            register_provider("test-registered", factory)
        register_provider("test-registered", factory, replace=True)
    finally:
        unregister_provider("test-registered")
