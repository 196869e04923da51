"""`cream config ...` and `cream db seed`: inspect, edit, validate, promote and roll back config."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

from cream.config.content import document_data, to_yaml
from cream.config.errors import ConfigError, ConfigNotFoundError
from cream.config.render import diff_text, history_table, version_dict, version_text
from cream.config.schema import default_document
from cream.config.service import ConfigService
from cream.config.versions import ConfigVersion
from cream.settings import get_settings
from cream.storage.database import Database
from cream.storage.errors import StorageError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_ERROR = 2

Action = Callable[[ConfigService, argparse.Namespace], Awaitable[int]]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `cream config {show,set,edit,validate,promote,rollback,history,diff,discard}`."""
    config = subparsers.add_parser(
        "config",
        help="config governance: draft, validate, promote, roll back",
        description="Manage versioned config in the database named by CREAM_DB_URL.",
    )
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = _action(actions, "show", "print a config version (default: the active one)", _show)
    which = show.add_mutually_exclusive_group()
    which.add_argument("--draft", action="store_true", help="the draft")
    which.add_argument("--active", action="store_true", help="the active version (default)")
    which.add_argument("--version", type=int, metavar="N", help="version N")
    show.add_argument("--json", action="store_true", help="JSON with metadata instead of YAML")
    set_ = _action(actions, "set", "change draft values: dotted.key=value ...", _set)
    set_.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    _action(actions, "edit", "edit the draft as YAML in $EDITOR", _edit)
    _action(actions, "validate", "check the draft and mark it validated", _validate)
    promote = _action(actions, "promote", "activate the validated draft", _promote)
    promote.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rollback = _action(actions, "rollback", "re-activate an archived version", _rollback)
    rollback.add_argument("target", type=int, metavar="VERSION")
    history = _action(actions, "history", "list versions, newest first", _history)
    history.add_argument("--json", action="store_true")
    diff = _action(actions, "diff", "compare versions A and B (default: active vs draft)", _diff)
    diff.add_argument("versions", nargs="*", type=int, metavar="A B")
    _action(actions, "discard", "delete the draft", _discard)


