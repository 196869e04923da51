"""The API token file: created once with owner-only permissions, refused when exposed."""

from __future__ import annotations

import stat

import pytest

from cream.security import TokenFileError, load_or_create_token


def test_the_token_is_created_owner_only_and_reused(tmp_path):
    path = tmp_path / "var" / "api-token"

    first = load_or_create_token(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_or_create_token(path) == first


def test_a_token_file_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "api-token"
    load_or_create_token(path)
    path.chmod(0o644)

    with pytest.raises(TokenFileError, match="chmod 600"):
        load_or_create_token(path)


def test_an_empty_token_file_is_refused(tmp_path):
    path = tmp_path / "api-token"
    path.write_text("")
    path.chmod(0o600)

    with pytest.raises(TokenFileError, match="shorter than"):
        load_or_create_token(path)
