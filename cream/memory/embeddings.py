"""Rationale embeddings with Gemini (google-genai), used only when `GOOGLE_API_KEY` is set."""

from __future__ import annotations

from typing import Final, Protocol

import httpx
import numpy as np
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from cream.memory.errors import EmbeddingError
from cream.memory.situation import Vector

DEFAULT_EMBEDDING_MODEL: Final = "gemini-embedding-001"
DEFAULT_EMBEDDING_DIMENSIONS: Final = 768
# The Gemini API's version for embeddings; pinned so a custom base URL gets the same paths.
_API_VERSION: Final = "v1beta"
NO_KEY_REASON: Final = "GOOGLE_API_KEY is not set, so the rationale was not embedded"


class RationaleEmbedder(Protocol):
    """Turns a decision's rationale into a vector."""

    @property
    def model(self) -> str:
        """The embedding model's name, stored with each vector."""
        ...

    async def embed(self, text: str) -> Vector:
        """The text's embedding.

        Raises:
            EmbeddingError: The service failed or answered with an unusable vector.
        """
        ...


class GeminiEmbedder:
    """Embeds text with the Gemini API's embedding models.

    Args:
        api_key: The Gemini API key.
        model: Embedding model name.
        dimensions: Requested output dimensionality; answers of another length are refused.
        base_url: Another endpoint than Google's (a proxy, or a local server in tests).
        timeout_seconds: Upper bound of one request.
        http_client: The async HTTP client the SDK uses (one is created and owned when None).
    """

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_EMBEDDING_MODEL,
        dimensions: int = DEFAULT_EMBEDDING_DIMENSIONS,
        base_url: str | None = None,
        timeout_seconds: float = 10.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key:
            raise EmbeddingError("an empty API key cannot authenticate; set GOOGLE_API_KEY")
        # An explicit httpx client keeps the SDK off its aiohttp path, so one HTTP stack (and
        # one way to inject a transport) serves every adapter.
        self._owned = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout_seconds)
        options = types.HttpOptions(
            base_url=base_url,
            api_version=_API_VERSION,
            timeout=int(timeout_seconds * 1000),
            httpx_async_client=self._http,
        )
        self._client = genai.Client(api_key=api_key, http_options=options)
        self._model = model
        self._dimensions = dimensions

    @property
    def model(self) -> str:
        """The embedding model's name."""
        return self._model

    async def embed(self, text: str) -> Vector:
        """The embedding of `text` (task type SEMANTIC_SIMILARITY), as float32."""
        if not text.strip():
            raise EmbeddingError("cannot embed an empty rationale")
        config = types.EmbedContentConfig(
            task_type="SEMANTIC_SIMILARITY", output_dimensionality=self._dimensions
        )
        try:
            response = await self._client.aio.models.embed_content(
                model=self._model, contents=[text], config=config
            )
        except genai_errors.APIError as exc:
            raise EmbeddingError(
                f"Gemini {self._model} refused the request ({exc.code} {exc.status}): "
                f"{exc.message}; check GOOGLE_API_KEY and the model name"
            ) from exc
        except httpx.HTTPError as exc:
            raise EmbeddingError(
                f"Gemini {self._model} could not be reached: {type(exc).__name__}: {exc}"
            ) from exc
        embeddings = response.embeddings or []
        values = embeddings[0].values if len(embeddings) == 1 else None
        if values is None:
            raise EmbeddingError(
                f"Gemini {self._model} returned {len(embeddings)} embeddings for one text"
            )
        vector = np.asarray(values, dtype=np.float32)
        if vector.shape != (self._dimensions,) or not np.isfinite(vector).all():
            raise EmbeddingError(
                f"Gemini {self._model} returned a vector of shape {vector.shape}, "
                f"expected {self._dimensions} finite values"
            )
        return vector

    async def close(self) -> None:
        """Releases the HTTP client when this embedder created it."""
        await self._client.aio.aclose()
        if self._owned:
            await self._http.aclose()


def gemini_embedder(
    api_key: str | None, *, base_url: str | None = None, model: str = DEFAULT_EMBEDDING_MODEL
) -> GeminiEmbedder | None:
    """A `GeminiEmbedder` when a key is given (e.g. `Settings.google_api_key`), else None."""
    if not api_key:
        return None
    return GeminiEmbedder(api_key, base_url=base_url, model=model)
