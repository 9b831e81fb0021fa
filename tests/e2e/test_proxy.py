"""The TCP forwarder the partition tests put between nodes: it forwards both ways,
``cut`` closes live connections and refuses new ones, ``heal`` lets them through,
and ``close`` leaves no thread behind."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.e2e.proxy import CHUNK_BYTES, HOST, TCPProxy

TIMEOUT_S = 5.0


class EchoServer:
    """Echoes whatever each connection sends, one thread per connection."""

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.accept_loop, daemon=True)]
        self.threads[0].start()

    def accept_loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(TIMEOUT_S)
            thread = threading.Thread(target=self.echo, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    @staticmethod
    def echo(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            while data := conn.recv(CHUNK_BYTES):
                conn.sendall(data)

    def close(self) -> None:
        self.stop.set()
        self.threads[0].join(TIMEOUT_S)
        self.listener.close()
        for thread in self.threads:
            thread.join(TIMEOUT_S)


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture
def proxy(echo: EchoServer) -> Iterator[TCPProxy]:
    forwarder = TCPProxy(echo.port, name="test")
    yield forwarder
    forwarder.close()


def connect(proxy: TCPProxy) -> socket.socket:
    return socket.create_connection((HOST, proxy.port), timeout=TIMEOUT_S)


def round_trip(conn: socket.socket, payload: bytes) -> bytes:
    conn.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = conn.recv(len(payload) - len(received))
        if not chunk:
            break
        received += chunk
    return received


def is_closed_by_peer(conn: socket.socket) -> bool:
    """True once the other end has closed: a read sees end of stream or a reset."""
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


def test_forwards_both_ways_larger_than_one_chunk(proxy: TCPProxy) -> None:
    payload = bytes(range(256)) * (3 * CHUNK_BYTES // 256 + 7)
    with connect(proxy) as conn:
        assert round_trip(conn, payload) == payload
    assert proxy.accepted == 1


def test_cut_closes_live_connections_and_refuses_new_ones(proxy: TCPProxy) -> None:
    with connect(proxy) as live:
        assert round_trip(live, b"before") == b"before"
        proxy.cut()
        assert is_closed_by_peer(live)
    with connect(proxy) as refused:  # the kernel accepts; the proxy closes at once
        assert is_closed_by_peer(refused)
    assert proxy.accepted == 1


def test_heal_forwards_again(proxy: TCPProxy) -> None:
    proxy.cut()
    proxy.heal()
    with connect(proxy) as conn:
        assert round_trip(conn, b"after") == b"after"


def test_target_down_closes_the_dialler() -> None:
    with socket.socket() as placeholder:
        placeholder.bind((HOST, 0))
        unused_port = placeholder.getsockname()[1]
    forwarder = TCPProxy(unused_port, name="nowhere")
    try:
        with connect(forwarder) as conn:
            assert is_closed_by_peer(conn)
    finally:
        forwarder.close()


def test_close_joins_every_thread(echo: EchoServer) -> None:
    forwarder = TCPProxy(echo.port, name="joined")
    conns = [connect(forwarder) for _ in range(3)]
    for conn in conns:
        assert round_trip(conn, b"x") == b"x"
    forwarder.close()
    for conn in conns:
        assert is_closed_by_peer(conn)
        conn.close()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("joined")]
