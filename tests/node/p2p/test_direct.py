"""Direct-stream framing and serving, against an in-memory stream (no network)."""

from __future__ import annotations

import struct

import pytest
import trio

from node.p2p import direct
from node.p2p.config import PeerId
from node.p2p.errors import InvalidRequestError

PEER = PeerId("peer-a")


class FakeStream:
    """The part of a libp2p stream that direct.py uses: read, write, close, reset."""

    def __init__(self, incoming: bytes, chunk: int = 3) -> None:
        self._incoming = incoming
        self._chunk = chunk  # deliver in small pieces, as a network would
        self.written = b""
        self.closed = False
        self.was_reset = False

    async def read(self, n: int | None = None) -> bytes:
        await trio.lowlevel.checkpoint()
        size = min(n or self._chunk, self._chunk)
        piece, self._incoming = self._incoming[:size], self._incoming[size:]
        return piece

    async def write(self, data: bytes) -> None:
        await trio.lowlevel.checkpoint()
        self.written += data

    async def close(self) -> None:
        await trio.lowlevel.checkpoint()
        self.closed = True

    async def reset(self) -> None:
        await trio.lowlevel.checkpoint()
        self.was_reset = True


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


async def echo_reversed(peer: PeerId, payload: bytes) -> bytes:
    if payload == b"bad":
        raise InvalidRequestError("bad request")
    return payload[::-1]


async def serve(incoming: bytes, max_bytes: int = 100) -> tuple[direct.Outcome, FakeStream]:
    stream = FakeStream(incoming)
    outcome = await direct.serve(stream, PEER, echo_reversed, max_bytes, io_timeout_s=5)  # type: ignore[arg-type]
    return outcome, stream


async def test_read_frame_reassembles_a_frame_from_pieces() -> None:
    stream = FakeStream(frame(b"hello world") + b"rest")
    assert await direct.read_frame(stream, 100) == b"hello world"  # type: ignore[arg-type]


async def test_invalid_frame_over_the_limit() -> None:
    with pytest.raises(direct.FrameTooLargeError):
        await direct.read_frame(FakeStream(frame(b"x" * 11)), 10)  # type: ignore[arg-type]


async def test_invalid_frame_cut_short() -> None:
    with pytest.raises(direct.FrameError, match="ended after 2 of 5 bytes"):
        await direct.read_frame(FakeStream(frame(b"hello")[:6]), 10)  # type: ignore[arg-type]


async def test_serve_answers_with_ok_and_the_handlers_bytes() -> None:
    outcome, stream = await serve(frame(b"abc"))
    assert outcome is direct.Outcome.ANSWERED
    assert stream.written == frame(b"\x00cba")
    assert stream.closed


async def test_invalid_request_is_answered_with_the_reason() -> None:
    outcome, stream = await serve(frame(b"bad"))
    assert outcome is direct.Outcome.REJECTED
    assert stream.written == frame(b"\x01bad request")


async def test_invalid_oversized_request_is_rejected_without_an_answer() -> None:
    outcome, stream = await serve(frame(b"x" * 101))
    assert outcome is direct.Outcome.REJECTED
    assert stream.was_reset and stream.written == b""


async def test_invalid_truncated_request_is_a_failed_exchange() -> None:
    outcome, stream = await serve(frame(b"abc")[:5])
    assert outcome is direct.Outcome.FAILED
    assert stream.was_reset
