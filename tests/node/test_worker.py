"""The worker's plumbing: where it connects, and that it waits for a missing node and stops
when told (its work on leases is tested against a real node in tests/e2e/test_market.py)."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from node.client import Client, Signer
from node.keys.hd import PrivateKey
from node.worker import Worker, WorkerConfig, chunks, run, websocket_url


@pytest.mark.parametrize(
    ("node", "url"),
    [
        ("http://127.0.0.1:26657", "ws://127.0.0.1:26657/websocket"),
        ("tcp://127.0.0.1:26657", "ws://127.0.0.1:26657/websocket"),
        ("127.0.0.1:26657", "ws://127.0.0.1:26657/websocket"),
        ("https://rpc.example.org", "wss://rpc.example.org/websocket"),
    ],
)
def test_websocket_url(node: str, url: str) -> None:
    assert websocket_url(node) == url


def test_chunks_keep_order_and_size() -> None:
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 3)) == []


def test_waits_for_a_missing_node_and_stops_when_told(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    node = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    with Client(node, timeout=2) as client:
        worker = Worker(
            client, Signer(client, PrivateKey(bytes([7]) * 32)), WorkerConfig(reconnect_max_s=0.4)
        )
        thread = threading.Thread(target=run, args=(worker, node, stop))
        with caplog.at_level(logging.WARNING, logger="depind.worker"):
            thread.start()
            time.sleep(1.5)
            stop.set()
            thread.join(timeout=5)
    assert not thread.is_alive()
    retries = [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]
    assert len(retries) >= 3, retries  # 0.5 s, then at most reconnect_max_s between tries
    assert all(f"127.0.0.1:{port}" in text for text in retries)
