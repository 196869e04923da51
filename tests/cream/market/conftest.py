"""Fixtures locating the third-party verification data in ../shared/data (skip when absent)."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
LEAN_ROOT = SHARED_DATA / "lean"
REFERENCE = SHARED_DATA / "reference"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"verification data not present: {path}")
    return path


@pytest.fixture
def lean_root() -> Path:
    return _require(LEAN_ROOT / "equity" / "usa" / "daily" / "spy.zip").parents[3]


@pytest.fixture
def lean_test_data() -> Path:
    return _require(REFERENCE / "QuantConnect-Lean" / "Tests" / "TestData")


@pytest.fixture
def tulip_atoz() -> Path:
    return _require(REFERENCE / "TulipCharts-tulipindicators" / "tests" / "atoz.txt")
