"""Gemini rationale embeddings through google-genai against a local fake Gemini server."""

from __future__ import annotations

import numpy as np
import pytest

from cream.memory import (
    CaseAction,
    CaseDecision,
    CaseDirection,
    CaseMemory,
    EmbeddingError,
    GeminiEmbedder,
    gemini_embedder,
    situation_vector,
)
from tests.cream.memory.builders import close_time, random_walk
from tests.fakes.gemini import API_KEY, text_embedding
from tests.fakes.http_server import Reply


async def test_the_sdk_embeds_a_rationale_through_the_configured_endpoint(gemini):
    embedder = GeminiEmbedder(API_KEY, base_url=gemini.url, dimensions=64)
    vector = await embedder.embed("fade the gap into resistance")
    await embedder.close()
    np.testing.assert_allclose(vector, text_embedding("fade the gap into resistance", 64), 1e-6)
    [request] = gemini.requests
    assert request.path.endswith(":batchEmbedContents")
    assert request.json()["requests"][0]["outputDimensionality"] == 64


async def test_a_rejected_key_is_a_typed_embedding_error(gemini):
    embedder = GeminiEmbedder("wrong-key", base_url=gemini.url)
    with pytest.raises(EmbeddingError) as info:
        await embedder.embed("anything")
    await embedder.close()
    assert info.value.code == "EMBEDDING_FAILED"
    assert "API key not valid" in info.value.message


async def test_a_vector_of_the_wrong_length_is_refused(gemini):
    path = next(iter(p for _, p in gemini.routes if p.endswith(":batchEmbedContents")))
    gemini.routes[("POST", path)] = lambda _r: Reply(200, {"embeddings": [{"values": [0.1]}]})
    embedder = GeminiEmbedder(API_KEY, base_url=gemini.url, dimensions=8)
    with pytest.raises(EmbeddingError, match="shape"):
        await embedder.embed("anything")
    await embedder.close()


def test_no_key_means_no_embedder():
    assert gemini_embedder(None) is None
    assert gemini_embedder("") is None


async def test_with_a_key_the_case_stores_the_rationale_embedding(db, clock, gemini):
    embedder = GeminiEmbedder(API_KEY, base_url=gemini.url, dimensions=32)
    memory = await CaseMemory.open(db, "PAPER", clock=clock, embedder=embedder)
    bars = random_walk("AAPL", 200)
    case = await memory.record(
        decision_id="d1",
        situation=situation_vector(bars, close_time(bars, 150)),
        decision=CaseDecision(
            CaseAction.BUY, CaseDirection.LONG, "momentum after earnings", 0.6, 5, 1.0
        ),
        config_version=1,
    )
    await embedder.close()
    assert case.metadata["rationale_embedding"] == {
        "status": "embedded",
        "model": "gemini-embedding-001",
        "dimensions": 32,
    }
    assert case.rationale_embedding is not None
    np.testing.assert_allclose(
        case.rationale_embedding, text_embedding("momentum after earnings", 32), 1e-6
    )


async def test_a_failed_embedding_keeps_the_case_and_says_why(db, clock, gemini):
    embedder = GeminiEmbedder("wrong-key", base_url=gemini.url)
    memory = await CaseMemory.open(db, "PAPER", clock=clock, embedder=embedder)
    bars = random_walk("AAPL", 200)
    case = await memory.record(
        decision_id="d1",
        situation=situation_vector(bars, close_time(bars, 150)),
        decision=CaseDecision(CaseAction.HOLD, CaseDirection.FLAT, "no edge", 0.5, 5),
        config_version=1,
    )
    await embedder.close()
    assert case.rationale_embedding is None
    assert case.metadata["rationale_embedding"]["status"] == "failed"
    assert case.metadata["rationale_embedding"]["error_code"] == "EMBEDDING_FAILED"
