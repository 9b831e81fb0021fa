"""Per-peer channels: one long-lived libp2p stream per (peer, protocol) in each direction.

Consensus sends each peer what that peer lacks (CometBFT's consensus reactor),
so it needs an ordered, flow-controlled pipe per peer rather than gossip or a
stream per request. A channel carries frames framed as in ``direct``: a 4-byte
big-endian length, then that many bytes.

Outbound: the stream to a peer is opened by the first send and kept. Sends to
one peer are serialized by a lock per (peer, protocol), so frames leave in the
order their senders got the lock; sends to different peers run side by side.
Each write (the stream's opening included) is bounded by ``io_timeout_s``;
libp2p's yamux also fails a write that waits more than 5 s for the peer's
window. Either is ``ChannelStalledError``: the peer read nothing for that long, or
the connection under the stream is wedged (yamux writes its control frames from
the loop that reads, so two peers that both fill their send buffers stop
reading each other for good); the owner disconnects such a peer. Any failure
resets the stream and forgets it, since part of a frame may be on the wire; the
next send opens a new one. A peer's streams are forgotten when it disconnects,
and frames written on them may never have arrived: so a send after the peer
reconnects fails once (``ChannelError``, "lost") unless a failed send has told
the sender already, and the sender learns to send again what it cannot know
arrived (the consensus reactor restarts its routine for the peer).

Inbound: one loop per stream reads a frame and awaits the receiver before it
reads the next, so a slow receiver fills the stream's receive window and the
sender's writes wait: back-pressure reaches the sender through yamux's flow
control, and nothing is queued beyond the frame in hand. Waiting for the next
frame has no timeout (the stream is long-lived), but a frame's body must
follow its header within ``io_timeout_s``. A frame over the limit or a broken
one is the peer's fault: it is reported invalid and its stream reset. A late
body only resets the stream, and so does a stream that ends mid-frame: libp2p
reports the peer's half-close as it reports a dropped connection. Each peer
has at most one inbound stream per protocol: a new one replaces the older,
whose loop ends at its next read (a frame already read still reaches the
receiver).

Memory: we hold one frame per peer in each direction, one lock and one stream
per (peer, protocol) sent to, one loop per inbound stream. Below us, yamux
buffers what a stream's receive window lets in: it starts at 256 KiB and
grows, while the reader keeps up, to at most 16 MiB.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import trio
from libp2p.abc import IHost, INetStream
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID

from node.p2p import direct
from node.p2p.config import PeerId
from node.p2p.direct import NETWORK_ERRORS
from node.p2p.errors import ChannelError, ChannelStalledError, P2PError
from node.p2p.silence import SilenceWatch

logger = logging.getLogger(__name__)

ChannelHandler = Callable[[PeerId, bytes], Awaitable[None]]
"""``receive(peer, frame)``: takes one frame from a peer; the peer's next frame waits for it."""

_CHAIN_DEPTH = 8  # libp2p wraps a muxer's error once or twice
_RESET_TIMEOUT_S = 1.0  # a reset is one yamux frame; past this the connection is gone anyway
_LOST_TRACKED = 1024  # links whose loss is still to be told; the oldest is told no more


class ChannelPeers(Protocol):
    """What the channels ask of the node that owns them (the ``P2PNode``)."""

    def is_banned(self, peer_id: PeerId) -> bool: ...

    def report_invalid(self, peer_id: PeerId, reason: str) -> None: ...


@dataclass
class ChannelCounters:
    sent: int = 0  # frames written
    received: int = 0  # frames handed to a receiver
    send_failures: int = 0  # sends that raised ChannelError
    receive_failures: int = 0  # inbound streams reset for an oversized, broken or late frame


@dataclass(frozen=True)
class _Receiver:
    receive: ChannelHandler
    max_frame_bytes: int


@dataclass
class _Outbound:
    lock: trio.Lock = field(default_factory=trio.Lock)
    stream: INetStream | None = None


