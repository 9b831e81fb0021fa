"""Calling a node's RPC methods in process, as the server dispatches them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from node.node import Node
from node.rpc import server
from node.rpc.errors import RPCError
from node.rpc.methods import Call


async def rpc(node: Node, method: str, **params: Any) -> Any:
    result = await server.dispatch(Call(node), method, params)
    json.dumps(result)  # every answer is plain JSON
    return result


async def rpc_error(node: Node, method: str, **params: Any) -> RPCError:
    with pytest.raises(RPCError) as caught:
        await rpc(node, method, **params)
    return caught.value
