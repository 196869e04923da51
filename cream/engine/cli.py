"""`cream engine`: run the execution engine's gRPC server until SIGINT/SIGTERM (SIGHUP reloads)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from cream.engine.server import start_engine
from cream.heap import freeze_startup_heap
from cream.settings import get_settings
from cream.storage.errors import StorageError

log = logging.getLogger("cream.engine")


async def _serve(listen: str) -> int:
    settings = get_settings()
    try:
        runtime = await start_engine(settings, listen=listen)
    except StorageError as exc:
        print(f"cream engine: {exc}", file=sys.stderr)
        return 2
    if runtime.port == 0:
        print(f"cream engine: cannot listen on {listen} (address in use?)", file=sys.stderr)
        await runtime.stop(0)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    reloads: set[asyncio.Task[object]] = set()

    def reload() -> None:
        task: asyncio.Task[object] = asyncio.create_task(runtime.reload_config())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)
    freeze_startup_heap()
    host = listen.rsplit(":", 1)[0]
    print(
        f"cream engine: serving ExecutionService and MarketDataService on {host}:{runtime.port} "
        f"({settings.cream_env.value}, simulator broker, synthetic feed, "
        f"db {settings.cream_db_url})",
        flush=True,
    )
    await stop.wait()
    print("cream engine: stopping", flush=True)
    await runtime.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    """Handler of `cream engine`."""
    logging.basicConfig(
        level=get_settings().cream_log_level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    return asyncio.run(_serve(args.listen))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `cream engine` to the command line."""
    parser = sub.add_parser("engine", help="run the execution engine (gRPC)")
    parser.add_argument(
        "--listen",
        default=get_settings().cream_engine_listen,
        help="host:port to serve gRPC on (default 127.0.0.1:50053)",
    )
    parser.set_defaults(handler=run)
