"""``TCPProxy``: a threaded TCP forwarder on 127.0.0.1 whose links a test can cut.

It listens on a free port and forwards each accepted connection to ``target_port``,
one thread per direction, each moving at most ``CHUNK_BYTES`` at a time (a slow
receiver holds the sender back; nothing queues in the proxy). ``cut`` closes every
live connection and makes the proxy close new ones at once, ``heal`` lets them
through again, ``close`` stops everything and joins every thread.

libp2p authenticates the remote peer id end to end (Noise), so the forwarder is
transparent to it: a node dialled through the proxy sees the dialler's identity.
"""

from __future__ import annotations

import contextlib
import socket
import threading

HOST = "127.0.0.1"
CHUNK_BYTES = 64 * 1024
ACCEPT_POLL_S = 0.1  # how often the accept loop looks at the stop flag
CONNECT_TIMEOUT_S = 2.0
JOIN_TIMEOUT_S = 5.0
BACKLOG = 16


class ProxyError(Exception):
    """A proxy thread did not stop in time."""


class _Link:
    """One forwarded connection: the accepted socket and the one to the target."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.sockets = (client, upstream)
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._pumps_left = 2
        self._closed = False

    def start(self, name: str) -> None:
        client, upstream = self.sockets
        for source, sink, direction in ((client, upstream, "out"), (upstream, client, "in")):
            thread = threading.Thread(
                target=self._pump, args=(source, sink), name=f"{name}-{direction}", daemon=True
            )
            self.threads.append(thread)
            thread.start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        """Copy ``source`` to ``sink`` until end of stream or an error (a cut, a reset)."""
        try:
            while chunk := source.recv(CHUNK_BYTES):
                sink.sendall(chunk)
            sink.shutdown(socket.SHUT_WR)  # pass the half-close on
        except OSError:
            self.close()
        self._pump_done()

    def _pump_done(self) -> None:
        with self._lock:
            self._pumps_left -= 1
            finished = self._pumps_left == 0
        if finished:
            self.close()

    def close(self) -> None:
        """Shut both sockets down (which wakes a pump blocked on either) and close them."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for sock in self.sockets:
            with contextlib.suppress(OSError):  # already shut down by the peer
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def is_done(self) -> bool:
        return not any(thread.is_alive() for thread in self.threads)


class TCPProxy:
    """Forward ``127.0.0.1:port`` (a free port, chosen at construction) to
    ``127.0.0.1:target_port``; started by the constructor."""

    def __init__(self, target_port: int, name: str = "proxy") -> None:
        self.target_port = target_port
        self.name = name
        self.accepted = 0  # connections accepted while healed (cut ones are not counted)
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._cut = False
        self._stop = threading.Event()
        self._listener = socket.create_server((HOST, 0), backlog=BACKLOG)
        self._listener.settimeout(ACCEPT_POLL_S)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"{name}-accept", daemon=True)
        self._acceptor.start()

    def __repr__(self) -> str:
        return f"TCPProxy({self.name}: {self.port} -> {self.target_port})"

    def cut(self) -> None:
        """Close every live connection; from now on close new ones at once."""
        with self._lock:
            self._cut = True
            links = list(self._links)
        for link in links:
            link.close()

    def heal(self) -> None:
        """Forward new connections again."""
        with self._lock:
            self._cut = False

    def is_cut(self) -> bool:
        with self._lock:
            return self._cut

    def close(self) -> None:
        """Stop accepting, close every connection and join every thread."""
        self._stop.set()
        self.cut()
        self._acceptor.join(JOIN_TIMEOUT_S)
        self._listener.close()
        with self._lock:
            threads = [self._acceptor, *(thread for link in self._links for thread in link.threads)]
        for thread in threads:
            thread.join(JOIN_TIMEOUT_S)
        stuck = [thread.name for thread in threads if thread.is_alive()]
        if stuck:
            raise ProxyError(f"{self!r}: threads still running after close: {', '.join(stuck)}")

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listener was closed
            self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        client.settimeout(None)
        if self.is_cut():
            _close_now(client)
            return
        try:
            upstream = socket.create_connection((HOST, self.target_port), timeout=CONNECT_TIMEOUT_S)
        except OSError:  # the target is down: the dialler sees its connection closed
            _close_now(client)
            return
        upstream.settimeout(None)
        link = _Link(client, upstream)
        with self._lock:
            admitted = not self._cut and not self._stop.is_set()
            if admitted:
                self._links = [kept for kept in self._links if not kept.is_done()]
                self._links.append(link)
                self.accepted += 1
        if not admitted:  # cut while the target was being dialled
            link.close()
            return
        link.start(f"{self.name}-{self.accepted}")


def _close_now(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
