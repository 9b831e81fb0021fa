"""Point-to-point request/response over libp2p streams (block sync, blob and proof fetches).

One stream per request. Both directions carry one frame: a 4-byte big-endian
length, then that many bytes. The response frame starts with a status byte:
``OK`` then the handler's bytes, or ``REJECTED`` then the reason (UTF-8).
Reads and writes have a size limit and a timeout; a peer that sends an
oversized frame or a request the handler rejects is reported invalid.
"""

from __future__ import annotations

import enum
import math
import struct
from collections.abc import Awaitable, Callable

import trio
from libp2p.abc import IHost, INetStream
from libp2p.custom_types import TProtocol
from libp2p.exceptions import BaseLibp2pError
from libp2p.peer.id import ID

from node.p2p.config import PeerId
from node.p2p.errors import DirectRequestError, InvalidRequestError

DirectHandler = Callable[[PeerId, bytes], Awaitable[bytes]]
"""Answers one request from a peer; raises ``InvalidRequestError`` to reject it."""
StreamHandler = Callable[[INetStream], Awaitable[None]]

_HEADER = struct.Struct(">I")
_STATUS_OK = b"\x00"
_STATUS_REJECTED = b"\x01"
_MAX_REASON_BYTES = 512
# What a dropped or broken peer connection raises: libp2p errors, socket errors.
NETWORK_ERRORS = (BaseLibp2pError, OSError, trio.BrokenResourceError, trio.ClosedResourceError)


class FrameError(Exception):
    """A frame that ended early or exceeds the size limit."""


class FrameTooLargeError(FrameError):
    pass


class Outcome(enum.Enum):
    ANSWERED = "answered"
    REJECTED = "rejected"  # the handler or the frame limit refused the request
    FAILED = "failed"  # the stream broke or timed out


async def request(host: IHost, peer: ID, protocol: str, payload: bytes, max_bytes: int) -> bytes:
    """Send one request and return the response body; ``DirectRequestError`` on any failure.

    No timeout of its own: the caller bounds the whole exchange.
    """
    try:
        stream = await host.new_stream(peer, [TProtocol(protocol)])
        try:
            await write_frame(stream, payload)
            response = await read_frame(stream, max_bytes + len(_STATUS_OK))
        finally:
            await stream.close()
    except (FrameError, *NETWORK_ERRORS) as exc:
        raise DirectRequestError(f"{protocol} request to {peer} failed: {exc!r}") from exc
    return _response_body(protocol, peer, response)


async def serve(
    stream: INetStream,
    peer: PeerId,
    handler: DirectHandler,
    max_bytes: int,
    *,
    io_timeout_s: float,
    max_response_bytes: int | None = None,
) -> Outcome:
    """Answer one request on ``stream``; exceptions other than network errors propagate.

    Requests are limited to ``max_bytes``, responses to ``max_response_bytes`` (the same
    unless the protocol says otherwise). Reading the request and writing the response each
    get ``io_timeout_s``; the handler itself is not timed (it is our own code).
    """
    try:
        with trio.fail_after(io_timeout_s):
            payload = await read_frame(stream, max_bytes)
        response = await _answer(handler, peer, payload, max_response_bytes or max_bytes)
        with trio.fail_after(io_timeout_s):
            await write_frame(stream, response)
            await stream.close()
    except FrameTooLargeError:
        await stream.reset()
        return Outcome.REJECTED
    except (trio.TooSlowError, FrameError, *NETWORK_ERRORS):
        await stream.reset()
        return Outcome.FAILED
    return Outcome.ANSWERED if response.startswith(_STATUS_OK) else Outcome.REJECTED


async def _answer(handler: DirectHandler, peer: PeerId, payload: bytes, max_bytes: int) -> bytes:
    try:
        body = await handler(peer, payload)
    except InvalidRequestError as exc:
        return _STATUS_REJECTED + str(exc).encode()[:_MAX_REASON_BYTES]
    if len(body) > max_bytes:
        # The handler's bug, not the peer's: say so instead of sending what the peer must refuse.
        return _STATUS_REJECTED + f"response of {len(body)} bytes exceeds the limit".encode()
    return _STATUS_OK + body


def _response_body(protocol: str, peer: ID, response: bytes) -> bytes:
    status, body = response[:1], response[1:]
    if status == _STATUS_OK:
        return body
    if status == _STATUS_REJECTED:
        reason = body.decode(errors="replace")
        raise DirectRequestError(f"{protocol} request rejected by {peer}: {reason}")
    raise DirectRequestError(f"{protocol} response from {peer} has unknown status {status!r}")


async def write_frame(stream: INetStream, payload: bytes) -> None:
    await stream.write(_HEADER.pack(len(payload)) + payload)


async def read_frame(stream: INetStream, max_bytes: int, body_timeout_s: float = math.inf) -> bytes:
    """One frame's body; once the header has arrived, the body must follow within ``body_timeout_s``."""
    (length,) = _HEADER.unpack(await _read_exactly(stream, _HEADER.size))
    if length > max_bytes:
        raise FrameTooLargeError(f"frame of {length} bytes exceeds the limit of {max_bytes}")
    with trio.fail_after(body_timeout_s):
        return await _read_exactly(stream, length)


async def _read_exactly(stream: INetStream, size: int) -> bytes:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = await stream.read(size - len(buffer))
        if not chunk:
            raise FrameError(f"stream ended after {len(buffer)} of {size} bytes")
        buffer += chunk
    return bytes(buffer)
