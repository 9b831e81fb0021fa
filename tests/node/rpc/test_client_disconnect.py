"""A client that leaves before its request body arrives (a client's timeout on a busy node)
is no error of the node's: the JSON-RPC app, served by real hypercorn on 127.0.0.1 as the
node serves it, logs no traceback for it."""

from __future__ import annotations

import functools
import logging
import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve

from node.config import Config, ExplorerConfig
from node.rpc import server
from tests.e2e.harness import free_port

PARTIAL_BODY = b'{"jsonrpc": "2.0", "id": 1, "meth'
WAIT_S = 10.0


@dataclass
class ConfigOnlyNode:
    """What building the app reads of a node: its config."""

    config: Config = field(default_factory=lambda: Config(explorer=ExplorerConfig(enabled=False)))


async def test_a_client_gone_before_its_body_arrives_logs_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = server.build_app(ConfigOnlyNode())  # type: ignore[arg-type]
    answered = trio.Event()

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        try:
            await app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                answered.set()

    port = free_port()
    config = HypercornConfig()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("depind.rpc.server")  # as server.serve sets it
    with caplog.at_level(logging.ERROR, logger="depind.rpc.server"):
        async with trio.open_nursery() as nursery:
            await nursery.start(functools.partial(serve, watched, config))
            await trio.to_thread.run_sync(leave_mid_request, port)
            with trio.fail_after(WAIT_S):
                await answered.wait()
            nursery.cancel_scope.cancel()
    assert [record.getMessage() for record in caplog.records] == []


def leave_mid_request(port: int) -> None:
    """Send the headers and part of the body, then close the connection."""
    head = (
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as client:
        client.sendall(head.encode() + PARTIAL_BODY)
