"""The whole Cream stack as real processes for the end-to-end test.

A file database in a temp dir, `cream db migrate` + `cream db seed`, then the engine, the
api and the worker as subprocesses on free loopback ports, each with its own log file. The
processes get a scrubbed environment: no LLM or broker keys and no Redis, so the stack runs
the embedded default (simulator broker, synthetic feed, offline `rules` model) and never
touches the network.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tests.servers import REPO_ROOT, free_port

PYTHON: Final = sys.executable
# Start-up imports grpc, langgraph, pandas...: slow on a loaded 2-core CI box, so the bound
# is generous. It is a liveness bound, not a speed assertion.
START_TIMEOUT_S: Final = 240.0
STOP_TIMEOUT_S: Final = 20.0
# Variables a developer's shell may carry that would take the stack off the offline path.
SCRUBBED: Final = (
    "REDIS_URL",
    "GOOGLE_API_KEY",
    "ANTHROPIC_API_KEY",
    "ALPACA_KEY",
    "ALPACA_SECRET",
    "ALPACA_BASE_URL",
    "ALPACA_DATA_URL",
    "ALPACA_STREAM_URL",
    "CREAM_LIVE_CONFIRM",
    "CREAM_REPLAY_DIR",
)


class StackError(RuntimeError):
    """A process of the stack failed to start or died; the message carries its log tail."""


@dataclass
class Process:
    """One stack process and where its output goes."""

    name: str
    command: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class CreamStack:
    """Engine + api + worker on free ports, sharing one file database in `root`."""

    root: Path
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    engine_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    worker_port: int = field(default_factory=free_port)
    processes: list[Process] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def worker_url(self) -> str:
        return f"http://127.0.0.1:{self.worker_port}"

    @property
    def db_url(self) -> str:
        return f"file:{self.root / 'cream.db'}"

    def env(self) -> dict[str, str]:
        """The processes' environment: the parent's minus keys, plus the stack's settings."""
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update(
            CREAM_ENV="PAPER",
            CREAM_DB_URL=self.db_url,
            CREAM_ENGINE_ADDR=f"127.0.0.1:{self.engine_port}",
            CREAM_ENGINE_LISTEN=f"127.0.0.1:{self.engine_port}",
            CREAM_API_TOKEN=self.token,
            # The api proxies the worker's /health for the dashboard's health page.
            CREAM_WORKER_LISTEN=f"127.0.0.1:{self.worker_port}",
            CREAM_MARKET_FEED="synthetic",
            CREAM_LOG_LEVEL="INFO",
            PYTHONPATH=str(REPO_ROOT),
            PYTHONUNBUFFERED="1",
        )
        return env

    def cream(self, *args: str) -> list[str]:
        """A `cream` command line, run with the test's interpreter."""
        return [PYTHON, "-m", "cream.cli", *args]

    def setup_database(self) -> None:
        """Applies the migrations and activates the default config (v1)."""
        for args in (("db", "migrate"), ("db", "seed", "--by", "e2e")):
            done = subprocess.run(
                self.cream(*args),
                cwd=self.root,
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT_S,
                check=False,
            )
            if done.returncode != 0:
                raise StackError(f"`cream {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        """Starts the database, engine, api and worker; returns once all answer."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.setup_database()
        self._spawn("engine", self.cream("engine", "--listen", f"127.0.0.1:{self.engine_port}"))
        self._spawn("api", self.cream("api", "--listen", f"127.0.0.1:{self.api_port}"))
        self._spawn("worker", self.cream("worker", "--listen", f"127.0.0.1:{self.worker_port}"))
        deadline = time.monotonic() + START_TIMEOUT_S
        # The api's /health says ok only when the database and the engine answer.
        self._wait_until(deadline, "api", lambda: _health_ok(f"{self.api_url}/health"))
        self._wait_until(deadline, "worker", lambda: _answers_ok(f"{self.worker_url}/health"))

    def stop(self) -> None:
        """SIGTERM to every process (worker first), then SIGKILL what is left."""
        for process in reversed(self.processes):
            if process.popen is not None and process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            if process.popen is None:
                continue
            try:
                process.popen.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()

    def logs(self) -> str:
        """Every process's log tail, for a failure message."""
        return "\n".join(f"--- {p.name} ---\n{p.log_tail()}" for p in self.processes)

    def check_alive(self) -> None:
        """Raises StackError when a process has exited."""
        for process in self.processes:
            if process.popen is not None and process.popen.poll() is not None:
                raise StackError(
                    f"{process.name} exited with {process.popen.returncode}:\n{process.log_tail()}"
                )

    def _spawn(self, name: str, command: list[str]) -> None:
        log_path = self.root / f"{name}.log"
        process = Process(name, command, log_path)
        with log_path.open("wb") as log:
            process.popen = subprocess.Popen(
                command,
                cwd=self.root,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)

    def _wait_until(self, deadline: float, name: str, ready: Callable[[], bool]) -> None:
        while time.monotonic() < deadline:
            self.check_alive()
            if ready():
                return
            time.sleep(0.2)
        raise StackError(f"{name} did not become ready within {START_TIMEOUT_S} s:\n{self.logs()}")


def _get(url: str) -> tuple[int, bytes] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return None


def _answers_ok(url: str) -> bool:
    got = _get(url)
    return got is not None and got[0] == 200


def _health_ok(url: str) -> bool:
    got = _get(url)
    if got is None or got[0] != 200:
        return False
    body = json.loads(got[1])
    return isinstance(body, dict) and body.get("status") == "ok"
