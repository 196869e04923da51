"""Fixtures of the end-to-end test: the running stack, Debian's Chromium, artefacts.

Chromium comes from the OS (`/usr/bin/chromium`, Debian's package), driven by Playwright's
Python package through `executable_path`; no browser download. The dashboard must be built
(`make install` builds `dashboard/dist`), because the api serves it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.e2e.stack import CreamStack, StackError
from tests.servers import REPO_ROOT

CHROMIUM: Final = Path("/usr/bin/chromium")
DIST_INDEX: Final = REPO_ROOT / "dashboard" / "dist" / "index.html"
ARTIFACTS: Final = REPO_ROOT / "test-artifacts" / "e2e"
REPORTS: Final = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CreamStack]:
    """The stack, started once for the module and stopped after it."""
    if not DIST_INDEX.is_file():
        pytest.fail(
            f"the dashboard is not built ({DIST_INDEX} is missing): run `make install`, or "
            "`npm --prefix dashboard ci && npm --prefix dashboard run build`"
        )
    running = CreamStack(tmp_path_factory.mktemp("cream-e2e"))
    try:
        running.start()
    except StackError:
        running.stop()
        raise
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's `chromium` package (CI does)")
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    launched = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        # Containers run as root without user namespaces; /dev/shm is often tiny.
        args=["--no-sandbox", "--disable-dev-shm-usage"],
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """`test-artifacts/e2e/<test name>/`, emptied first; screenshots and logs go there."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each phase's report on the item, so fixtures can tell a failed test."""
    report: pytest.TestReport = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def page(
    browser: Browser, stack: CreamStack, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context on the stack's api; the console log, the stack's logs and,
    on failure, a screenshot of the page are kept as artefacts."""
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    console: list[str] = []
    opened.on("console", lambda message: console.append(f"[{message.type}] {message.text}"))
    opened.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    try:
        yield opened
    finally:
        call = request.node.stash.get(REPORTS, {}).get("call")
        if call is not None and call.failed:
            opened.screenshot(path=str(artifacts / "failure.png"), full_page=True)
        (artifacts / "console.log").write_text("\n".join(console))
        (artifacts / "stack.log").write_text(stack.logs())
        context.close()
