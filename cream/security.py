"""The API token: from `CREAM_API_TOKEN`, or generated once into an owner-only file."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import ClassVar, Final

DEFAULT_TOKEN_PATH: Final = Path("var/api-token")
# 32 random bytes, URL-safe base64: 43 characters.
_TOKEN_BYTES: Final = 32
_MIN_TOKEN_LENGTH: Final = 16


class TokenFileError(Exception):
    """The token file cannot be used (unreadable, empty, or readable by others)."""

    code: ClassVar[str] = "API_TOKEN_FILE_INVALID"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def generate_token() -> str:
    """A fresh random API token."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def load_or_create_token(path: Path = DEFAULT_TOKEN_PATH) -> str:
    """The token stored at `path`, creating it (mode 0600) with a random token when absent.

    The file is created with `O_EXCL`, so two processes starting together agree on one token.

    Raises:
        TokenFileError: The file is readable or writable by group/others, empty, too short,
            or cannot be read or written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_token(path)
    except OSError as exc:
        raise TokenFileError(f"cannot create the API token file {path}: {exc.strerror}") from exc
    token = generate_token()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def read_token(path: Path) -> str:
    """The token in an existing owner-only token file.

    Raises:
        TokenFileError: As for `load_or_create_token`.
    """
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TokenFileError(
                f"the API token file {path} is accessible to group or others "
                f"(mode {stat.filemode(mode)}); run `chmod 600 {path}`"
            )
        token = path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise TokenFileError(f"cannot read the API token file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise TokenFileError(f"the API token file {path} is not ASCII text") from exc
    if len(token) < _MIN_TOKEN_LENGTH:
        raise TokenFileError(
            f"the API token in {path} is empty or shorter than {_MIN_TOKEN_LENGTH} characters; "
            f"delete the file to generate a new one"
        )
    return token
