"""The NumPy index: exact top-k by cosine of standardised vectors, filters, stable ties."""

from __future__ import annotations

import numpy as np
import pytest

from cream.market.regime import Regime
from cream.memory import CaseIndex, InvalidCaseError, VectorMismatchError
from cream.memory.situation import CONTINUOUS_FEATURES, DIMENSIONS, REGIMES

C = len(CONTINUOUS_FEATURES)


def random_cases(n, seed=0):
    rng = np.random.default_rng(seed)
    vectors = np.zeros((n, DIMENSIONS), dtype=np.float32)
    vectors[:, :C] = rng.normal(0, 1, (n, C)) * np.arange(1, C + 1)  # features of unequal scale
    regimes = [REGIMES[i] for i in rng.integers(0, len(REGIMES), n)]
    for row, regime in enumerate(regimes):
        vectors[row, C + REGIMES.index(regime)] = 1.0
    symbols = [("AAPL", "MSFT", "NVDA")[i] for i in rng.integers(0, 3, n)]
    return [f"c{i}" for i in range(n)], vectors, symbols, regimes, np.arange(n, dtype=np.int64)


def filled(n=2000, seed=0):
    index = CaseIndex()
    ids, vectors, symbols, regimes, times = random_cases(n, seed)
    index.add_many(ids, vectors, symbols, regimes, times)
    return index, ids, vectors, symbols, regimes, times


def brute_force(vectors, query, k):
    mean, std = vectors[:, :C].mean(0), vectors[:, :C].std(0)
    z = vectors.astype(np.float64).copy()
    q = query.astype(np.float64).copy()
    z[:, :C] = (z[:, :C] - mean) / std
    q[:C] = (q[:C] - mean) / std
    scores = (z @ q) / (np.linalg.norm(z, axis=1) * np.linalg.norm(q))
    return list(np.argsort(-scores, kind="stable")[:k]), scores


def test_top_k_matches_a_brute_force_sort_of_cosine_similarities():
    index, ids, vectors, *_ = filled()
    query = random_cases(1, seed=9)[1][0]
    expected, scores = brute_force(vectors, query, 10)
    hits = index.top_k(query, 10)
    assert [case_id for case_id, _ in hits] == [ids[i] for i in expected]
    assert [s for _, s in hits] == pytest.approx([scores[i] for i in expected], abs=1e-5)


def test_a_stored_vector_is_its_own_nearest_case_with_similarity_one():
    index, ids, vectors, *_ = filled()
    case_id, similarity = index.top_k(vectors[123], 1)[0]
    assert case_id == ids[123]
    assert similarity == pytest.approx(1.0, abs=1e-5)


def test_filters_return_only_matching_cases_and_none_decided_at_or_after_the_cutoff():
    index, ids, vectors, symbols, regimes, times = filled()
    hits = index.top_k(vectors[0], 50, symbol="MSFT", regime=Regime.BULL_TREND, before_ns=1000)
    assert hits
    by_id = {case_id: i for i, case_id in enumerate(ids)}
    for case_id, _ in hits:
        row = by_id[case_id]
        assert (symbols[row], regimes[row]) == ("MSFT", Regime.BULL_TREND)
        assert times[row] < 1000


def test_an_unknown_symbol_or_an_empty_index_finds_nothing():
    index, _, vectors, *_ = filled(100)
    assert index.top_k(vectors[0], 5, symbol="TSLA") == []
    assert CaseIndex().top_k(vectors[0], 5) == []


def test_asking_for_more_cases_than_stored_returns_all_of_them_best_first():
    index, _, vectors, *_ = filled(7)
    hits = index.top_k(vectors[3], 50)
    assert len(hits) == 7
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_re_adding_a_case_id_replaces_its_vector_instead_of_duplicating_it():
    index, ids, vectors, symbols, regimes, _ = filled(100)
    index.add(ids[5], vectors[6], symbol=symbols[6], regime=regimes[6], decided_at_ns=5)
    assert len(index) == 100
    assert {case_id for case_id, _ in index.top_k(vectors[6], 2)} == {ids[5], ids[6]}


def test_equal_similarities_are_ordered_by_insertion_so_answers_are_repeatable():
    index = CaseIndex()
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    vector[C] = 1.0
    for i in range(20):
        index.add(f"c{i}", vector, symbol="AAPL", regime=REGIMES[0], decided_at_ns=i)
    assert [case_id for case_id, _ in index.top_k(vector, 5)] == ["c0", "c1", "c2", "c3", "c4"]


def test_malformed_queries_are_typed_errors():
    index, *_ = filled(10)
    with pytest.raises(VectorMismatchError):
        index.top_k(np.zeros(DIMENSIONS - 1), 5)
    with pytest.raises(VectorMismatchError):
        index.top_k(np.full(DIMENSIONS, np.nan), 5)
    with pytest.raises(InvalidCaseError):
        index.top_k(np.zeros(DIMENSIONS), 0)
