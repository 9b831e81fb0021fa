"""``depind explorer``: the explorer's pages served by a process of their own, against any node.

The pages talk only to this server: it relays their JSON-RPC (POST /rpc) to the node's
JSON-RPC and their WebSocket (/websocket) to the node's, so a browser needs no access to the
node and the node no CORS. config.json says so: ``{"rpc": "/rpc", "websocket": "/websocket"}``.

It is a process apart from the node, so it runs on asyncio: hypercorn's asyncio worker, httpx
and ``websockets``. Every relay is bounded: the size of a request, of an answer and of a
WebSocket message, and the time the node may take. A node that cannot be reached, or answers
too much, becomes a JSON-RPC error object with a stable code; a relayed WebSocket closes as
soon as either side closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

import httpx
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from node.config import ConfigError, parse_laddr
from node.explorer import site
from node.rpc.errors import NODE_UNAVAILABLE, REQUEST_TOO_LARGE, RESPONSE_TOO_LARGE, RPCError

log = logging.getLogger("depind.explorer")

ENDPOINTS = site.Endpoints(rpc="/rpc", websocket="/websocket")
# WebSocket close codes (RFC 6455): the node could not be reached, or refused the connection.
CLOSE_UNREACHABLE = 1011
CLOSE_TRY_AGAIN = 1013
UNSENDABLE_CODES = frozenset({1005, 1006, 1015})  # only ever reported, never sent in a close frame
MAX_REASON_BYTES = 123  # what a close frame holds
CLOSE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Limits:
    """What relaying may cost. A request, an answer and a message are limited as the node's
    defaults limit them (``[rpc]`` max_body_bytes and max_response_bytes, with room for the
    envelope of the node's own error), and so many may be in flight at once."""

    max_body_bytes: int = 1_000_000  # a request, over HTTP or the WebSocket
    max_response_bytes: int = 16 * 1024 * 1024 + 1024  # an answer
    max_message_bytes: int = 16 * 1024 * 1024 + 1024  # from the node's WebSocket: a block's event
    max_requests: int = 16  # relayed at once; more wait for one of these (up to timeout_s)
    max_websockets: int = 100
    timeout_s: float = 30.0  # to connect, and between bytes; broadcast_tx_commit waits 10 s


@dataclass(frozen=True)
class NodeURLs:
    """The node's JSON-RPC (http) and WebSocket (ws) URLs."""

    rpc: str
    websocket: str

    @classmethod
    def parse(cls, node: str) -> NodeURLs:
        """From ``http(s)://host:port`` or ``tcp://host:port`` (``host:port`` is http)."""
        text = node if "://" in node else f"http://{node}"
        try:
            url = httpx.URL(text.replace("tcp://", "http://", 1))
        except httpx.InvalidURL as exc:
            raise ConfigError(f"invalid node URL {node!r}: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(f"invalid node URL {node!r}: expected http://host:port")
        base = str(url.copy_with(query=None, fragment=None)).rstrip("/")
        socket_scheme = "wss" if url.scheme == "https" else "ws"
        return cls(rpc=base + "/", websocket=socket_scheme + base[len(url.scheme) :] + "/websocket")


@dataclass
class Relay:
    """The node relayed to, and what relaying holds: the HTTP client, the open WebSockets."""

    node: NodeURLs
    limits: Limits
    http: httpx.AsyncClient
    websockets: int = 0


def build_app(node: NodeURLs, limits: Limits = Limits()) -> Starlette:
    """The pages at /explorer/, / redirecting there, and the two relays to ``node``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Relay]]:
        pool = httpx.Limits(
            max_connections=limits.max_requests, max_keepalive_connections=limits.max_requests
        )
        async with httpx.AsyncClient(timeout=limits.timeout_s, limits=pool) as http:
            yield {"relay": Relay(node, limits, http)}

    async def relay_rpc(request: Request) -> Response:
        return await forward_rpc(request.state.relay, request)

    async def relay_socket(websocket: WebSocket) -> None:
        await relay_websocket(websocket.state.relay, websocket)

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{site.PREFIX}/")

    return Starlette(
        routes=[
            Route("/", home),
            *site.routes(ENDPOINTS),
            Route(ENDPOINTS.rpc, relay_rpc, methods=["POST"]),
            WebSocketRoute(ENDPOINTS.websocket, relay_socket),
        ],
        lifespan=lifespan,
    )


# -- JSON-RPC over HTTP ------------------------------------------------------------------------


async def forward_rpc(relay: Relay, request: Request) -> Response:
    """POST the body to the node; its answer as it gave it, or a JSON-RPC error."""
    limits, url = relay.limits, relay.node.rpc
    body = await read_at_most(request.stream(), limits.max_body_bytes)
    if body is None:
        detail = f"body exceeds {limits.max_body_bytes} bytes"
        return rpc_error(None, RPCError(REQUEST_TOO_LARGE, detail), status_code=413)
    headers = {"content-type": "application/json"}
    try:
        async with relay.http.stream("POST", url, content=body, headers=headers) as answer:
            data = await read_at_most(answer.aiter_bytes(), limits.max_response_bytes)
    except httpx.HTTPError as exc:
        detail = f"cannot reach the node at {url}: {exc or type(exc).__name__}"
        return rpc_error(request_id(body), RPCError(NODE_UNAVAILABLE, detail), status_code=502)
    if data is None:
        detail = f"the node's answer exceeds {limits.max_response_bytes} bytes"
        return rpc_error(request_id(body), RPCError(RESPONSE_TOO_LARGE, detail), status_code=502)
    media_type = answer.headers.get("content-type", "application/json")
    return Response(data, status_code=answer.status_code, media_type=media_type)


async def read_at_most(chunks: AsyncIterator[bytes], limit: int) -> bytes | None:
    """The bytes of ``chunks`` together, or None as soon as they pass ``limit``."""
    parts, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def request_id(body: bytes) -> Any:
    """The id of a single request, for its error; None for a batch or anything unreadable."""
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return None
    found = message.get("id") if isinstance(message, dict) else None
    return found if isinstance(found, str | int) and not isinstance(found, bool) else None


def rpc_error(request_id: Any, error: RPCError, status_code: int) -> JSONResponse:
    return JSONResponse({"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}, status_code)


# -- the WebSocket -------------------------------------------------------------------------------


async def relay_websocket(relay: Relay, websocket: WebSocket) -> None:
    """Accept the browser, connect to the node's WebSocket and relay messages both ways until
    either side closes; then close the other, passing on the node's close code."""
    await websocket.accept()
    if relay.websockets >= relay.limits.max_websockets:
        await websocket.close(code=CLOSE_TRY_AGAIN, reason="too many WebSocket clients")
        return
    relay.websockets += 1
    try:
        code, reason = await relay_to_node(relay, websocket)
    finally:
        relay.websockets -= 1
    if websocket.application_state == WebSocketState.CONNECTED:
        await websocket.close(code=code, reason=reason.encode()[:MAX_REASON_BYTES].decode(errors="ignore"))


async def relay_to_node(relay: Relay, websocket: WebSocket) -> tuple[int, str]:
    """Relay until either side closes; the close code and reason for the browser."""
    url, limits = relay.node.websocket, relay.limits
    try:
        async with ws_connect(
            url,
            max_size=limits.max_message_bytes,
            open_timeout=limits.timeout_s,
            close_timeout=CLOSE_TIMEOUT_S,
        ) as upstream:
            await first_to_end(to_node(websocket, upstream), to_browser(upstream, websocket))
    except InvalidStatus as exc:
        return CLOSE_TRY_AGAIN, f"the node refused the WebSocket (HTTP {exc.response.status_code})"
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        log.info("cannot open the WebSocket %s: %s", url, exc)
        return CLOSE_UNREACHABLE, "cannot reach the node's WebSocket"
    if upstream.close_code is None or upstream.close_code in UNSENDABLE_CODES:
        return CLOSE_UNREACHABLE, "the node's WebSocket closed"
    return upstream.close_code, upstream.close_reason or ""


async def to_node(websocket: WebSocket, upstream: ClientConnection) -> None:
    """The browser's messages to the node, until the browser leaves or the node closes."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await upstream.send(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send(message["bytes"])


async def to_browser(upstream: ClientConnection, websocket: WebSocket) -> None:
    """The node's messages to the browser, until the node closes or the browser leaves."""
    with contextlib.suppress(ConnectionClosed, WebSocketDisconnect):
        async for message in upstream:
            if isinstance(message, str):
                await websocket.send_text(message)
            else:
                await websocket.send_bytes(message)


async def first_to_end(*jobs: Awaitable[None]) -> None:
    """Run ``jobs`` until the first one returns (or raises); cancel the others."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()  # an unexpected failure is raised, not swallowed


# -- serving -----------------------------------------------------------------------------------


def run(node: str, listen: str, limits: Limits = Limits()) -> None:
    """Serve the explorer on ``listen`` (``host:port``; port 0: any free one) against ``node``
    until SIGINT or SIGTERM."""
    urls = NodeURLs.parse(node)
    listener = bind(listen)
    host, port = listener.getsockname()[:2]
    config = HypercornConfig()
    config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns the socket from here
    config.accesslog = None
    config.errorlog = logging.getLogger("depind.explorer.server")
    config.websocket_max_message_size = limits.max_body_bytes  # the browser sends requests
    config.graceful_timeout = 1.0
    log.info("explorer at http://%s:%d%s/ for the node at %s", host, port, site.PREFIX, urls.rpc)
    asyncio.run(hypercorn_serve(build_app(urls, limits), config))  # type: ignore[arg-type]


def bind(listen: str) -> socket.socket:
    """A socket bound to ``listen``: here, so that a port in use is one clear error."""
    host, port = parse_laddr(listen)
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise ConfigError(f"cannot listen on {listen}: {exc.strerror or exc}") from None
    return listener
