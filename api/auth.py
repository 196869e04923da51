"""Who is calling: a bearer token, or a login session cookie plus its CSRF token.

Every comparison of a secret is constant-time (`hmac.compare_digest`). Sessions are stored
as sha256 digests, so the database never holds a usable cookie or CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final, Literal

from starlette.requests import HTTPConnection

from api.context import ApiContext
from api.errors import ForbiddenError, UnauthorizedError

SESSION_COOKIE: Final = "cream_session"
CSRF_COOKIE: Final = "cream_csrf"
CSRF_HEADER: Final = "x-csrf-token"
BEARER_ACTOR: Final = "api-token"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the actor name audits record, and how it proved itself."""

    actor: str
    method: Literal["bearer", "session"]
    session_id: str | None = None
    csrf_digest: str | None = None


def digest(secret: str) -> str:
    """sha256 hex digest of a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def new_secret() -> str:
    """A fresh session or CSRF token."""
    return secrets.token_urlsafe(32)


async def authenticate(connection: HTTPConnection, context: ApiContext) -> Principal:
    """The caller of an HTTP request or WebSocket handshake.

    Raises:
        UnauthorizedError: No credentials, a malformed header, or a dead session (401).
        ForbiddenError: A bearer token that is not the API token (403).
    """
    header = connection.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError(
                "the Authorization header must be `Bearer <CREAM_API_TOKEN>`",
                code="MALFORMED_AUTHORIZATION",
            )
        return check_token(token.strip(), context)
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie:
        return await session_principal(cookie, context)
    raise UnauthorizedError(
        "authentication required: send `Authorization: Bearer <CREAM_API_TOKEN>` or log in "
        "at POST /api/auth/login"
    )


def check_token(token: str, context: ApiContext) -> Principal:
    """The principal of a presented API token.

    Raises:
        ForbiddenError: It is not the API token.
    """
    if not same_secret(token, context.token):
        raise ForbiddenError("the API token is wrong", code="INVALID_TOKEN")
    return Principal(actor=BEARER_ACTOR, method="bearer")


async def session_principal(cookie: str, context: ApiContext) -> Principal:
    """The principal of a session cookie.

    Raises:
        UnauthorizedError: The session is unknown, expired or logged out.
    """
    session_id = digest(cookie)
    record = await context.repos.sessions.get(session_id)
    if record is None or not record.live_at(context.clock.now()):
        raise UnauthorizedError(
            "the session is unknown, expired or logged out; log in again",
            code="SESSION_EXPIRED",
        )
    return Principal(
        actor=record.actor,
        method="session",
        session_id=session_id,
        csrf_digest=record.csrf_digest,
    )


def check_csrf(connection: HTTPConnection, principal: Principal) -> None:
    """Cookie-authenticated mutations must echo the session's CSRF token in a header.

    Bearer requests are exempt: a browser never attaches that header on its own.

    Raises:
        ForbiddenError: The header is missing or does not match the session.
    """
    if principal.method != "session":
        return
    given = connection.headers.get(CSRF_HEADER, "")
    expected = principal.csrf_digest or ""
    if not given or not expected or not same_secret(digest(given), expected):
        raise ForbiddenError(
            "this request needs the X-CSRF-Token header returned by POST /api/auth/login",
            code="CSRF_FAILED",
        )
