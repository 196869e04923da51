"""Login and logout: the API token is exchanged for an httpOnly, SameSite=Strict session."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    check_token,
    digest,
    new_secret,
)
from api.deps import Context, CorrelationId, Mutator, Reader
from api.errors import ERROR_RESPONSES
from cream.storage.timestamps import format_utc

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=ERROR_RESPONSES)

SESSION_TTL: Final = timedelta(hours=12)


class LoginRequest(BaseModel):
    """The API token, and the name the audit log records for this session's actions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: Annotated[str, Field(min_length=1, max_length=512)]
    actor: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.@-]+$")] = "dashboard"


class LoginResponse(BaseModel):
    """The CSRF token to send as `X-CSRF-Token` on every mutation, and the session's expiry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str
    csrf_token: str
    expires_at: str


class SessionInfo(BaseModel):
    """Who the caller is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str
    method: Literal["bearer", "session"]
    environment: str


@router.post("/login", operation_id="login", response_model=LoginResponse)
async def login(
    body: LoginRequest, request: Request, response: Response, context: Context, cid: CorrelationId
) -> LoginResponse:
    """Exchanges the API token for a session cookie (audited)."""
    check_token(body.token, context)
    session, csrf = new_secret(), new_secret()
    expires = context.clock.now() + SESSION_TTL
    repos = context.repos
    await context.db.batch(
        [
            repos.sessions.insert_statement(
                digest(session), csrf_digest=digest(csrf), actor=body.actor, expires_at=expires
            ),
            repos.audit.entry_statement(
                actor=body.actor,
                action="auth.login",
                target=digest(session)[:12],
                details={"client": request.client.host if request.client else ""},
                correlation_id=cid,
            ),
        ]
    )
    max_age = int(SESSION_TTL.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, session, max_age=max_age, httponly=True, samesite="strict", path="/"
    )
    # Readable by the dashboard's script after a reload; useless to another site, which can
    # neither read it nor make the browser send it (SameSite=Strict).
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", path="/"
    )
    return LoginResponse(actor=body.actor, csrf_token=csrf, expires_at=format_utc(expires))


@router.post("/logout", operation_id="logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: Mutator, context: Context, cid: CorrelationId) -> Response:
    """Ends the session (audited) and clears the cookies."""
    repos = context.repos
    steps = [
        repos.audit.entry_statement(
            actor=principal.actor,
            action="auth.logout",
            target=(principal.session_id or "")[:12],
            correlation_id=cid,
        )
    ]
    if principal.session_id is not None:
        steps.insert(0, repos.sessions.revoke_statement(principal.session_id))
    await context.db.batch(steps)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")
    return response


@router.get("/session", operation_id="getSession", response_model=SessionInfo)
async def session(principal: Reader, context: Context) -> SessionInfo:
    """The caller's identity (the dashboard checks it on load)."""
    return SessionInfo(
        actor=principal.actor, method=principal.method, environment=context.environment
    )
