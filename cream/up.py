"""`cream up`: start every Cream process together and stop them together."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cream.security import DEFAULT_TOKEN_PATH, TokenFileError, load_or_create_token
from cream.settings import Settings, get_settings


@dataclass(frozen=True)
class ProcessSpec:
    """One process of the stack."""

    name: str
    args: tuple[str, ...]


def stack(settings: Settings) -> list[ProcessSpec]:
    """The processes `cream up` runs: engine first, then the api and the worker."""
    return [
        ProcessSpec("engine", ("engine", "--listen", settings.cream_engine_listen)),
        ProcessSpec("api", ("api", "--listen", settings.cream_api_listen)),
        ProcessSpec("worker", ("worker", "--listen", settings.cream_worker_listen)),
    ]


def dashboard_note(settings: Settings) -> str:
    """Where to open the dashboard and which token logs in (never the token itself)."""
    url = f"http://{settings.cream_api_listen}/"
    if settings.cream_api_token:
        return f"dashboard: {url} (log in with CREAM_API_TOKEN)"
    token = load_or_create_token(DEFAULT_TOKEN_PATH)
    del token
    return f"dashboard: {url} (log in with the token in {DEFAULT_TOKEN_PATH}, owner-only)"


def _terminate(children: dict[str, subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children.values():
        remaining = max(0.0, deadline - time.monotonic())
        try:
            child.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def run(args: argparse.Namespace) -> int:
    """Handler of `cream up`: supervise the stack until a signal or a child exits."""
    settings = get_settings()
    Path("var").mkdir(exist_ok=True)
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # The first active config version, from the seed defaults (a no-op once one exists).
    seeded = subprocess.run([sys.executable, "-m", "cream.cli", "db", "seed"], check=False)
    if seeded.returncode != 0:
        print("cream up: could not seed the config; nothing started", file=sys.stderr)
        return seeded.returncode
    try:
        note = dashboard_note(settings)
    except TokenFileError as exc:
        print(f"cream up: {exc}", file=sys.stderr)
        return 2
    for spec in stack(settings):
        # Own session: a terminal Ctrl-C reaches only `cream up`, which then stops the
        # children in order instead of interrupting them mid-start.
        children[spec.name] = subprocess.Popen(
            [sys.executable, "-m", "cream.cli", *spec.args], start_new_session=True
        )
    print(
        f"cream up: {', '.join(children)} started; engine gRPC at {settings.cream_engine_listen}, "
        f"worker health at http://{settings.cream_worker_listen}/health\n"
        f"cream up: {note}\n"
        "cream up: Ctrl-C stops everything",
        flush=True,
    )
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            code = child.poll()
            if code is not None:
                print(f"cream up: {name} exited with {code}; stopping the stack", file=sys.stderr)
                exit_code = code or 1
                stopping = True
                break
        time.sleep(0.2)
    _terminate(children)
    print("cream up: stopped", flush=True)
    return exit_code


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `cream up` to the command line."""
    parser = sub.add_parser("up", help="start the whole stack and stop it together")
    parser.set_defaults(handler=run)
