"""node/metrics/server.py: ``GET /metrics`` in Prometheus' text format, served in process by
hypercorn as the node serves it; scrapes past ``max_open_connections`` are refused with 503."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
import trio
from prometheus_client import CollectorRegistry, Gauge

from node.config import parse_laddr
from node.listen import check_port
from node.metrics.server import ScrapeLimit, build_app, serve
from node.node import Node
from tests.node.metrics.support import parse, values


def registry_with_height(height: int) -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("height", "Height of the chain.", namespace="depind", subsystem="consensus", registry=registry).set(
        height
    )
    return registry


async def test_the_node_serves_its_registry_over_http(node: Node, nursery: trio.Nursery) -> None:
    await nursery.start(serve, node)
    host, port = parse_laddr(node.config.instrumentation.prometheus_listen_addr)
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"http://{host}:{port}/metrics")
        missing = await http.get(f"http://{host}:{port}/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = parse(answer.text)
    assert values(families["depind_consensus_validators"]) == {"": 0}  # no engine has run
    assert values(families["depind_market_offers"], "state") == {"active": 0, "paused": 0, "closed": 0}
    assert missing.status_code == 404


async def test_prometheus_off_serves_nothing(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = dataclasses.replace(node.config.instrumentation, prometheus=False)
    monkeypatch.setattr(node, "config", dataclasses.replace(node.config, instrumentation=settings))
    with trio.fail_after(5):
        await serve(node)  # returns at once
    host, port = parse_laddr(settings.prometheus_listen_addr)
    check_port(host, port, "metrics")  # nothing took the port


async def test_invalid_port_in_use_is_one_clear_line(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = dataclasses.replace(
            node.config.instrumentation, prometheus_listen_addr=f"127.0.0.1:{port}"
        )
        monkeypatch.setattr(node, "config", dataclasses.replace(node.config, instrumentation=settings))
        expected = rf"\(\[instrumentation\] prometheus_listen_addr\) cannot listen on 127\.0\.0\.1:{port}: "
        with trio.fail_after(5), pytest.raises(OSError, match=expected):
            await serve(node)


async def test_invalid_method_and_path() -> None:
    transport = httpx.ASGITransport(app=build_app(registry_with_height(3), 3))
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as http:
        assert (await http.post("/metrics")).status_code == 405
        assert (await http.get("/metrics/x")).status_code == 404
        assert values(parse((await http.get("/metrics")).text)["depind_consensus_height"]) == {"": 3}


class HeldScrape:
    """One ASGI request to ``/metrics`` whose answer the client reads only when released, so it
    holds its slot meanwhile."""

    def __init__(self) -> None:
        self.started = trio.Event()
        self.release = trio.Event()
        self.status = 0

    async def run(self, app: ScrapeLimit) -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self.started.set()
                await self.release.wait()

        await app(scrape_scope(), receive, send)


def scrape_scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/metrics",
        "raw_path": b"/metrics",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 26660),
    }


@pytest.mark.parametrize(("limit", "third"), [(2, 503), (0, 200)])
async def test_scrapes_past_max_open_connections_are_refused(limit: int, third: int) -> None:
    app = build_app(registry_with_height(1), limit)
    held = [HeldScrape(), HeldScrape(), HeldScrape()]
    async with trio.open_nursery() as nursery:
        for scrape in held:
            nursery.start_soon(scrape.run, app)
            with trio.fail_after(5):
                await scrape.started.wait()
        assert [scrape.status for scrape in held] == [200, 200, third]
        for scrape in held:
            scrape.release.set()
    after = HeldScrape()
    after.release.set()
    await after.run(app)
    assert after.status == 200  # the slots are free again
