"""Record and replay: identical answers for free, misses refused, failures replayed too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.providers.base import (
    MalformedOutputError,
    ProviderTimeoutError,
    ReplayMissError,
)
from agents.providers.pricing import PRICES
from agents.providers.replay import ReplayedGeneration, ReplayProvider, cassette_key
from agents.providers.scripted import ScriptedProvider
from agents.providers.structured import generate_structured
from agents.schemas import TechnicalAnalysis, TradingPlan
from tests.agents.providers.samples import PLAN, TECHNICAL, request_for


def answers(*script: Any) -> Any:
    pending = list(script)
    return lambda _request: pending.pop(0)


def cassette_names(directory: Path) -> list[str]:
    """The cassette files in `directory` (anything else, such as a temporary file, too)."""
    return sorted(path.name for path in directory.iterdir())


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def priced(answer: Any) -> ScriptedProvider:
    return ScriptedProvider(answer, price=PRICES["gemini-3-pro-preview"])


async def test_recorded_answer_replays_identically_and_free(tmp_path: Path) -> None:
    inner = priced(lambda _request: PLAN)
    request = request_for(TradingPlan)
    recorded = await ReplayProvider(tmp_path, "record", inner).generate(request)
    assert recorded.usage.cost_usd > 0

    replayed = await ReplayProvider(tmp_path).generate(request)
    assert isinstance(replayed, ReplayedGeneration)
    assert replayed.output == recorded.output
    assert replayed.raw == recorded.raw
    assert replayed.prompt_hash == request.prompt_hash()
    assert replayed.usage.cost_usd == 0
    assert (replayed.usage.input_tokens, replayed.usage.output_tokens) == (
        recorded.usage.input_tokens,
        recorded.usage.output_tokens,
    )
    assert replayed.recorded_usage.cost_usd == recorded.usage.cost_usd
    assert inner.calls == 1


async def test_a_miss_is_refused_with_replay_miss(tmp_path: Path) -> None:
    await ReplayProvider(tmp_path, "record", priced(lambda _r: TECHNICAL)).generate(
        request_for(TechnicalAnalysis)
    )
    other = request_for(TechnicalAnalysis, prompt="Analyse MSFT instead.")
    with pytest.raises(ReplayMissError) as caught:
        await ReplayProvider(tmp_path).generate(other)
    assert caught.value.code == "REPLAY_MISS"
    with pytest.raises(ReplayMissError):
        await ReplayProvider(tmp_path).generate(
            request_for(TechnicalAnalysis, model="gemini-2.5-pro")
        )


async def test_one_json_file_per_key_written_atomically(tmp_path: Path) -> None:
    provider = ReplayProvider(tmp_path, "record", priced(lambda _r: TECHNICAL))
    request = request_for(TechnicalAnalysis)
    await provider.generate(request)
    files = cassette_names(tmp_path)
    assert files == [f"{request.prompt_hash()}.json"]
    document = read_json(tmp_path / files[0])
    assert document["outcome"] == "ok"
    assert document["agent"] == "technical_analyst" and document["schema"] == "TechnicalAnalysis"
    assert TechnicalAnalysis.model_validate_json(document["raw"]) == TECHNICAL


async def test_a_repaired_call_replays_with_the_same_attempts(tmp_path: Path) -> None:
    inner = priced(answers('{"symbol": "AAPL"}', TECHNICAL))
    request = request_for(TechnicalAnalysis)
    original = await generate_structured(ReplayProvider(tmp_path, "record", inner), request)
    assert original.attempts == 2

    replayed = await generate_structured(ReplayProvider(tmp_path), request)
    assert replayed.attempts == 2
    assert replayed.output == original.output
    assert replayed.errors == original.errors
    assert replayed.usage.cost_usd == 0
    assert len(cassette_names(tmp_path)) == 2
    assert cassette_key(request) == request.prompt_hash()


async def test_malformed_and_failed_calls_replay_as_the_same_errors(tmp_path: Path) -> None:
    recorder = ReplayProvider(
        tmp_path, "record", priced(answers("nope", ProviderTimeoutError("slow")))
    )
    malformed = request_for(TechnicalAnalysis, agent="news_analyst")
    timed_out = request_for(TechnicalAnalysis, agent="fundamentals_analyst")
    with pytest.raises(MalformedOutputError):
        await recorder.generate(malformed)
    with pytest.raises(ProviderTimeoutError):
        await recorder.generate(timed_out)

    player = ReplayProvider(tmp_path)
    with pytest.raises(MalformedOutputError) as caught:
        await player.generate(malformed)
    assert caught.value.raw == "nope"
    with pytest.raises(ProviderTimeoutError):
        await player.generate(timed_out)


async def test_a_corrupt_cassette_is_refused(tmp_path: Path) -> None:
    request = request_for(TechnicalAnalysis)
    (tmp_path / f"{cassette_key(request)}.json").write_text("{not json")
    with pytest.raises(ReplayMissError, match="unreadable"):
        await ReplayProvider(tmp_path).generate(request)


def test_record_mode_needs_a_provider_to_record(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="inner"):
        ReplayProvider(tmp_path, "record")
