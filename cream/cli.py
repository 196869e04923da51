"""The `cream` command: one entry point whose subcommands each area registers.

The kernel's own commands are imported here; the layers above it (`workflows`, `api`,
`worker`) must not be imported by `cream`, so they join through the `cream.commands` entry
points declared in pyproject.toml. A command whose module cannot be loaded still appears, and
says why when it is run, so one broken layer never takes the others' commands down.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

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


PLUGIN_GROUP = "cream.commands"


def _broken(name: str, error: Exception) -> Registrar:
    def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        parser = sub.add_parser(name, help=f"(unavailable: {type(error).__name__})")

        def explain(_args: argparse.Namespace) -> int:
            print(f"cream {name}: cannot be loaded: {error}", file=sys.stderr)
            return 2

        parser.set_defaults(handler=explain)

    return register


def plugin_registrars() -> list[Registrar]:
    """The commands of the layers above the kernel, from the installed entry points."""
    found: list[Registrar] = []
    for point in sorted(entry_points(group=PLUGIN_GROUP), key=lambda p: p.name):
        try:
            found.append(point.load())
        except Exception as exc:  # reported when the command is used, see `_broken`
            found.append(_broken(point.name, exc))
    return found


def build_parser() -> argparse.ArgumentParser:
    """The full `cream` argument parser."""
    parser = argparse.ArgumentParser(prog="cream", description="Cream trading service")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in (*REGISTRARS, *plugin_registrars()):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `cream` subcommand; its handler returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
