"""The import direction of ARCHITECTURE §3: cream <- agents <- workflows <- (api, worker)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cream", "agents", "workflows", "api", "worker")
# What each top-level package may import from the others.
ALLOWED: dict[str, set[str]] = {
    "cream": {"cream"},
    "agents": {"cream", "agents"},
    "workflows": {"cream", "agents", "workflows"},
    "api": {"cream", "agents", "workflows", "api"},
    "worker": {"cream", "agents", "workflows", "worker"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "/v1/" not in p.as_posix())


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_in_the_allowed_direction(package):
    bad = []
    for path in _sources(package):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in PACKAGES and top not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def test_only_cream_engine_imports_the_compiled_core():
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in _sources(package)
        if any(name.startswith("cream._engine") for name in _imports(path))
        and not path.relative_to(ROOT).as_posix().startswith("cream/engine/")
    ]
    assert offenders == []


def test_the_rule_catches_a_forbidden_edge(tmp_path):
    # Guard against a walker that silently finds nothing.
    sample = tmp_path / "x.py"
    sample.write_text("from workflows.trading_cycle import graph\nimport api.main\n")
    assert {"workflows.trading_cycle", "api.main"} <= _imports(sample)
