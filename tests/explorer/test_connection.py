"""The shell in Chromium: a lost WebSocket shows the banner and the page reconnects by itself,
and the pages can be used from the keyboard alone.

The connection test serves the pages with its own ``depind explorer`` process and stops it
under the open page, which is the browser's view of a node going away: the relayed
WebSocket closes, and the reconnection attempts fail until a new process listens on the same
port. Those failed attempts, and calls a page makes meanwhile, are the only console errors
the test lets through.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.explorer.browser import DESKTOP, open_page, shot
from tests.explorer.standalone_process import ExplorerProcess
from tests.explorer.world import World

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser]

# While no server listens: the WebSocket's reconnection attempts, and any call a page makes.
SERVER_GONE = re.compile(
    r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/websocket' failed|net::ERR_CONNECTION_REFUSED"
)
BANNER_TEXT = "Live updates lost"
RECONNECT_TIMEOUT_MS = 20_000  # the back-off waits 1, 2, 4 s … between attempts


def height_shown(page: Page) -> str:
    return page.locator("[data-stat=height]").inner_text()


def test_a_lost_connection_shows_the_banner_and_reconnects(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    server = ExplorerProcess(world.rpc_url, tmp_path / "first.log")
    with open_page(browser, DESKTOP, expected_errors=(SERVER_GONE,)) as page:
        try:
            page.goto(server.explorer_url)
            banner = page.locator("#banner")
            height = page.locator("[data-stat=height]")
            expect(height).not_to_have_text("…")
            expect(banner).to_be_hidden()
            assert server.stop() == 0
            expect(banner).to_be_visible()
            expect(banner).to_contain_text(BANNER_TEXT)
            shot(page, "connection-lost")
            before = height_shown(page)
            server = ExplorerProcess(world.rpc_url, tmp_path / "second.log", port=server.port)
            expect(banner).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
            expect(height).not_to_have_text(before, timeout=RECONNECT_TIMEOUT_MS)  # live again
        finally:
            server.stop()


def test_the_skip_link_and_the_search_work_from_the_keyboard(page: Page, world: World) -> None:
    page.goto(world.explorer_url + "validators")
    expect(page.locator("main h1")).to_have_text("Validators")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/explorer/validators$"))  # the page stays
    search = page.get_by_role("searchbox", name="Search by height, hash or address")
    search.focus()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/explorer/blocks/1$"))
    expect(page.locator("main h1")).to_contain_text("1")


def test_the_section_links_are_reached_with_tab_and_followed_with_enter(page: Page, world: World) -> None:
    page.goto(world.explorer_url)
    expect(page.locator("main h1")).to_have_text("Overview")
    validators = page.get_by_role("navigation", name="Sections").get_by_role("link", name="Validators")
    for _ in range(12):  # the skip link, the brand, the search box and button, then the sections
        page.keyboard.press("Tab")
        if validators.evaluate("link => link === document.activeElement"):
            break
    expect(validators).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/explorer/validators$"))
    expect(validators).to_have_attribute("aria-current", "page")
    page.go_back()
    expect(page.locator("main h1")).to_have_text("Overview")
