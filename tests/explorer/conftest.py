"""Fixtures for the explorer's tests: Debian's chromium driven by Playwright (sync API, in
plain ``def`` tests), a page per test that fails the test on any console error, uncaught
exception or request off this machine, and the ``world``: a real node holding a provider, an
offer, a lease, a verified job, a slashed provider and two governance proposals
(tests/explorer/world.py), made once per session, with ``standalone_explorer`` (``depind
explorer``) serving the pages against it.

Screenshots go to $DEPIND_SCREENSHOTS (default build/screenshots/explorer/): ``shot`` in
tests/explorer/browser.py writes them, and a failed browser test leaves one of its page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.explorer.browser import DESKTOP, LAUNCH_ARGS, PHONE, ensure_chromium, open_page, shot
from tests.explorer.standalone_process import ExplorerProcess
from tests.explorer.world import World, build_world


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's chromium (installed with apt if missing)."""
    return ensure_chromium()


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A 1280 x 900 page in a context of its own; problems it reports fail the test."""
    with open_page(browser, DESKTOP) as opened:
        yield opened
        keep_failure_shot(request, opened)


@pytest.fixture
def phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """``page`` on a phone: 390 x 844, touch, twice the pixel density."""
    with open_page(browser, PHONE, mobile=True) as opened:
        yield opened
        keep_failure_shot(request, opened)


def keep_failure_shot(request: pytest.FixtureRequest, page: Page) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shot(page, f"FAILED-{request.node.name}")


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The running node and the data made on it; stopped after the last test of the session,
    when every process's log is checked for tracebacks."""
    root = tmp_path_factory.mktemp("explorer-world")
    with contextlib.ExitStack() as cleanup:
        made = build_world(root, cleanup)
        yield made
    assert not made.node.logged_tracebacks(), made.node.log_tail()
    for log in root.glob("*/worker.log"):
        assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture(scope="session")
def standalone_explorer(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExplorerProcess]:
    """``depind explorer`` against the world's node: the same pages, through its relays."""
    server = ExplorerProcess(world.rpc_url, tmp_path_factory.mktemp("standalone-explorer") / "explorer.log")
    try:
        yield server
    finally:
        code = server.stop()
    assert code == 0 and "Traceback" not in server.log(), server.log()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