def add_seed_command(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `seed` to the `cream db` actions."""
    _action(actions, "seed", "activate the default config as v1 (idempotent)", _seed)


def _action(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    action: Action,
) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--url", help="database URL; overrides CREAM_DB_URL")
    parser.add_argument("--env", help="BACKTEST, PAPER or LIVE; overrides CREAM_ENV")
    parser.add_argument("--by", help="who acts, for the audit trail (default: the OS user)")
    parser.set_defaults(handler=lambda args: _run(args, action))
    return parser


def _run(args: argparse.Namespace, action: Action) -> int:
    settings = get_settings()
    url: str = args.url or settings.cream_db_url
    args.env = (args.env or settings.cream_env.value).upper()
    args.by = args.by or _user()
    prefix = "cream db" if getattr(args, "db_command", None) else "cream config"
    try:
        return asyncio.run(_with_service(url, action, args))
    except ConfigError as exc:
        # A refusal (invalid, unchanged, conflict) lists every reason; exit 1.
        print(f"{prefix}: refused [{exc.code}]: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED
    except StorageError as exc:
        print(f"{prefix}: error [{exc.code}]: {exc.message}", file=sys.stderr)
        return EXIT_ERROR


async def _with_service(url: str, action: Action, args: argparse.Namespace) -> int:
    async with await Database.connect(url) as db:
        return await action(ConfigService(db), args)


async def _show(service: ConfigService, args: argparse.Namespace) -> int:
    if args.draft:
        version = await service.draft(args.env)
        if version is None:
            raise ConfigNotFoundError(f"{args.env} has no draft")
    elif args.version is not None:
        version = await service.get(args.env, args.version)
    else:
        version = await service.require_active(args.env)
    print(version_text(version, as_json=args.json))
    return EXIT_OK


async def _set(service: ConfigService, args: argparse.Namespace) -> int:
    draft = await service.set_values(args.env, args.assignments, by=args.by)
    print(f"{args.env} draft saved (sha256 {draft.content_hash[:12]}); next: cream config validate")
    return EXIT_OK


async def _edit(service: ConfigService, args: argparse.Namespace) -> int:
    base = await service.draft(args.env) or await service.active(args.env)
    data: dict[str, Any] = base.data if base is not None else _defaults()
    edited = _run_editor(to_yaml(data))
    if edited is None:
        print("cream config: the editor failed; the draft is unchanged", file=sys.stderr)
        return EXIT_REFUSED
    try:
        parsed = yaml.safe_load(edited)
    except yaml.YAMLError as exc:
        print(f"cream config: refused [CONFIG_INVALID]: not valid YAML: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if parsed == data:
        print("no changes; the draft is unchanged")
        return EXIT_OK
    draft = await service.save_draft(args.env, parsed, by=args.by)
    print(f"{args.env} draft saved (sha256 {draft.content_hash[:12]}); next: cream config validate")
    return EXIT_OK


async def _validate(service: ConfigService, args: argparse.Namespace) -> int:
    draft = await service.validate(args.env, by=args.by)
    print(f"{args.env} draft is valid and marked validated (sha256 {draft.content_hash[:12]})")
    return EXIT_OK


async def _promote(service: ConfigService, args: argparse.Namespace) -> int:
    draft = await service.draft(args.env)
    if draft is not None and not args.yes:
        active = await service.active(args.env)
        old = f"active {active.label}" if active is not None else "(nothing active)"
        print(diff_text(await _changes(service, args.env, active), old, "draft"))
        if not _confirm(f"promote the {args.env} draft to active? [y/N] "):
            print(
                "cream config: not promoted: confirmation needs a terminal; pass --yes",
                file=sys.stderr,
            )
            return EXIT_REFUSED
    version = await service.promote(args.env, by=args.by)
    print(f"{args.env} {version.label} is active (promoted by {args.by})")
    return EXIT_OK


async def _rollback(service: ConfigService, args: argparse.Namespace) -> int:
    version = await service.rollback(args.env, args.target, by=args.by)
    print(f"{args.env} {version.label} is active: a copy of v{args.target} (by {args.by})")
    return EXIT_OK


async def _history(service: ConfigService, args: argparse.Namespace) -> int:
    versions = await service.history(args.env)
    if args.json:
        print(json.dumps([version_dict(v) for v in versions], indent=2, sort_keys=True))
    elif not versions:
        print(f"{args.env} has no config versions; run `cream db seed`")
    else:
        print(history_table(versions))
    return EXIT_OK


async def _diff(service: ConfigService, args: argparse.Namespace) -> int:
    if len(args.versions) not in (0, 2):
        raise ConfigNotFoundError("diff takes no version (active vs draft) or two: A B")
    if args.versions:
        first, second = args.versions
        entries = await service.diff(args.env, first, second)
        print(diff_text(entries, f"v{first}", f"v{second}"))
    else:
        active = await service.require_active(args.env)
        entries = await service.diff(args.env)
        print(diff_text(entries, f"active {active.label}", "draft"))
    return EXIT_OK


async def _discard(service: ConfigService, args: argparse.Namespace) -> int:
    await service.discard_draft(args.env, by=args.by)
    print(f"{args.env} draft discarded")
    return EXIT_OK


async def _seed(service: ConfigService, args: argparse.Namespace) -> int:
    version, created = await service.seed(args.env, by=args.by)
    if created:
        print(f"{args.env}: activated {version.label} from the defaults")
    else:
        print(f"{args.env}: already configured (active {version.label}); nothing to do")
    return EXIT_OK


async def _changes(
    service: ConfigService, environment: str, active: ConfigVersion | None
) -> list[Any]:
    if active is None:
        return []
    return list(await service.diff(environment))


def _confirm(question: str) -> bool:
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        return False
    answer = input(question)
    return answer.strip().lower() in ("y", "yes")


def _run_editor(text: str) -> str | None:
    editor = os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
    with tempfile.TemporaryDirectory(prefix="cream-config-") as folder:
        path = Path(folder) / "draft.yaml"
        path.write_text(text)
        try:
            completed = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as exc:
            print(f"cream config: cannot start editor {editor!r}: {exc}", file=sys.stderr)
            return None
        if completed.returncode != 0:
            return None
        return path.read_text()


def _defaults() -> dict[str, Any]:
    return document_data(default_document())


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
