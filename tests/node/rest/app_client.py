"""The REST app over an ``App`` alone (no running node): what module tests of the REST
routes need. The app reads only a node's ``app`` and ``config`` for module queries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from node.config import APIConfig
from node.node import Node
from node.rest.server import build_app
from vm.app import App


@dataclass
class Config:
    api: APIConfig = field(default_factory=APIConfig)


@dataclass
class AppNode:
    """What the REST app reads of a node for application queries: its app and config."""

    app: App
    config: Config = field(default_factory=Config)


def app_node(app: App) -> Node:
    return cast(Node, AppNode(app))


@asynccontextmanager
async def rest_client(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(node))
    async with httpx.AsyncClient(transport=transport, base_url="http://rest") as http:
        yield http


async def get_ok(rest: httpx.AsyncClient, path: str, height: int | None = None, **params: Any) -> Any:
    """The JSON of a 200 answer (given at ``height``, when one is named)."""
    response = await rest.get(path, params=params)
    assert response.status_code == 200, response.text
    if height is not None:
        assert response.headers["x-cosmos-block-height"] == str(height)
    return response.json()
