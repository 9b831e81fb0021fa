"""``GET /metrics``: the node's registry in Prometheus' text format, served by hypercorn's
trio worker in the node's nursery (as node/rpc/server.py and node/rest/server.py serve
theirs) on ``[instrumentation] prometheus_listen_addr``.

At most ``max_open_connections`` requests are served at once (0: no limit); past it a
scrape is answered 503 at once, so a flood of scrapes cannot queue work on the node.
Building the answer reads the committed state on the event loop, between blocks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from consensus.tasks import TaskStatus
from node.config import parse_laddr
from node.listen import check_port

if TYPE_CHECKING:
    from node.node import Node

log = logging.getLogger("depind.metrics")


class ScrapeLimit:
    """An ASGI wrapper that serves at most ``limit`` HTTP requests at once (0: any number)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self._slots = trio.Semaphore(limit) if limit > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._slots is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._slots.acquire_nowait()
        except trio.WouldBlock:
            busy = PlainTextResponse("too many open connections; try again later\n", status_code=503)
            await busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


def build_app(registry: CollectorRegistry, max_open_connections: int) -> ScrapeLimit:
    async def metrics(request: Request) -> Response:
        # Text format 0.0.4, which every Prometheus reads (CometBFT's too); the names need no escaping.
        return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    return ScrapeLimit(Starlette(routes=[Route("/metrics", metrics, methods=["GET"])]), max_open_connections)


async def serve(node: Node, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve until cancelled; with ``[instrumentation] prometheus = false``, return at once."""
    settings = node.config.instrumentation
    if not settings.prometheus:
        task_status.started()
        return
    host, port = parse_laddr(settings.prometheus_listen_addr)
    check_port(host, port, "metrics server ([instrumentation] prometheus_listen_addr)")
    config = HypercornConfig()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("depind.metrics.server")
    config.graceful_timeout = 1.0
    app = build_app(node.metrics.registry, settings.max_open_connections)
    async with trio.open_nursery() as nursery:
        await nursery.start(_serve, app, config)
        log.info("Prometheus metrics on http://%s:%d/metrics", host, port)
        task_status.started()


async def _serve(
    app: ScrapeLimit, config: HypercornConfig, *, task_status: TaskStatus[Any] = trio.TASK_STATUS_IGNORED
) -> None:
    await hypercorn_serve(app, config, task_status=task_status)  # type: ignore[arg-type]
