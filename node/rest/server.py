"""The REST server: a Starlette app served by hypercorn's trio worker in the node's
nursery, beside JSON-RPC (node/rpc/server.py), on ``[api] address``.

Every request gets JSON: the answer, or grpc-gateway's error object. A body over
``max_body_bytes`` is refused unread (413), an answer over ``max_response_bytes``
is refused before it is encoded; unexpected exceptions are logged here and reach
the client as an Internal error without a traceback.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from consensus.tasks import TaskStatus
from node.config import APIConfig, parse_laddr
from node.listen import check_port
from node.rest import gateway
from node.rest.errors import HTTPError, error_response
from node.services import ServiceError, Status

if TYPE_CHECKING:
    from node.node import Node

log = logging.getLogger("depind.rest")


class RestEndpoint:
    """Every path and method: the route table (node/rest/routes.py) decides, so that unknown
    paths and methods get JSON errors as well."""

    def __init__(self, node: Node, limits: APIConfig) -> None:
        self.node = node
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        try:
            answer = await gateway.handle(
                self.node,
                request.method,
                request.scope["path"],
                request.query_params.multi_items(),
                await self.body(request),
                self.limits.max_response_bytes,
            )
        except ServiceError as error:
            return error_response(error)
        except Exception:
            log.exception("internal error answering %s %s", request.method, request.scope["path"])
            return error_response(ServiceError(Status.Internal, "internal error; see the node log"))
        headers = {"x-cosmos-block-height": str(answer.height)}
        return Response(answer.body, media_type="application/json", headers=headers)

    async def body(self, request: Request) -> bytes:
        if request.method != "POST":
            return b""
        try:
            body = await read_limited(request, self.limits.max_body_bytes)
        except ClientDisconnect:  # nobody is left to read the answer; nothing went wrong here
            raise HTTPError(Status.Canceled, "client disconnected", 499) from None
        if body is None:
            raise HTTPError(
                Status.ResourceExhausted, f"body exceeds max_body_bytes ({self.limits.max_body_bytes})", 413
            )
        return body


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None past ``limit`` bytes (declared, or as it streams in)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async with contextlib.aclosing(request.stream()) as stream:  # closed now, not by the GC, when cut short
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


def build_app(node: Node) -> Starlette:
    return Starlette(routes=[Route("/{path:path}", RestEndpoint(node, node.config.api))])


async def serve(node: Node, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve until cancelled; with ``[api] enable = false``, return at once."""
    settings = node.config.api
    if not settings.enable:
        task_status.started()
        return
    host, port = parse_laddr(settings.address)
    check_port(host, port, "REST server ([api] address)")
    config = HypercornConfig()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("depind.rest.server")
    config.graceful_timeout = 1.0
    app = build_app(node)
    async with trio.open_nursery() as nursery:
        await nursery.start(_serve, app, config)
        log.info("REST (Cosmos LCD) listening on http://%s:%d", host, port)
        task_status.started()


async def _serve(
    app: Starlette, config: HypercornConfig, *, task_status: TaskStatus[Any] = trio.TASK_STATUS_IGNORED
) -> None:
    await hypercorn_serve(app, config, task_status=task_status)  # type: ignore[arg-type]
