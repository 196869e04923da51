"""A local HTTP server on a free loopback port that answers from a table of routes.

Each route maps (method, path) to a handler `(request) -> Reply`. Requests are recorded so a
test can assert what the client sent (query string, headers, body). Runs in a thread, so both
sync and async clients can talk to it; `stop()` (or leaving the `with` block) shuts it down.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDINGS = Path(__file__).resolve().parent / "recordings"


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What to answer: status, body (bytes, or JSON-encoded), extra headers, a delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    raw: bytes | None = None

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return b"" if self.body is None else json.dumps(self.body).encode()


Handler = Callable[[Request], Reply]


def recording(name: str) -> Any:
    """A recorded JSON response from tests/fakes/recordings."""
    return json.loads((RECORDINGS / name).read_text())


def json_reply(name: str, **headers: str) -> Handler:
    """A handler answering the recording `name` with status 200."""
    body = recording(name)
    return lambda _request: Reply(200, body, headers)


class FakeHttpServer:
    """A threaded HTTP/1.1 server for tests; routes can be replaced while it runs."""

    def __init__(self, routes: dict[tuple[str, str], Handler] | None = None) -> None:
        self.routes: dict[tuple[str, str], Handler] = dict(routes or {})
        self.requests: list[Request] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                server.requests.append(request)
                handler = server.routes.get((self.command, parts.path))
                reply = (
                    handler(request)
                    if handler
                    else Reply(404, {"error": f"no route {self.command} {parts.path}"})
                )
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                payload = reply.payload()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (a timeout test)

            do_GET = _serve  # noqa: N815 - the name http.server dispatches to
            do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeHttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
