"""Start-up refusals: one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import contextlib

import pytest

from cream.settings import Settings
from tests.servers import free_port
from tests.worker.conftest import InstantExecutor
from worker.main import serve
from worker.options import WorkerOptions

RUN_WHEN_CLOSED = WorkerOptions(run_when_closed=True)


async def test_a_malformed_listen_address_is_refused(capsys: pytest.CaptureFixture[str]):
    code = await serve(
        Settings(), RUN_WHEN_CLOSED, "3002", executor=contextlib.nullcontext(InstantExecutor())
    )
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "cream worker: --listen '3002' must be HOST:PORT, e.g. 127.0.0.1:3002"
    )


async def test_an_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str]):
    settings = Settings(cream_db_url=f"http://127.0.0.1:{free_port()}")
    code = await serve(
        settings,
        RUN_WHEN_CLOSED,
        f"127.0.0.1:{free_port()}",
        executor=contextlib.nullcontext(InstantExecutor()),
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cream worker: ")
    assert "\n" not in err
    assert "Traceback" not in err


async def test_an_unknown_exchange_calendar_is_refused(capsys: pytest.CaptureFixture[str]):
    code = await serve(
        Settings(),
        WorkerOptions(exchange="XNOPE"),
        "127.0.0.1:0",
        executor=contextlib.nullcontext(InstantExecutor()),
    )
    assert code == 2
    assert "unknown exchange calendar 'XNOPE'" in capsys.readouterr().err
