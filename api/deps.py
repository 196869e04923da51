"""The route dependencies, declared once: the process context, readers and mutators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import Principal, authenticate, check_csrf
from api.context import ApiContext
from api.correlation import correlation_id_of


def get_context(request: Request) -> ApiContext:
    """The process context the app factory stored on the app."""
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(get_context)]


async def require_reader(request: Request, context: Context) -> Principal:
    """Any authenticated caller (reads require auth too: this is a trading system)."""
    return await authenticate(request, context)


async def require_mutator(request: Request, context: Context) -> Principal:
    """An authenticated caller whose cookie request carries its CSRF token."""
    principal = await authenticate(request, context)
    check_csrf(request, principal)
    return principal


def get_correlation_id(request: Request) -> str:
    """The request's correlation id (header or generated)."""
    return correlation_id_of(request.scope)


Reader = Annotated[Principal, Depends(require_reader)]
Mutator = Annotated[Principal, Depends(require_mutator)]
CorrelationId = Annotated[str, Depends(get_correlation_id)]
