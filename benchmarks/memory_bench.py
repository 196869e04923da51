"""Case-memory benchmark: top-5 retrieval among 100k stored cases, against a full sort.

The 100k cases are situation vectors of a realistic shape (eight continuous features of
unequal scale and a regime one-hot) spread over 500 symbols. Each query is a fresh vector;
the figure is the median wall time of `CaseIndex.top_k(query, 5)`, unfiltered and filtered
by symbol and regime. The reference, measured in the same run, scores the same matrix and
ranks it with a full `argsort` instead of `argpartition`.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from cream.memory.index import CaseIndex
from cream.memory.situation import CONTINUOUS_FEATURES, DIMENSIONS, REGIMES

CASES = 100_000
SYMBOLS = [f"S{i:03d}" for i in range(500)]
_C = len(CONTINUOUS_FEATURES)


def _vectors(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[Any]]:
    vectors = np.zeros((n, DIMENSIONS), dtype=np.float32)
    vectors[:, :_C] = rng.normal(0.0, 1.0, (n, _C)) * np.geomspace(0.01, 50.0, _C)
    regimes = rng.integers(0, len(REGIMES), n)
    vectors[np.arange(n), _C + regimes] = 1.0
    return vectors, [REGIMES[i] for i in regimes]


def _median_ms(fn: Any, queries: np.ndarray) -> float:
    for query in queries[:5]:
        fn(query)
    samples = []
    for query in queries:
        start = time.perf_counter_ns()
        fn(query)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(samples)


def run(quick: bool) -> dict[str, Any]:
    """Figures in milliseconds, plus the speedup over the full-sort reference."""
    rng = np.random.default_rng(7)
    vectors, regimes = _vectors(rng, CASES)
    symbols = [SYMBOLS[i] for i in rng.integers(0, len(SYMBOLS), CASES)]
    index = CaseIndex()
    start = time.perf_counter()
    index.add_many([f"c{i}" for i in range(CASES)], vectors, symbols, regimes, np.arange(CASES))
    build_s = time.perf_counter() - start
    queries, _ = _vectors(rng, 50 if quick else 500)

    unit = index._unit[:CASES]  # the same standardised matrix the index scores

    def reference(query: np.ndarray) -> list[int]:
        scores = unit @ index._standardise(query[None, :])[0]
        return list(np.argsort(-scores, kind="stable")[:5])

    top5 = _median_ms(lambda q: index.top_k(q, 5), queries)
    filtered = _median_ms(
        lambda q: index.top_k(q, 5, symbol="S042", regime=REGIMES[0], before_ns=CASES), queries
    )
    full_sort = _median_ms(reference, queries)
    return {
        "memory_top5_of_100k_ms": round(top5, 3),
        "memory_top5_filtered_of_100k_ms": round(filtered, 3),
        "memory_top5_speedup_vs_full_sort": round(full_sort / top5, 1),
        "memory_index_build_100k_s": round(build_s, 3),
    }
