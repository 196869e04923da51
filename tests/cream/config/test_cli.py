"""`cream config ...` and `cream db seed` through the real `cream` entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cream.cli import main
from tests.servers import free_port


@pytest.fixture
def cream(libsql_url: str, monkeypatch: pytest.MonkeyPatch, fresh_settings: None):
    """Runs `cream ARGS` against the test database in PAPER and returns (code, out, err)."""
    monkeypatch.setenv("CREAM_DB_URL", libsql_url)
    monkeypatch.setenv("CREAM_ENV", "PAPER")

    def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_round_trip_seed_set_validate_promote_history_rollback(
    cream, capsys: pytest.CaptureFixture[str]
):
    assert cream(capsys, "db", "seed")[1] == "PAPER: activated v1 from the defaults\n"
    assert "already configured (active v1)" in cream(capsys, "db", "seed")[1]

    code, out, _ = cream(
        capsys, "config", "set", "trading.max_consensus_iterations=2", "universe.symbols=SPY,AAPL"
    )
    assert code == 0
    assert "PAPER draft saved" in out
    code, out, _ = cream(capsys, "config", "show", "--draft", "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["version"]) == ("draft", None)
    assert shown["document"]["universe"]["symbols"] == ["SPY", "AAPL"]

    assert cream(capsys, "config", "validate")[0] == 0
    code, out, _ = cream(capsys, "config", "promote", "--yes", "--by", "ana")
    assert (code, out) == (0, "PAPER v2 is active (promoted by ana)\n")

    code, out, _ = cream(capsys, "config", "history")
    lines = out.splitlines()
    assert lines[0].split() == ["VERSION", "STATUS", "ACTIVATED", "AT", "BY", "SHA256", "NOTE"]
    assert lines[1].split()[:2] == ["v2", "active"]
    assert "ana" in lines[1]
    assert lines[2].split()[:2] == ["v1", "archived"]

    code, out, _ = cream(capsys, "config", "diff", "1", "2")
    assert "trading.max_consensus_iterations: 3 -> 2" in out

    code, out, _ = cream(capsys, "config", "rollback", "1", "--by", "ops")
    assert (code, out) == (0, "PAPER v3 is active: a copy of v1 (by ops)\n")
    code, out, _ = cream(capsys, "config", "show", "--json")
    active = json.loads(out)
    assert (active["version"], active["note"]) == (3, "rollback to v1")
    assert active["document"]["trading"]["max_consensus_iterations"] == 3


def test_promote_without_yes_and_without_a_terminal_refuses(
    cream, capsys: pytest.CaptureFixture[str]
):
    cream(capsys, "db", "seed")
    cream(capsys, "config", "set", "trading.max_consensus_iterations=2")
    cream(capsys, "config", "validate")

    code, out, err = cream(capsys, "config", "promote")

    assert code == 1
    assert "trading.max_consensus_iterations: 3 -> 2" in out  # the diff is shown first
    assert "confirmation needs a terminal; pass --yes" in err
    assert json.loads(cream(capsys, "config", "show", "--json")[1])["version"] == 1


def test_an_invalid_set_is_refused_listing_every_problem(cream, capsys: pytest.CaptureFixture[str]):
    cream(capsys, "db", "seed")

    code, _, err = cream(
        capsys,
        "config",
        "set",
        "risk.portfolio.max_net_notional=900000",
        "agents.critic.model=gpt-9",
        "trading.agent_timeout_ms=-1",
    )

    assert code == 1
    assert err.startswith("cream config: refused [CONFIG_INVALID]: the config has 3 problem(s):")
    for field in (
        "risk.portfolio.max_net_notional",
        "agents.critic.model",
        "trading.agent_timeout_ms",
    ):
        assert f"  {field}: " in err
    assert cream(capsys, "config", "show", "--draft")[0] == 1


def test_a_mistyped_set_and_an_unknown_key_are_refused(cream, capsys: pytest.CaptureFixture[str]):
    code, _, err = cream(capsys, "config", "set", "trading.agent_timeout_ms=soon")
    assert code == 1
    assert "trading.agent_timeout_ms: 'soon' is not valid here" in err

    code, _, err = cream(capsys, "config", "set", "trading.speed=1")
    assert code == 1
    assert "[CONFIG_UNKNOWN_KEY]" in err


def test_promoting_an_unchanged_config_says_so(cream, capsys: pytest.CaptureFixture[str]):
    cream(capsys, "db", "seed")
    cream(capsys, "config", "set", "trading.max_consensus_iterations=3")
    cream(capsys, "config", "validate")

    code, _, err = cream(capsys, "config", "promote", "--yes")

    assert code == 1
    assert "[CONFIG_UNCHANGED]" in err


def test_edit_saves_what_the_editor_wrote(
    cream, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "text = open(path).read()\n"
        "open(path, 'w').write(text.replace('max_consensus_iterations: 3', "
        "'max_consensus_iterations: 5'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    cream(capsys, "db", "seed")

    code, out, _ = cream(capsys, "config", "edit")

    assert code == 0
    assert "PAPER draft saved" in out
    draft = json.loads(cream(capsys, "config", "show", "--draft", "--json")[1])
    assert draft["document"]["trading"]["max_consensus_iterations"] == 5


def test_edit_refuses_an_invalid_result(
    cream, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "text = open(path).read()\n"
        "open(path, 'w').write(text.replace('max_consensus_iterations: 3', "
        "'max_consensus_iterations: 0'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")

    code, _, err = cream(capsys, "config", "edit")

    assert code == 1
    assert "trading.max_consensus_iterations: Input should be greater than or equal to 1" in err
    assert cream(capsys, "config", "show", "--draft")[0] == 1


def test_an_unreachable_database_is_one_error_line_and_exit_2(capsys: pytest.CaptureFixture[str]):
    url = f"http://127.0.0.1:{free_port()}"

    code = main(["config", "history", "--url", url])

    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        f"cream config: error [DATABASE_UNAVAILABLE]: cannot reach libSQL at {url}: connection "
        f"refused; is sqld running? set CREAM_DB_URL"
    ]
