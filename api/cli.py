"""`cream api --listen 127.0.0.1:3001`: serve the API (and the dashboard) with uvicorn."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from api.main import create_app
from cream.security import DEFAULT_TOKEN_PATH, TokenFileError, load_or_create_token
from cream.settings import get_settings

DEFAULT_LISTEN = "127.0.0.1:3001"


def split_listen(listen: str) -> tuple[str, int]:
    """`HOST:PORT` → (host, port).

    Raises:
        ValueError: The port is missing or not a number 0..65535.
    """
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen must be HOST:PORT, got {listen!r}")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    """Handler of `cream api`."""
    settings = get_settings()
    try:
        host, port = split_listen(args.listen)
        if not settings.cream_api_token:
            load_or_create_token(DEFAULT_TOKEN_PATH)
    except (ValueError, TokenFileError) as exc:
        print(f"cream api: {exc}", file=sys.stderr)
        return 2
    token_note = "CREAM_API_TOKEN" if settings.cream_api_token else str(DEFAULT_TOKEN_PATH)
    print(
        f"cream api: serving on http://{host}:{port}/ ({settings.cream_env.value}; "
        f"token from {token_note})",
        flush=True,
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.cream_log_level.lower(),
        access_log=False,
        lifespan="on",
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `cream api` to the `cream` command."""
    parser = sub.add_parser("api", help="serve the REST/WebSocket API and the dashboard")
    parser.add_argument("--listen", default=DEFAULT_LISTEN, help="HOST:PORT (default %(default)s)")
    parser.set_defaults(handler=run)


def main(argv: list[str] | None = None) -> int:
    """`python -m api` until the lead wires `cream api`."""
    parser = argparse.ArgumentParser(prog="python -m api")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["api", *(argv if argv is not None else sys.argv[1:])])
    return int(args.handler(args))
