"""Market benchmarks: indicators over a (symbols x bars) stack, and Lean-file replay throughput."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from cream.market.bars import Timeframe
from cream.market.indicators import compute_all
from cream.market.replay import ReplayFeed

ROOT = Path(__file__).resolve().parents[1]
SHARED_LEAN = ROOT / ".." / "shared" / "data" / "lean"


def _walks(symbols: int, bars: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """High, low and close of `symbols` random walks of `bars` hourly bars."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, (symbols, bars)), axis=1))
    spread = np.abs(rng.normal(0.0, 0.003, (symbols, bars))) * close
    return close + spread, close - spread, close


def indicators(quick: bool) -> dict[str, float]:
    """Median time of `compute_all` on 500 x 120 bars, and its speedup over a per-symbol loop."""
    high, low, close = _walks(500, 120)
    repeats = 5 if quick else 30
    compute_all(high, low, close)
    stacked = []
    for _ in range(repeats):
        start = time.perf_counter()
        compute_all(high, low, close)
        stacked.append((time.perf_counter() - start) * 1000)
    looped = []
    for _ in range(max(2, repeats // 5)):
        start = time.perf_counter()
        for row in range(close.shape[0]):
            compute_all(high[row], low[row], close[row])
        looped.append((time.perf_counter() - start) * 1000)
    median = statistics.median(stacked)
    return {
        "indicators_500x120_ms": round(median, 2),
        "indicators_stack_speedup_vs_loop": round(statistics.median(looped) / median, 1),
    }


def _write_lean(root: Path, symbols: int, days: int) -> None:
    """Lean-format hourly and daily zips of seeded random walks (seven bars a session)."""
    rng = np.random.default_rng(11)
    for folder in ("hour", "daily"):
        (root / "equity" / "usa" / folder).mkdir(parents=True, exist_ok=True)
    for index in range(symbols):
        symbol = f"sym{index}"
        price = 1_000_000 * np.exp(np.cumsum(rng.normal(0.0, 0.004, days * 7)))
        hourly, daily = [], []
        for day in range(days):
            stamp = (np.datetime64("2010-01-04") + np.timedelta64(day, "D")).astype(str)
            ymd = stamp.replace("-", "")
            session = price[day * 7 : day * 7 + 7].astype(np.int64)
            for hour, p in enumerate(session.tolist(), start=9):
                hourly.append(f"{ymd} {hour:02d}:00,{p},{p + 500},{p - 500},{p + 100},1000")
            o, c = int(session[0]), int(session[-1]) + 100
            hi, lo = int(session.max()) + 500, int(session.min()) - 500
            daily.append(f"{ymd} 00:00,{o},{hi},{lo},{c},7000")
        for folder, rows in (("hour", hourly), ("daily", daily)):
            with zipfile.ZipFile(root / "equity" / "usa" / folder / f"{symbol}.zip", "w") as z:
                z.writestr(f"{symbol}.csv", "\n".join(rows) + "\n")


def _read_all(root: Path, passes: int) -> tuple[int, float]:
    """Bars read and seconds taken reading every file cold (a fresh feed per pass)."""
    total_bars, elapsed = 0, 0.0
    for _ in range(passes):
        feed = ReplayFeed(root)
        for tf in (Timeframe.HOUR_1, Timeframe.DAY_1):
            for symbol in feed.symbols(tf):
                start = time.perf_counter()
                total_bars += len(feed.bars(symbol, tf))
                elapsed += time.perf_counter() - start
    return total_bars, elapsed


def replay(quick: bool) -> dict[str, Any]:
    """Bars per second read from Lean zips (the shared real data when present)."""
    passes = 1 if quick else 3
    if (SHARED_LEAN / "equity" / "usa").is_dir():
        bars, seconds = _read_all(SHARED_LEAN, passes)
        source = "shared Lean data"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            _write_lean(Path(tmp), symbols=4, days=250 if quick else 1000)
            bars, seconds = _read_all(Path(tmp), passes)
        source = "generated Lean-format zips"
    return {"replay_bars_per_s": round(bars / seconds), "replay_source": source}


def run(quick: bool) -> dict[str, Any]:
    """Every market figure."""
    return {**indicators(quick), **replay(quick)}


if __name__ == "__main__":
    json.dump(run("--quick" in sys.argv), sys.stdout)
    sys.stdout.write("\n")
