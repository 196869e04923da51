"""Text renderings of config versions, history, diffs and errors for the `cream config` CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cream.config.content import DiffEntry, to_yaml
from cream.config.versions import ConfigVersion


def version_header(version: ConfigVersion) -> str:
    """`# PAPER v3 (active) sha256 1a2b3c4d5e6f, activated ... by ...`."""
    parts = [f"# {version.environment} {version.label} ({version.status})"]
    parts.append(f"sha256 {version.content_hash[:12]}")
    if version.activated_at:
        parts.append(f"activated {version.activated_at} by {version.activated_by}")
    else:
        parts.append(f"updated {version.updated_at} by {version.created_by}")
    if version.note:
        parts.append(version.note)
    return ", ".join(parts)


def version_text(version: ConfigVersion, *, as_json: bool) -> str:
    """The version's document as YAML under a header, or as one JSON object."""
    if as_json:
        return json.dumps(version_dict(version), indent=2, sort_keys=True)
    return f"{version_header(version)}\n{to_yaml(version.data)}"


def version_dict(version: ConfigVersion) -> dict[str, Any]:
    """The version's metadata and document as JSON data."""
    return {
        "environment": version.environment,
        "version": version.version,
        "status": version.status,
        "content_hash": version.content_hash,
        "parent_version": version.parent_version,
        "created_by": version.created_by,
        "activated_at": version.activated_at,
        "activated_by": version.activated_by,
        "note": version.note,
        "created_at": version.created_at,
        "updated_at": version.updated_at,
        "document": version.data,
    }


def history_table(versions: Sequence[ConfigVersion]) -> str:
    """One line per version: number, status, activation, author, hash and note."""
    rows = [("VERSION", "STATUS", "ACTIVATED AT", "BY", "SHA256", "NOTE")]
    for v in versions:
        rows.append(
            (
                v.label,
                v.status,
                v.activated_at or "-",
                v.activated_by or v.created_by,
                v.content_hash[:12],
                v.note or "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def diff_text(entries: Sequence[DiffEntry], old: str, new: str) -> str:
    """`key: old -> new` lines, or a sentence saying nothing differs."""
    if not entries:
        return f"{old} and {new} have the same content"
    lines = [f"--- {old}", f"+++ {new}"]
    lines += [f"{e.key}: {_show(e.old)} -> {_show(e.new)}" for e in entries]
    return "\n".join(lines)


def _show(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value)
