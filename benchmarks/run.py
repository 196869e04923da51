"""`python -m benchmarks.run SUITE [--quick]`: run a suite, print one JSON object, record it.

Figures are merged into benchmarks/results.json and BENCHMARKS.md is regenerated from it.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
REPORT = ROOT / "BENCHMARKS.md"

TARGETS: dict[str, str] = {
    "engine_check_p99_us": "< 50",
    "engine_check_speedup_vs_python": ">= 30",
    "engine_grpc_rps_ratio_vs_echo": ">= 0.7",
    "indicators_500x120_ms": "< 50",
    "memory_top5_of_100k_ms": "< 20",
    "cycle_wall_over_critical_path": "<= 1.3",
}


def _engine(quick: bool) -> dict[str, Any]:
    from benchmarks.engine_bench import run

    return run(quick)


def _storage(quick: bool) -> dict[str, Any]:
    from benchmarks.storage_bench import run

    return run(quick)


def _memory(quick: bool) -> dict[str, Any]:
    from benchmarks.memory_bench import run

    return run(quick)


def _api(quick: bool) -> dict[str, Any]:
    from benchmarks.api_bench import run

    return run(quick)


def _market(quick: bool) -> dict[str, Any]:
    from benchmarks.market_bench import run

    return run(quick)


def _cycle(quick: bool) -> dict[str, Any]:
    from benchmarks.cycle_bench import run

    return run(quick)


SUITES: dict[str, Callable[[bool], dict[str, Any]]] = {
    "engine": _engine,
    "storage": _storage,
    "market": _market,
    "memory": _memory,
    "api": _api,
    "cycle": _cycle,
}


def _record(suite: str, figures: dict[str, Any], quick: bool) -> None:
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[suite] = {
        "figures": figures,
        "quick": quick,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
    }
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks.run all`) from `benchmarks/results.json`.",
        "Ratios compare against a reference measured in the same run; absolute times depend",
        "on the machine (2 cores here).",
        "",
        "| suite | figure | value | target | measured |",
        "|---|---|---|---|---|",
    ]
    for name in sorted(results):
        entry = results[name]
        for key, value in entry["figures"].items():
            mode = " (quick)" if entry["quick"] else ""
            lines.append(
                f"| {name} | `{key}` | {value} | {TARGETS.get(key, '')} | "
                f"{entry['measured_at']}{mode} |"
            )
    REPORT.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("suite", choices=[*SUITES, "all"])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (under 30 s)")
    args = parser.parse_args(argv)
    names = list(SUITES) if args.suite == "all" else [args.suite]
    combined: dict[str, Any] = {}
    for name in names:
        figures = SUITES[name](args.quick)
        _record(name, figures, args.quick)
        combined.update(figures)
    json.dump(combined, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
