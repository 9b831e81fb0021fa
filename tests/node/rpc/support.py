"""Calling a node's RPC methods in process, as the server dispatches them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
import trio

from node.node import Node
from node.rpc import server
from node.rpc.errors import RPCError
from node.rpc.methods import Call

if TYPE_CHECKING:
    from consensus.tasks import TaskStatus


async def rpc(node: Node, method: str, **params: Any) -> Any:
    result = await server.dispatch(Call(node), method, params)
    json.dumps(result)  # every answer is plain JSON
    return result


async def rpc_error(node: Node, method: str, **params: Any) -> RPCError:
    with pytest.raises(RPCError) as caught:
        await rpc(node, method, **params)
    return caught.value


class Turns:
    """Counts the turns a task gets on the trio loop: how often other work lets it run."""

    def __init__(self) -> None:
        self.count = 0

    async def run(self, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await trio.lowlevel.checkpoint()
            self.count += 1
