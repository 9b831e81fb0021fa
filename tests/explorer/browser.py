"""Chromium for the explorer's browser tests: Debian's package (installed with apt where
missing), driven by Playwright's sync API; never a browser downloaded by Playwright.

``PageWatch`` keeps what a page says it did wrong: console errors, uncaught exceptions, and
any request that leaves this machine (the pages must work offline: every library is served
with them). ``shot`` writes a screenshot where CI keeps them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, WebSocket
from playwright.sync_api import Request as PageRequest

from tests.e2e.harness import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
INSTALL_TIMEOUT_S = 600
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 20_000
SCREENSHOTS_ENV = "DEPIND_SCREENSHOTS"
DEFAULT_SCREENSHOTS = REPO_ROOT / "build" / "screenshots" / "explorer"
# What the pages may reach: this machine, and the page's own data.
LOCAL_URL = re.compile(
    r"^(?:(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/|data:|blob:|about:)"
)


def ensure_chromium() -> str:
    """Debian's chromium, installed with apt when the machine has none."""
    if not Path(CHROMIUM).exists():
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=INSTALL_TIMEOUT_S)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, timeout=INSTALL_TIMEOUT_S)
    found = shutil.which(CHROMIUM)
    assert found is not None, f"{CHROMIUM} is not installed and apt could not install it"
    return found


@dataclass
class PageWatch:
    """Problems a page reported while open, in order."""

    problems: list[str] = field(default_factory=list)
    expected: tuple[re.Pattern[str], ...] = ()  # console errors the test causes on purpose

    def attach(self, page: Page) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("request", self.on_request)
        page.on("websocket", self.on_websocket)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.expected):
            self.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_request(self, request: PageRequest) -> None:
        self.check_local(request.url)

    def on_websocket(self, socket: WebSocket) -> None:
        self.check_local(socket.url)

    def check_local(self, url: str) -> None:
        if not LOCAL_URL.match(url):
            self.problems.append(f"request off this machine: {url}")


@contextmanager
def open_page(
    browser: Browser,
    viewport: dict[str, int],
    mobile: bool = False,
    expected_errors: tuple[re.Pattern[str], ...] = (),
) -> Iterator[Page]:
    """A page in a fresh context (no state shared between tests); raises AssertionError when
    the context closes if the page reported any problem but the console errors
    ``expected_errors`` match."""
    context = browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=2 if mobile else 1,
        service_workers="block",
    )
    watch = PageWatch(expected=expected_errors)
    try:
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        page = context.new_page()
        watch.attach(page)
        yield page
    finally:
        context.close()
    assert not watch.problems, "the page reported problems:\n" + "\n".join(watch.problems)


def screenshots_dir() -> Path:
    return Path(os.environ.get(SCREENSHOTS_ENV) or DEFAULT_SCREENSHOTS)


def shot(page: Page, name: str) -> Path:
    """A full-page PNG of ``page`` named ``name`` in $DEPIND_SCREENSHOTS (default
    build/screenshots/explorer/); its path."""
    folder = screenshots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_its_width(page: Page) -> None:
    """Nothing makes the document wider than the viewport (tables scroll inside their box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None and width <= viewport["width"]