@dataclass
class _Inbound:
    stream: INetStream
    reading: trio.CancelScope = field(default_factory=trio.CancelScope)  # a new one per frame
    replaced: bool = False

    def replace(self) -> None:
        """End this stream's loop at its next read: a newer stream from the peer takes over."""
        self.replaced = True
        self.reading.cancel()


class Channels:
    """The node's channels: receivers by protocol, outbound streams, inbound loops."""

    def __init__(self, peers: ChannelPeers, io_timeout_s: float, default_max_frame_bytes: int) -> None:
        self._peers = peers
        self._io_timeout_s = io_timeout_s
        self._default_max_frame_bytes = default_max_frame_bytes
        self._receivers: dict[str, _Receiver] = {}
        self._outbound: dict[tuple[PeerId, str], _Outbound] = {}
        self._inbound: dict[tuple[PeerId, str], _Inbound] = {}
        self._lost: OrderedDict[tuple[PeerId, str], None] = OrderedDict()  # see ``drop_peer``
        self.silence = SilenceWatch()
        self.counters = ChannelCounters()

    def set_receiver(
        self, protocol: str, receive: ChannelHandler, max_frame_bytes: int, silence_s: float | None = None
    ) -> None:
        """``silence_s``: peers send a frame on ``protocol`` at least this often (``silence.py``)."""
        if max_frame_bytes <= 0:
            raise P2PError(f"max_frame_bytes must be positive, not {max_frame_bytes}")
        if silence_s is not None and silence_s <= 0:
            raise P2PError(f"silence_s must be positive, not {silence_s}")
        self._receivers[protocol] = _Receiver(receive, max_frame_bytes)
        if silence_s is not None:
            self.silence.expect_every(silence_s)

    def protocols(self) -> list[str]:
        return list(self._receivers)

    def serves(self, protocol: str) -> bool:
        return protocol in self._receivers

    def max_frame_bytes(self, protocol: str) -> int:
        """The protocol's own limit where we receive on it too, else ``max_message_bytes``."""
        receiver = self._receivers.get(protocol)
        return receiver.max_frame_bytes if receiver else self._default_max_frame_bytes

    # ---- outbound ----

    async def send(
        self, host: IHost, peer_id: PeerId, protocol: str, payload: bytes, *, connected: bool
    ) -> None:
        """Send one frame to ``peer_id`` (``connected``: whether we have a connection to it)."""
        try:
            self._check_send(peer_id, protocol, payload, connected)
            if (peer_id, protocol) in self._lost:
                raise ChannelError(f"the connection to {peer_id} was lost: frames sent may not have arrived")
            await self._send(host, peer_id, protocol, payload)
        except ChannelError:
            self._lost.pop((peer_id, protocol), None)  # a failed send tells the sender as much
            self.counters.send_failures += 1
            raise
        self.counters.sent += 1

    def _check_send(self, peer_id: PeerId, protocol: str, payload: bytes, connected: bool) -> None:
        if self._peers.is_banned(peer_id):
            raise ChannelError(f"peer {peer_id} is banned")
        if not connected:
            raise ChannelError(f"peer {peer_id} is not connected")
        limit = self.max_frame_bytes(protocol)
        if len(payload) > limit:
            raise ChannelError(f"{protocol} frame of {len(payload)} bytes exceeds the limit of {limit}")

    async def _send(self, host: IHost, peer_id: PeerId, protocol: str, payload: bytes) -> None:
        key = (peer_id, protocol)
        link = self._outbound.setdefault(key, _Outbound())
        async with link.lock:
            if self._outbound.get(key) is not link:
                raise ChannelError(f"peer {peer_id} disconnected while a {protocol} frame waited")
            try:
                with trio.fail_after(self._io_timeout_s):
                    await _write(link, payload, lambda: _open(host, peer_id, protocol))
            except trio.TooSlowError:
                raise ChannelStalledError(
                    f"{protocol} frame to {peer_id} timed out after {self._io_timeout_s} s"
                ) from None
            except NETWORK_ERRORS as exc:
                error = ChannelStalledError if waited_for_window(exc) else ChannelError
                raise error(f"{protocol} frame to {peer_id} failed: {exc!r}") from exc

    def drop_peer(self, peer_id: PeerId) -> None:
        """Forget a disconnected peer's outbound streams (they closed with its connection).

        A send waiting for the lock of a forgotten stream fails; the next one fails too if the
        stream had carried frames, then one opens a new stream.
        """
        self.silence.forget(peer_id)
        for key in [key for key in self._outbound if key[0] == peer_id]:
            if self._outbound.pop(key).stream is not None:
                self._lost[key] = None
                if len(self._lost) > _LOST_TRACKED:
                    self._lost.popitem(last=False)

    # ---- inbound ----

    async def serve(self, protocol: str, stream: INetStream, peer_id: PeerId) -> None:
        """Hand the peer's frames on ``stream`` to the protocol's receiver until the stream ends,
        breaks, is replaced or the peer is banned; then reset it. The receiver's exceptions propagate."""
        key = (peer_id, protocol)
        inbound = _Inbound(stream)
        older = self._inbound.get(key)
        self._inbound[key] = inbound
        if older is not None:
            older.replace()
        try:
            receive = self._receivers[protocol].receive
            while (payload := await self._next_frame(inbound, protocol, peer_id)) is not None:
                self.counters.received += 1
                self.silence.receiving(peer_id, trio.current_time())
                try:
                    await receive(peer_id, payload)
                finally:
                    self.silence.received(peer_id, trio.current_time())
        finally:
            if self._inbound.get(key) is inbound:
                del self._inbound[key]
            await _reset(stream)

    async def _next_frame(self, inbound: _Inbound, protocol: str, peer_id: PeerId) -> bytes | None:
        """The peer's next frame, or None once the stream should end."""
        if inbound.replaced or self._peers.is_banned(peer_id):
            return None
        limit = self._receivers[protocol].max_frame_bytes
        inbound.reading = trio.CancelScope()
        with inbound.reading:
            try:
                return await direct.read_frame(inbound.stream, limit, body_timeout_s=self._io_timeout_s)
            except direct.FrameError as exc:
                self.counters.receive_failures += 1
                self._peers.report_invalid(peer_id, f"invalid {protocol} frame: {exc}")
            except trio.TooSlowError:
                self.counters.receive_failures += 1
                logger.debug(
                    "%s frame from %s was not complete within %s s", protocol, peer_id, self._io_timeout_s
                )
            except NETWORK_ERRORS as exc:
                logger.debug("%s stream from %s ended: %r", protocol, peer_id, exc)
        return None


