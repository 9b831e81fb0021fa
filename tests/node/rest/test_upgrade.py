"""The upgrade routes through the REST app, over a chain whose genesis schedules a plan and
records an applied one: Cosmos's paths and proto3 JSON (the plan's deprecated time as Go's
zero time, heights as strings, 0 for an upgrade never applied)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from node.node import Node
from tests.node.rest.app_client import app_node, get_ok, rest_client
from tests.vm.helpers import new_app
from tests.vm.upgrade.chain import upgrade_genesis
from tests.vm.upgrade.vectors import GOV

UPGRADE = "/cosmos/upgrade/v1beta1"


@pytest.fixture(scope="module")
def node() -> Node:
    return app_node(new_app(upgrade_genesis(plan=("v3", 40), applied={"v2": 7}, info="notes")))


@pytest.fixture
async def rest(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    async with rest_client(node) as http:
        yield http


async def get(rest: httpx.AsyncClient, path: str) -> Any:
    return await get_ok(rest, UPGRADE + path, height=0)


async def test_current_plan(rest: httpx.AsyncClient) -> None:
    assert await get(rest, "/current_plan") == {
        "plan": {
            "name": "v3",
            "time": "0001-01-01T00:00:00Z",
            "height": "40",
            "info": "notes",
        }
    }


async def test_applied_plan(rest: httpx.AsyncClient) -> None:
    assert await get(rest, "/applied_plan/v2") == {"height": "7"}
    assert await get(rest, "/applied_plan/v9") == {"height": "0"}


async def test_authority(rest: httpx.AsyncClient) -> None:
    assert await get(rest, "/authority") == {"address": GOV}
