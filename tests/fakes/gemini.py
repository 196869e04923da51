"""A fake Gemini API: `models/{model}:embedContent` and `:batchEmbedContents` wire formats.

Embeddings are deterministic functions of the text (a hash-seeded unit vector), so equal
texts embed equally and different texts differently, as with the real service. The API key
must arrive in the `x-goog-api-key` header, as the google-genai SDK sends it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from tests.fakes.http_server import FakeHttpServer, Reply, Request

API_KEY = "test-gemini-key"
MODEL = "gemini-embedding-001"


def text_embedding(text: str, dimensions: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    vector = np.random.default_rng(seed).standard_normal(dimensions)
    return [float(v) for v in vector / np.linalg.norm(vector)]


def _unauthorised(request: Request) -> Reply | None:
    if request.headers.get("x-goog-api-key") != API_KEY:
        return Reply(
            400,
            {
                "error": {
                    "code": 400,
                    "message": "API key not valid. Please pass a valid API key.",
                    "status": "INVALID_ARGUMENT",
                }
            },
        )
    return None


def _text(content: dict[str, Any]) -> str:
    return "".join(part.get("text", "") for part in content.get("parts", []))


def _embed(request: Request) -> Reply:
    if (denied := _unauthorised(request)) is not None:
        return denied
    body = request.json()
    dims = int(body.get("outputDimensionality", 768))
    return Reply(200, {"embedding": {"values": text_embedding(_text(body["content"]), dims)}})


def _batch_embed(request: Request) -> Reply:
    if (denied := _unauthorised(request)) is not None:
        return denied
    body = request.json()
    embeddings = [
        {
            "values": text_embedding(
                _text(item["content"]), int(item.get("outputDimensionality", 768))
            )
        }
        for item in body["requests"]
    ]
    return Reply(200, {"embeddings": embeddings})


def gemini_server(model: str = MODEL) -> FakeHttpServer:
    """A fake Gemini endpoint serving the embedding methods of `model` under /v1beta."""
    return FakeHttpServer(
        {
            ("POST", f"/v1beta/models/{model}:embedContent"): _embed,
            ("POST", f"/v1beta/models/{model}:batchEmbedContents"): _batch_embed,
        }
    )
