"""The explorer loads in Debian's chromium from the world's node: its title, its first JSON-RPC
call answered through config.json's endpoint, no console error, and a screenshot."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from tests.explorer.browser import shot
from tests.explorer.world import World

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser]


def test_the_explorer_loads_in_chromium(page: Page, world: World) -> None:
    def is_rpc(response: Response) -> bool:
        return response.request.method == "POST" and response.url == f"{world.rpc_url}/"

    with page.expect_response(is_rpc) as first_call:
        page.goto(world.explorer_url)
    expect(page).to_have_title(re.compile("depind"))
    assert first_call.value.ok
    assert shot(page, "smoke").stat().st_size > 0
