"""A config document's canonical JSON, content hash and YAML form, and diffs between documents."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from cream.config.schema import ConfigDocument


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """One changed leaf: its dotted key, the old value and the new (None when absent)."""

    key: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        """`{key, old, new}` for JSON."""
        return {"key": self.key, "old": self.old, "new": self.new}


def document_data(document: ConfigDocument) -> dict[str, Any]:
    """The document as plain JSON data (decimals as strings)."""
    return document.model_dump(mode="json")


def canonical_json(data: Mapping[str, Any]) -> str:
    """Sorted-key, compact JSON: equal content gives equal text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def content_hash(data: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def to_yaml(data: Mapping[str, Any]) -> str:
    """Block-style YAML in the document's own key order, for `cream config edit`."""
    return yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of nested mappings keyed by dotted path; lists are leaves."""
    if not isinstance(data, Mapping):
        return {prefix: data}
    leaves: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            leaves.update(flatten(value, path))
        else:
            leaves[path] = value
    return leaves


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[DiffEntry]:
    """The leaves that differ between two documents, by key (everything when `old` is None)."""
    before = flatten(old) if old is not None else {}
    after = flatten(new)
    return [
        DiffEntry(key, before.get(key), after.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key) or (key in before) != (key in after)
    ]
