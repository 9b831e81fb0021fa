"""Checking a listen address before a server binds it."""

from __future__ import annotations

import socket


def check_port(host: str, port: int, what: str) -> None:
    """Fail with one clear line naming ``what`` (the server and its setting) if the address
    cannot be bound: hypercorn would fail deep in nested exception groups, and leak its socket."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as hypercorn binds
            probe.bind((host, port))
    except OSError as error:
        reason = error.strerror or str(error)
        raise OSError(f"{what} cannot listen on {host}:{port}: {reason}") from None
