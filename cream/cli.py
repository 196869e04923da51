"""The `cream` command: one entry point whose subcommands each area registers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from cream.config.cli import register as register_config
from cream.engine.cli import register as register_engine
from cream.storage.cli import register as register_storage
from cream.up import register as register_up

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRARS: tuple[Registrar, ...] = (
    register_engine,
    register_storage,
    register_config,
    register_up,
)


def build_parser() -> argparse.ArgumentParser:
    """The full `cream` argument parser."""
    parser = argparse.ArgumentParser(prog="cream", description="Cream trading service")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `cream` subcommand; its handler returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
