"""The built dashboard (`dashboard/dist`) at `/`, with SPA fallback to `index.html`."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.errors import error_response

DEFAULT_DIST: Final = Path(__file__).resolve().parents[1] / "dashboard" / "dist"
# Paths the SPA fallback must never answer: an unknown API path is a JSON 404.
_RESERVED: Final = ("api/", "api", "ws", "health", "docs", "redoc")

NOT_BUILT_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cream</title></head>
<body style="font-family: system-ui; max-width: 40rem; margin: 4rem auto">
<h1>Cream API is running</h1>
<p>The dashboard is not built. Run <code>make install</code> (it builds
<code>dashboard/dist</code>), then reload this page.</p>
<p>The API itself is at <code>/api</code>; its schema at <code>/api/openapi.json</code>.</p>
</body></html>
"""


def mount_dashboard(app: FastAPI, dist: Path = DEFAULT_DIST) -> None:
    """Serves files from `dist`, falling back to its `index.html` for client-side routes;
    without a build, `/` explains how to make one."""
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def dashboard(path: str, request: Request) -> Response:
        if path.startswith(_RESERVED):
            return error_response(
                request,
                404,
                "NOT_FOUND",
                f"no route {request.method} /{path}; see /api/openapi.json",
            )
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT_PAGE)
        candidate = (root / path).resolve()
        # Never serve outside dist (a `..` in the path).
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
