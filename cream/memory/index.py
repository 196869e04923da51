"""The in-memory similarity index: standardised situation vectors in one float32 matrix.

Similarity is the cosine of standardised vectors. Continuous features are z-scored with the
mean and standard deviation of the stored population; the regime one-hot block is kept as
0/1 so that sharing a regime adds a fixed amount of similarity. The statistics are refitted
(and every row re-standardised, O(rows x features)) when the population has grown by more
than `refit_growth` since the last fit; rows added in between use the current statistics.

A query is one matrix-vector product over the candidate rows and an `argpartition` for the
top k, so its cost is linear in the candidates with a small constant (100k rows: ~1 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

from cream.market.regime import Regime
from cream.memory.errors import InvalidCaseError, VectorMismatchError
from cream.memory.situation import CONTINUOUS_FEATURES, DIMENSIONS, REGIMES

_MIN_STD: Final = 1e-9
_INITIAL_CAPACITY: Final = 1024
_T = TypeVar("_T", bound=np.generic)


class CaseIndex:
    """Vectors of one environment's cases with their symbol, regime and decision time.

    Args:
        dimensions: Length of every vector.
        continuous: How many leading features are z-scored (the rest are kept as given).
        refit_growth: Relative growth of the population that triggers a refit.
    """

    def __init__(
        self,
        dimensions: int = DIMENSIONS,
        continuous: int = len(CONTINUOUS_FEATURES),
        *,
        refit_growth: float = 0.1,
    ) -> None:
        if not 0 < continuous <= dimensions:
            raise InvalidCaseError(f"continuous ({continuous}) must be in 1..{dimensions}")
        self._dims = dimensions
        self._continuous = continuous
        self._refit_growth = refit_growth
        self._n = 0
        self._raw = np.empty((_INITIAL_CAPACITY, dimensions), dtype=np.float32)
        self._unit = np.empty((_INITIAL_CAPACITY, dimensions), dtype=np.float32)
        self._symbol = np.empty(_INITIAL_CAPACITY, dtype=np.int32)
        self._regime = np.empty(_INITIAL_CAPACITY, dtype=np.int8)
        self._decided = np.empty(_INITIAL_CAPACITY, dtype=np.int64)
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._symbol_codes: dict[str, int] = {}
        self._mean = np.zeros(continuous, dtype=np.float32)
        self._std = np.ones(continuous, dtype=np.float32)
        self._fitted_rows = 0

    def __len__(self) -> int:
        return self._n

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._position

    @property
    def dimensions(self) -> int:
        """Length of every vector."""
        return self._dims

    def add(
        self,
        case_id: str,
        vector: npt.ArrayLike,
        *,
        symbol: str,
        regime: Regime,
        decided_at_ns: int,
    ) -> None:
        """Adds one case, or replaces the vector of a case already indexed under `case_id`."""
        self.add_many([case_id], np.asarray(vector)[None, :], [symbol], [regime], [decided_at_ns])

    def add_many(
        self,
        case_ids: Sequence[str],
        vectors: npt.ArrayLike,
        symbols: Sequence[str],
        regimes: Sequence[Regime],
        decided_at_ns: Sequence[int] | npt.NDArray[np.int64],
    ) -> None:
        """Adds many cases at once (the bulk path used when loading from the database).

        Raises:
            VectorMismatchError: The vectors are not (len(case_ids), dimensions) or not finite.
            InvalidCaseError: The metadata columns differ in length.
        """
        matrix = np.asarray(vectors, dtype=np.float32)
        count = len(case_ids)
        if matrix.shape != (count, self._dims):
            raise VectorMismatchError(
                f"expected vectors of shape ({count}, {self._dims}), got {matrix.shape}"
            )
        if not np.isfinite(matrix).all():
            raise VectorMismatchError("situation vectors must be finite")
        if not count == len(symbols) == len(regimes) == len(decided_at_ns):
            raise InvalidCaseError("case ids, symbols, regimes and times differ in length")
        rows = np.empty(count, dtype=np.int64)
        for i, case_id in enumerate(case_ids):
            existing = self._position.get(case_id)
            if existing is None:
                existing = self._n
                self._grow(existing + 1)
                self._position[case_id] = existing
                self._ids.append(case_id)
                self._n += 1
            rows[i] = existing
        self._raw[rows] = matrix
        self._symbol[rows] = [self._symbol_code(s) for s in symbols]
        self._regime[rows] = [REGIMES.index(Regime(r)) for r in regimes]
        self._decided[rows] = np.asarray(decided_at_ns, dtype=np.int64)
        if self._needs_refit():
            self._refit()
        else:
            self._unit[rows] = self._standardise(matrix)

    def top_k(
        self,
        vector: npt.ArrayLike,
        k: int,
        *,
        symbol: str | None = None,
        regime: Regime | None = None,
        before_ns: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ids of the `k` most similar cases, best first, with their similarity.

        Args:
            vector: The query situation (raw, like the stored vectors).
            k: How many cases at most.
            symbol: Only cases of this symbol.
            regime: Only cases in this regime.
            before_ns: Only cases decided strictly before this instant (ns UTC).

        Raises:
            InvalidCaseError: `k` is below 1.
            VectorMismatchError: The query has another length or is not finite.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidCaseError(f"k must be an integer >= 1, got {k!r}")
        query = np.asarray(vector, dtype=np.float32)
        if query.shape != (self._dims,) or not np.isfinite(query).all():
            raise VectorMismatchError(
                f"the query must be {self._dims} finite values, got shape {query.shape}"
            )
        if self._n == 0:
            return []
        unit_query = self._standardise(query[None, :])[0]
        candidates = self._candidates(symbol, regime, before_ns)
        if candidates is None:
            scores = self._unit[: self._n] @ unit_query
        elif candidates.size == 0:
            return []
        else:
            scores = self._unit[candidates] @ unit_query
        total = scores.shape[0]
        take = min(k, total)
        if take < total:
            # Partitioning the scores themselves (not their negation) saves a copy. Every
            # case tied with the k-th score is kept, so the tie-break below sees all of them.
            kth = scores[np.argpartition(scores, total - take)[total - take :]].min()
            picked = np.flatnonzero(scores >= kth)
        else:
            picked = np.arange(total)
        # Ties are broken by insertion order so equal inputs always give the same answer.
        order = picked[np.lexsort((picked, -scores[picked]))][:take]
        rows = order if candidates is None else candidates[order]
        return [
            (self._ids[int(row)], float(score))
            for row, score in zip(rows, scores[order], strict=True)
        ]

    def _candidates(
        self, symbol: str | None, regime: Regime | None, before_ns: int | None
    ) -> npt.NDArray[np.intp] | None:
        if symbol is None and regime is None and before_ns is None:
            return None
        mask = np.ones(self._n, dtype=bool)
        if symbol is not None:
            code = self._symbol_codes.get(symbol)
            if code is None:
                return np.empty(0, dtype=np.intp)
            mask &= self._symbol[: self._n] == code
        if regime is not None:
            mask &= self._regime[: self._n] == REGIMES.index(Regime(regime))
        if before_ns is not None:
            mask &= self._decided[: self._n] < before_ns
        return np.flatnonzero(mask)

    def _symbol_code(self, symbol: str) -> int:
        code = self._symbol_codes.get(symbol)
        if code is None:
            code = len(self._symbol_codes)
            self._symbol_codes[symbol] = code
        return code

    def _standardise(self, matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = matrix.copy()
        c = self._continuous
        out[:, :c] = (out[:, :c] - self._mean) / self._std
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        # A vector at the population mean with no regime has no direction: similarity 0.
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _needs_refit(self) -> bool:
        return self._n > self._fitted_rows * (1.0 + self._refit_growth)

    def _refit(self) -> None:
        continuous = self._raw[: self._n, : self._continuous].astype(np.float64)
        self._mean = continuous.mean(axis=0).astype(np.float32)
        std = continuous.std(axis=0)
        self._std = np.where(std > _MIN_STD, std, 1.0).astype(np.float32)
        self._unit[: self._n] = self._standardise(self._raw[: self._n])
        self._fitted_rows = self._n

    def _grow(self, needed: int) -> None:
        capacity = self._raw.shape[0]
        if needed <= capacity:
            return
        new = max(needed, capacity * 2)
        self._raw = _resized(self._raw, new)
        self._unit = _resized(self._unit, new)
        self._symbol = _resized(self._symbol, new)
        self._regime = _resized(self._regime, new)
        self._decided = _resized(self._decided, new)


def _resized(array: npt.NDArray[_T], rows: int) -> npt.NDArray[_T]:
    out = np.empty((rows, *array.shape[1:]), dtype=array.dtype)
    out[: array.shape[0]] = array
    return out