WINDOW_TIMEOUT = "Timed out waiting for window update"
"""How libp2p's yamux says a write waited 5 s for the peer's receive window."""


def waited_for_window(exc: BaseException) -> bool:
    """Whether ``exc``, or what it was raised from, is yamux's wait for the peer's window."""
    error: BaseException | None = exc
    for _ in range(_CHAIN_DEPTH):
        if error is None:
            return False
        if WINDOW_TIMEOUT in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


async def _open(host: IHost, peer_id: PeerId, protocol: str) -> INetStream:
    return await host.new_stream(ID.from_base58(peer_id), [TProtocol(protocol)])


async def _write(link: _Outbound, payload: bytes, open_stream: Callable[[], Awaitable[INetStream]]) -> None:
    """Write one frame on the link's stream, opening it if need be. On any failure or
    cancellation the stream is reset and forgotten: part of the frame may be on the wire."""
    try:
        if link.stream is None:
            link.stream = await open_stream()
        await direct.write_frame(link.stream, payload)
    except BaseException:
        stream, link.stream = link.stream, None
        if stream is not None:
            await _reset(stream)
        raise


async def _reset(stream: INetStream) -> None:
    # Shielded: it also runs while the caller is being cancelled (a timeout, the node stopping).
    with trio.CancelScope(shield=True), trio.move_on_after(_RESET_TIMEOUT_S):
        await stream.reset()  # libp2p's NetStream.reset does not raise
