"""`cream worker --listen 127.0.0.1:3002`: the scheduler process (also `python -m worker`)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from cream.settings import get_settings
from worker.main import configure_logging, serve
from worker.options import WorkerOptions

DEFAULT_LISTEN = "127.0.0.1:3002"


def run(args: argparse.Namespace) -> int:
    """Handler of `cream worker`."""
    settings = get_settings()
    configure_logging(settings.cream_log_level)
    overrides: dict[str, object] = {}
    if args.run_when_closed:
        overrides["run_when_closed"] = True
    if args.settle_seconds is not None:
        overrides["settle_seconds"] = args.settle_seconds
    options = WorkerOptions(**overrides)  # type: ignore[arg-type]
    return asyncio.run(serve(settings, options, args.listen))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `cream worker` to the command line."""
    parser = sub.add_parser(
        "worker", help="run the scheduler: hourly cycles, requested cycles, context jobs"
    )
    _arguments(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m worker`: the same command without the `cream` front end."""
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    _arguments(parser)
    args = parser.parse_args(argv)
    return run(args)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen", default=DEFAULT_LISTEN, help=f"host:port of GET /health ({DEFAULT_LISTEN})"
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=None,
        help="delay after the candle close (CREAM_WORKER_SETTLE_SECONDS, default 30)",
    )
    parser.add_argument(
        "--run-when-closed",
        action="store_true",
        help="run cycles outside sessions and on holidays (CREAM_WORKER_RUN_WHEN_CLOSED)",
    )
    parser.set_defaults(handler=run)
