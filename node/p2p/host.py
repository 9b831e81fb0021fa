"""``P2PNode``: the node's libp2p host, gossip, direct streams, channels and peer management.

Start it with ``await nursery.start(node.run)``; it runs until cancelled.
One task tree owns everything: the libp2p host and its services, one
keep-connected task per persistent peer (so all are dialled in parallel), and
the one task that disconnects peers (banned, stalled, over ``max_peers``).
Cancelling ``run`` closes every socket before it returns.

Back-pressure, end to end:
- ``publish`` waits while any peer's outbound queue is a quarter full, so a fast
  publisher runs at the pace of the network instead of overflowing the queue.
  A peer whose queue stays full for ``send_stall_timeout_s`` is disconnected
  (logged and counted) so one stuck peer cannot stall consensus.
- Received messages go to the subscriber's bounded channel without waiting.
  libp2p handles each received message in a task of its own, so waiting there
  would not slow the sender: it would pile up tasks (and the relay to other
  peers) without bound. A subscriber that falls ``subscription_buffer``
  messages behind therefore loses messages, each one counted in
  ``statistics().dropped_inbound`` and logged.
- A channel's receiver (see ``node.p2p.channel``) is awaited frame by frame, so
  a slow one slows its peer's sender through the stream's flow control.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import trio
from libp2p.abc import IHost, INetConn, INetStream, INetwork, INotifee
from libp2p.custom_types import TProtocol
from libp2p.network.swarm import Swarm
from libp2p.peer.id import ID
from libp2p.peer.peerstore import PERMANENT_ADDR_TTL
from libp2p.pubsub.pb import rpc_pb2
from libp2p.tools.anyio_service import background_trio_service
from multiaddr import Multiaddr

from consensus.tasks import TaskStatus
from node.p2p import direct
from node.p2p.channel import ChannelHandler, Channels
from node.p2p.config import P2PConfig, PeerAddr, PeerId, parse_listen_addr
from node.p2p.direct import NETWORK_ERRORS, DirectHandler
from node.p2p.errors import (
    ChannelStalledError,
    DirectRequestError,
    MessageTooLargeError,
    NotRunningError,
    P2PError,
    PeerBannedError,
    unwrap_group,
)
from node.p2p.gossip import CountingGossipSub, FlowControlledPubsub, build_router
from node.p2p.keys import NodeKey
from node.p2p.peers import PeerBook, backoff_delay
from node.p2p.teardown import close_connection
from node.p2p.transport import build_host, check_listening, swarm_of

logger = logging.getLogger(__name__)

_CLOSE_TIMEOUT_S = 5.0
_SHUTDOWN_LIMIT_S = 10.0  # a clean shutdown takes well under a second
_BAN_TICK_S = 1.0
_SILENCE_TICK_S = 1.0
_SILENCE_LATE_S = 2.0  # a tick this late: our loop was blocked or starved
_CONNECTED_RECHECK_S = 5.0
_BANNED = "banned"
_STALLED = "stalled"
_JOINED_BUFFER = 64

Message = tuple[PeerId, bytes]
"""A gossip message: the peer that published it (signed by it) and the payload."""

GossipValidator = Callable[[PeerId, bytes], bool]
"""``validator(origin, payload)``: whether a gossip message is worth delivering and relaying."""


@dataclass(frozen=True)
class P2PStatistics:
    peer_id: PeerId
    peers: int
    published: int
    delivered: int  # gossip messages handed to subscribers
    dropped_inbound: int  # a subscriber's buffer was full (logged)
    dropped_outbound: int  # libp2p refused an outbound RPC (logged)
    send_backlog: int  # RPCs in the fullest per-peer outbound queue now
    publish_waits: int  # publishes that waited for a peer's queue to drain
    stalled_disconnects: int
    dials: int
    dial_failures: int
    refused_connections: int  # banned peers, or beyond max_peers
    direct_answered: int
    direct_rejected: int
    channel_sent: int  # frames
    channel_received: int
    channel_send_failures: int  # sends that raised ChannelError
    channel_receive_failures: int  # inbound streams reset: a frame oversized, broken or late
    banned: tuple[PeerId, ...]


@dataclass
class _Counters:
    published: int = 0
    delivered: int = 0
    dropped_inbound: int = 0
    dropped_outbound: int = 0
    publish_waits: int = 0
    stalled_disconnects: int = 0
    dials: int = 0
    dial_failures: int = 0
    refused_connections: int = 0
    direct_answered: int = 0
    direct_rejected: int = 0


@dataclass
class _Session:
    """What exists while ``run`` runs."""

    host: IHost
    swarm: Swarm
    pubsub: FlowControlledPubsub
    router: CountingGossipSub
    nursery: trio.Nursery
    own_id: ID
    subscriptions: dict[str, trio.MemorySendChannel[Message]] = field(default_factory=dict)


class P2PNode:
    def __init__(self, config: P2PConfig, key: NodeKey) -> None:
        self.config = config
        self.key = key
        self._book = PeerBook(config.invalid_penalty, config.ban_threshold, config.ban_duration_s)
        self._handlers: dict[str, DirectHandler] = {}
        self._response_limits: dict[str, int] = {}
        self._channels = Channels(self, config.request_timeout_s, config.max_message_bytes)
        self._counters = _Counters()
        self._session: _Session | None = None
        self._started = False
        self._persistent = {addr.peer_id for addr in config.persistent_peer_addrs}
        self._evict_send, self._evict_recv = trio.open_memory_channel[tuple[ID, str]](math.inf)
        self._queue_drained = trio.Event()
        self._disconnected: dict[PeerId, trio.Event] = {}
        # Each peer accepted on connecting, for whoever resends to newcomers what they missed;
        # when no one keeps up, the newest are dropped: a resend is due anyway.
        self._joined_send, self.joined_peers = trio.open_memory_channel[PeerId](_JOINED_BUFFER)
        self._stop = trio.Event()
        self._libp2p_scope = trio.CancelScope(shield=True)

    @property
    def peer_id(self) -> PeerId:
        return self.key.peer_id

    # ---- lifecycle ----

    async def run(self, *, task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Listen, dial, gossip until cancelled; ``task_status.started()`` once listening."""
        if self._started:
            raise P2PError("a P2PNode runs once; make a new one to start again")
        self._started = True
        try:
            await self._run(task_status)
        except BaseExceptionGroup as group:
            leaf = unwrap_group(group, logger)
            if leaf is group:
                raise
            raise leaf from None

    async def _run(self, task_status: TaskStatus[None]) -> None:
        async with trio.open_nursery() as nursery:
            try:
                await nursery.start(self._serve)
                task_status.started()
                await trio.sleep_forever()
            finally:
                self._stop.set()  # _serve then shuts libp2p down in order
                # ... within a limit: past it, libp2p is cancelled outright rather than hang us.
                self._libp2p_scope.deadline = trio.current_time() + _SHUTDOWN_LIMIT_S

    async def _serve(self, task_status: TaskStatus[None]) -> None:
        """Run libp2p until ``_stop`` is set, shielded from our caller's cancellation.

        libp2p closes a connection's socket only if that close is not itself
        cancelled; under a plain cancellation every libp2p task is cancelled at
        once and sockets leak. So libp2p never sees the caller's cancellation:
        on ``_stop`` our own tasks end first, then the host closes its
        connections and listeners, and only then do libp2p's services stop.
        """
        host = build_host(self.key, self.config)
        router = build_router(self.config, self)
        pubsub = FlowControlledPubsub(host, router, self, self.config)
        host.get_network().register_notifee(_ConnectionWatcher(self))
        for protocol in [*self._handlers, *self._channels.protocols()]:
            host.set_stream_handler(TProtocol(protocol), self._stream_handler(protocol))
        with self._libp2p_scope:
            async with host.run(listen_addrs=[parse_listen_addr(self.config.listen_addr)]):
                check_listening(host, self.config.listen_addr)
                # libp2p's auto-connector dials peers from the peerstore (ours included, banned
                # or not) to reach (low + high watermark) / 2 connections; we decide whom to dial.
                await swarm_of(host).auto_connector.stop()
                async with background_trio_service(pubsub), background_trio_service(router):
                    try:
                        await pubsub.wait_until_ready()
                        async with trio.open_nursery() as nursery:
                            self._session = _Session(
                                host, swarm_of(host), pubsub, router, nursery, host.get_id()
                            )
                            self._start_tasks(nursery)
                            task_status.started()
                    finally:
                        self._end_session()
                        # Connections close while pubsub still runs: its read loops would
                        # otherwise spawn tasks into its stopped service and fail.
                        with trio.move_on_after(_CLOSE_TIMEOUT_S):
                            await host.close()

    def _start_tasks(self, nursery: trio.Nursery) -> None:
        nursery.start_soon(self._cancel_on_stop, nursery.cancel_scope)
        nursery.start_soon(self._evict_loop)
        nursery.start_soon(self._ban_expiry_loop)
        nursery.start_soon(self._silence_loop)
        for target in self.config.persistent_peer_addrs:
            if target.peer_id != self.peer_id:
                nursery.start_soon(self._keep_connected, target)
        for seed in self.config.seed_addrs:
            if seed.peer_id != self.peer_id and seed.peer_id not in self._persistent:
                nursery.start_soon(self._dial, seed)

    async def _cancel_on_stop(self, scope: trio.CancelScope) -> None:
        await self._stop.wait()
        scope.cancel()

    def _end_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            for channel in session.subscriptions.values():
                channel.close()  # subscribers' ``async for`` ends

    def _require_session(self) -> _Session:
        if self._session is None:
            raise NotRunningError("the p2p node is not running")
        return self._session

    # ---- gossip ----

    async def subscribe(self, topic: str) -> trio.MemoryReceiveChannel[Message]:
        """Messages from peers on ``topic`` (not our own), until the node stops.

        One subscriber per topic. The channel holds ``subscription_buffer``
        messages; beyond that messages are dropped, counted and logged.
        """
        session = self._require_session()
        self._check_topic(topic)
        if topic in session.subscriptions:
            raise P2PError(f"already subscribed to {topic!r}")
        send, receive = trio.open_memory_channel[Message](self.config.subscription_buffer)
        session.subscriptions[topic] = send
        await session.pubsub.subscribe(topic)
        return receive

    async def publish(self, topic: str, payload: bytes) -> None:
        """Gossip ``payload`` to the topic's peers; waits while a peer's send queue is a quarter full."""
        session = self._require_session()
        self._check_topic(topic)
        self._check_size(payload)
        await self._wait_for_send_room(session)
        await session.pubsub.publish(topic, payload)
        self._counters.published += 1

    def set_validator(self, topic: str, validator: GossipValidator) -> None:
        """Peers' gossip on ``topic`` is delivered and relayed only if ``validator(origin,
        payload)`` holds (libp2p caches the verdict per message id). Our own messages are
        not screened: we publish them because they are wanted."""
        session = self._require_session()
        self._check_topic(topic)
        own = session.own_id

        def check(forwarder: ID, message: rpc_pb2.Message) -> bool:
            origin = ID(message.from_id)
            return origin == own or validator(PeerId(origin.to_base58()), message.data)

        session.pubsub.set_topic_validator(topic, check, False)

    def topic_peers(self, topic: str) -> list[PeerId]:
        """Peers in our gossip mesh for ``topic`` (they receive what we publish there)."""
        session = self._require_session()
        return sorted(PeerId(peer.to_base58()) for peer in session.router.mesh.get(topic, ()))

    async def wait_for_mesh_peer(self, topic: str, peer_id: PeerId) -> None:
        """Wait until ``peer_id`` is in our gossip mesh for ``topic`` (bound it with ``trio.fail_after``)."""
        session = self._require_session()
        await session.router.wait_for_mesh(ID.from_base58(peer_id), topic, timeout=math.inf)

    async def _wait_for_send_room(self, session: _Session) -> None:
        while stalled := self._full_queues(session):
            self._counters.publish_waits += 1
            with trio.move_on_after(self.config.send_stall_timeout_s) as waited:
                await self._queue_drained.wait()
            if waited.cancelled_caught:
                for peer in stalled & self._full_queues(session):
                    logger.warning("peer %s has not drained its send queue; disconnecting it", peer)
                    self._counters.stalled_disconnects += 1
                    self._evict_send.send_nowait((peer, _STALLED))

    def _full_queues(self, session: _Session) -> set[ID]:
        # A quarter: relayed messages enter the same queues without waiting, so they get the rest.
        high_water = max(1, self.config.send_queue_size // 4)
        backlog = session.pubsub.backlog()
        return {peer for peer, size in backlog.items() if size >= high_water and self._is_connected(peer)}

    # GossipEvents, called by the pubsub layer

    def deliver(self, message: rpc_pb2.Message) -> None:
        session = self._session
        origin = ID(message.from_id)
        if session is None or origin == session.own_id:
            return
        sender = PeerId(origin.to_base58())
        for topic in message.topicIDs:
            channel = session.subscriptions.get(topic)
            if channel is not None:
                self._offer(session, topic, channel, (sender, message.data))

    def _offer(
        self, session: _Session, topic: str, channel: trio.MemorySendChannel[Message], message: Message
    ) -> None:
        try:
            channel.send_nowait(message)
        except trio.WouldBlock:
            self._counters.dropped_inbound += 1
            drops = self._counters.dropped_inbound
            if drops & (drops - 1) == 0:  # log the 1st, 2nd, 4th, 8th ... drop
                logger.warning(
                    "subscriber of %s is too slow: %d gossip messages dropped so far", topic, drops
                )
            return
        except trio.BrokenResourceError:
            del session.subscriptions[topic]  # the subscriber closed its channel: it wants no more
            return
        self._counters.delivered += 1

    def sent(self) -> None:
        self._wake_publishers()

    def malformed(self, peer: ID) -> None:
        self.report_invalid(PeerId(peer.to_base58()), "malformed pubsub RPC")

    def dropped(self, peer: ID, reason: str) -> None:
        self._counters.dropped_outbound += 1
        logger.warning("libp2p dropped an outbound gossip RPC to %s (%s)", peer, reason)

    def _wake_publishers(self) -> None:
        self._queue_drained.set()
        self._queue_drained = trio.Event()

    # ---- direct streams ----

    def set_direct_handler(
        self, protocol: str, handler: DirectHandler, max_response_bytes: int | None = None
    ) -> None:
        """Answer requests on ``protocol`` (e.g. ``/depind/blocksync/1``) with ``handler``;
        its answers may be up to ``max_response_bytes`` (default: ``max_message_bytes``)."""
        self._check_protocol(protocol, taken=self._channels.serves(protocol))
        self._handlers[protocol] = handler
        self._response_limits[protocol] = max_response_bytes or self.config.max_message_bytes
        self._register_protocol(protocol)

    def _check_protocol(self, protocol: str, *, taken: bool) -> None:
        if not protocol.startswith("/"):
            raise P2PError(f"protocol id {protocol!r} must start with '/'")
        if taken:
            raise P2PError(f"protocol {protocol!r} is already used for direct requests or a channel")

    def _register_protocol(self, protocol: str) -> None:
        if self._session is not None:  # else _serve registers it at start-up
            self._session.host.set_stream_handler(TProtocol(protocol), self._stream_handler(protocol))

    async def send_direct(
        self, peer_id: PeerId, protocol: str, payload: bytes, max_response_bytes: int | None = None
    ) -> bytes:
        """One request/response with ``peer_id``, bounded by ``request_timeout_s``; the answer
        may be up to ``max_response_bytes`` (default: ``max_message_bytes``).

        Raises ``DirectRequestError`` if it fails, times out or is rejected.
        """
        limit = max_response_bytes or self.config.max_message_bytes
        session = self._require_session()
        self._check_size(payload)
        if self.is_banned(peer_id):
            raise PeerBannedError(f"peer {peer_id} is banned")
        timeout = self.config.request_timeout_s
        try:
            with trio.fail_after(timeout):
                return await direct.request(session.host, ID.from_base58(peer_id), protocol, payload, limit)
        except trio.TooSlowError:
            raise DirectRequestError(f"{protocol} request to {peer_id} timed out after {timeout} s") from None

    def _stream_handler(self, protocol: str) -> direct.StreamHandler:
        async def on_stream(stream: INetStream) -> None:
            await self._serve_stream(protocol, stream)

        return on_stream

    async def _serve_stream(self, protocol: str, stream: INetStream) -> None:
        """Serve in our nursery: a handler's exception then stops the node instead of vanishing in libp2p."""
        session = self._session
        peer = PeerId(stream.muxed_conn.peer_id.to_base58())
        if session is None or self._stop.is_set() or self.is_banned(peer):
            await stream.reset()
            return
        serve = self._serve_channel if self._channels.serves(protocol) else self._serve_request
        done = trio.Event()
        try:
            session.nursery.start_soon(serve, protocol, stream, peer, done)
        except RuntimeError:  # the nursery has closed: we are shutting down
            await stream.reset()
            return
        await done.wait()

    async def _serve_request(self, protocol: str, stream: INetStream, peer: PeerId, done: trio.Event) -> None:
        try:
            handler, limit = self._handlers[protocol], self.config.max_message_bytes
            outcome = await direct.serve(
                stream,
                peer,
                handler,
                limit,
                io_timeout_s=self.config.request_timeout_s,
                max_response_bytes=self._response_limits.get(protocol),
            )
        finally:
            done.set()
        if outcome is direct.Outcome.ANSWERED:
            self._counters.direct_answered += 1
        elif outcome is direct.Outcome.REJECTED:
            self._counters.direct_rejected += 1
            self.report_invalid(peer, f"rejected {protocol} request")

    # ---- channels (see node/p2p/channel.py) ----

    def set_channel(
        self, protocol: str, receive: ChannelHandler, max_frame_bytes: int, silence_s: float | None = None
    ) -> None:
        """Frames from peers on ``protocol`` go to ``receive`` one at a time per peer, in order
        (awaited: a slow receiver slows that peer's sender, through the stream's flow control).

        Frames over ``max_frame_bytes`` cost the peer score; our own sends on ``protocol``
        are held to the same limit. With ``silence_s``, a connected peer that sends no frame
        for that long is disconnected as stalled (``silence.py``)."""
        self._check_protocol(protocol, taken=protocol in self._handlers)
        self._channels.set_receiver(protocol, receive, max_frame_bytes, silence_s)
        self._register_protocol(protocol)

    async def send_on_channel(self, peer_id: PeerId, protocol: str, payload: bytes) -> None:
        """Send one frame to ``peer_id``; raises ``ChannelError`` if the peer is not connected,
        is banned, the frame exceeds the limit, or the stream breaks or the write takes longer
        than ``request_timeout_s``.

        The limit is the protocol's ``max_frame_bytes`` where we ``set_channel`` it, else
        ``max_message_bytes``. Sends to one peer go one at a time, in the order they are made."""
        session = self._require_session()
        connected = self._is_connected(ID.from_base58(peer_id))
        try:
            await self._channels.send(session.host, peer_id, protocol, payload, connected=connected)
        except ChannelStalledError as exc:
            logger.warning("peer %s is not reading its channel (%s); disconnecting it", peer_id, exc)
            self._counters.stalled_disconnects += 1
            self._evict_send.send_nowait((ID.from_base58(peer_id), _STALLED))
            raise

    async def _serve_channel(self, protocol: str, stream: INetStream, peer: PeerId, done: trio.Event) -> None:
        try:
            await self._channels.serve(protocol, stream, peer)
        finally:
            done.set()

    # ---- peers, scores, bans ----

    def peers(self) -> list[PeerId]:
        session = self._require_session()
        return sorted(PeerId(peer.to_base58()) for peer in session.host.get_connected_peers())

    def remote_addrs(self, peer_id: PeerId) -> list[str]:
        """The addresses of our open connections to ``peer_id`` (theirs, as we see them)."""
        session = self._require_session()
        return [
            str(addr)
            for conn in session.swarm.get_connections(ID.from_base58(peer_id))
            if not conn.is_closed
            for addr in conn.get_transport_addresses()
        ]

    def listen_addrs(self) -> list[str]:
        """Where peers can dial us, each ending in ``/p2p/<our peer id>``."""
        return [str(addr) for addr in self._require_session().host.get_addrs()]

    def report_invalid(self, peer_id: PeerId, reason: str) -> None:
        """Lower the peer's score; at the threshold it is banned: disconnected and refused."""
        now = trio.current_time()
        if self._book.is_banned(peer_id, now):
            return  # already paid for; a flood must not flood the log too
        banned = self._book.report_invalid(peer_id, now)
        logger.info(
            "peer %s sent invalid data (%s); score %d", peer_id, reason, self._book.score(peer_id, now)
        )
        if banned and self._session is not None:
            logger.warning("banning peer %s for %.0f s", peer_id, self.config.ban_duration_s)
            peer = ID.from_base58(peer_id)
            self._session.pubsub.add_to_blacklist(peer)  # drops its gossip, even when relayed by others
            self._evict_send.send_nowait((peer, _BANNED))

    def is_banned(self, peer_id: PeerId) -> bool:
        return self._book.is_banned(peer_id, trio.current_time())

    def score(self, peer_id: PeerId) -> int:
        return self._book.score(peer_id, trio.current_time())

    async def _evict_loop(self) -> None:
        """The one place that disconnects peers: banned, stalled, or over ``max_peers``."""
        session = self._require_session()
        async for peer, reason in self._evict_recv:
            if reason == _BANNED and not self.is_banned(PeerId(peer.to_base58())):
                continue  # the ban ended while this waited: keep the connection
            logger.debug("disconnecting %s (%s)", peer, reason)
            # Not host.disconnect: libp2p's close_peer forgets (without closing) any connection
            # to the peer that opens while it closes the old ones.
            for conn in session.swarm.get_connections(peer):
                await close_connection(conn, abort=reason == _STALLED)

    async def _silence_loop(self) -> None:
        """Disconnect the peers silent on their channels for longer than the channels allow."""
        watch = self._channels.silence
        last = trio.current_time()
        while True:
            await trio.sleep(_SILENCE_TICK_S)
            now = trio.current_time()
            if now - last > _SILENCE_TICK_S + _SILENCE_LATE_S:
                watch.restart(now)  # we were not reading either: no peer is to blame
            last = now
            for peer_id in watch.silent(self.peers(), now):
                logger.warning("peer %s sent no frame for %.0f s; disconnecting it", peer_id, watch.limit_s)
                self._counters.stalled_disconnects += 1
                self._evict_send.send_nowait((ID.from_base58(peer_id), _STALLED))

    async def _ban_expiry_loop(self) -> None:
        while True:
            self._lift_expired_bans()
            await trio.sleep(_BAN_TICK_S)

    def _lift_expired_bans(self) -> None:
        session = self._session
        for peer_id in self._book.expire(trio.current_time()):
            logger.info("ban of peer %s has ended", peer_id)
            if session is not None:
                peer = ID.from_base58(peer_id)
                session.pubsub.remove_from_blacklist(peer)
                if self._is_connected(peer):
                    # Connected while banned, pubsub refused to open its stream: open it now.
                    session.nursery.start_soon(session.pubsub.ensure_peer_stream, peer)

    def _on_connected(self, peer: ID) -> None:
        if self._session is None:
            return  # connected before start-up finished or after shutdown began
        self._lift_expired_bans()  # before pubsub looks at its blacklist for this peer
        peer_id = PeerId(peer.to_base58())
        self._channels.silence.heard(peer_id, trio.current_time())  # a new connection's clock
        if self.is_banned(peer_id):
            reason = _BANNED
        elif peer_id not in self._persistent and len(self.peers()) > self.config.max_peers:
            reason = f"max_peers ({self.config.max_peers}) reached"
        else:
            with contextlib.suppress(trio.WouldBlock):
                self._joined_send.send_nowait(peer_id)
            return
        logger.info("refusing peer %s: %s", peer_id, reason)
        self._counters.refused_connections += 1
        self._evict_send.send_nowait((peer, reason))

    def _on_disconnected(self, peer: ID) -> None:
        if self._is_connected(peer):
            return  # another connection to the same peer is still open
        peer_id = PeerId(peer.to_base58())
        self._channels.drop_peer(peer_id)
        event = self._disconnected.pop(peer_id, None)
        if event is not None:
            event.set()
        self._wake_publishers()  # its queue no longer counts as full

    def _is_connected(self, peer: ID) -> bool:
        session = self._session
        if session is None:
            return False
        return any(not conn.is_closed for conn in session.swarm.get_connections(peer))

    # ---- dialling ----

    async def _keep_connected(self, target: PeerAddr) -> None:
        """Keep one persistent peer connected, re-dialling with exponential back-off."""
        peer, failures = ID.from_base58(target.peer_id), 0
        while True:
            await trio.sleep(self._book.ban_remaining(target.peer_id, trio.current_time()))
            if self._is_connected(peer) or await self._dial(target):
                failures = await self._hold_connection(peer, failures)
            else:
                failures += 1
                await trio.sleep(self._backoff(failures))

    async def _hold_connection(self, peer: ID, failures: int) -> int:
        """Wait for the connection to drop; returns the failure count for the next dial.

        A connection that lasted less than the maximum back-off counts as a
        failure (and is followed by the back-off), so a peer that accepts and
        then drops us is not re-dialled in a tight loop.
        """
        opened = trio.current_time()
        while self._is_connected(peer):
            # Woken by the disconnect notification; the timeout re-checks in case libp2p
            # stops tracking a connection without notifying.
            with trio.move_on_after(_CONNECTED_RECHECK_S):
                await self._disconnected.setdefault(PeerId(peer.to_base58()), trio.Event()).wait()
        if trio.current_time() - opened >= self.config.reconnect_backoff_max_s:
            return 0
        await trio.sleep(self._backoff(failures + 1))
        return failures + 1

    def _backoff(self, failures: int) -> float:
        return backoff_delay(
            failures, self.config.reconnect_backoff_base_s, self.config.reconnect_backoff_max_s
        )

    async def _dial(self, target: PeerAddr) -> bool:
        session = self._require_session()
        peer = ID.from_base58(target.peer_id)
        self._counters.dials += 1
        # Only the configured address: identify replaces a connected peer's addresses with
        # the listen addresses it advertises, and libp2p dials just one TCP address per peer,
        # so a re-dial would otherwise go to an advertised address that may not be reachable
        # from here (NAT, a proxy, a port forward) instead of the one the operator gave.
        peerstore = session.host.get_peerstore()
        peerstore.clear_addrs(peer)
        peerstore.add_addrs(peer, [target.addr], PERMANENT_ADDR_TTL)
        # libp2p refuses for 60 s to re-dial a peer whose dial failed; our back-off decides instead.
        session.swarm.unblock_peer(peer)
        with trio.move_on_after(self.config.dial_timeout_s):
            try:
                # Not host.connect: it returns at once while a closed connection is still listed.
                await session.swarm.dial_peer(peer)
                return True
            except NETWORK_ERRORS as exc:
                logger.debug("dial %s failed: %r", target, exc)
        self._counters.dial_failures += 1
        return False

    # ---- introspection and checks ----

    def statistics(self) -> P2PStatistics:
        session, c = self._session, self._counters
        backlog = session.pubsub.backlog() if session else {}
        return P2PStatistics(
            peer_id=self.peer_id,
            peers=len(self.peers()) if session else 0,
            published=c.published,
            delivered=c.delivered,
            dropped_inbound=c.dropped_inbound,
            dropped_outbound=c.dropped_outbound,
            send_backlog=max(backlog.values(), default=0),
            publish_waits=c.publish_waits,
            stalled_disconnects=c.stalled_disconnects,
            dials=c.dials,
            dial_failures=c.dial_failures,
            refused_connections=c.refused_connections,
            direct_answered=c.direct_answered,
            direct_rejected=c.direct_rejected,
            channel_sent=self._channels.counters.sent,
            channel_received=self._channels.counters.received,
            channel_send_failures=self._channels.counters.send_failures,
            channel_receive_failures=self._channels.counters.receive_failures,
            banned=tuple(self._book.banned(trio.current_time())),
        )

    def _check_topic(self, topic: str) -> None:
        if topic not in self.config.topics:
            raise P2PError(f"unknown topic {topic!r}; configured topics: {', '.join(self.config.topics)}")

    def _check_size(self, payload: bytes) -> None:
        if len(payload) > self.config.max_message_bytes:
            raise MessageTooLargeError(
                f"payload of {len(payload)} bytes exceeds max_message_bytes ({self.config.max_message_bytes})"
            )


class _ConnectionWatcher(INotifee):
    """Forwards libp2p's connection events to the node."""

    def __init__(self, node: P2PNode) -> None:
        self._node = node

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        self._node._on_connected(conn.muxed_conn.peer_id)
        await trio.lowlevel.checkpoint()

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        self._node._on_disconnected(conn.muxed_conn.peer_id)
        await trio.lowlevel.checkpoint()

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        await trio.lowlevel.checkpoint()

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        await trio.lowlevel.checkpoint()

    async def listen(self, network: INetwork, multiaddr: Multiaddr) -> None:
        await trio.lowlevel.checkpoint()

    async def listen_close(self, network: INetwork, multiaddr: Multiaddr) -> None:
        await trio.lowlevel.checkpoint()


def adopt_libp2p_logging() -> None:
    """Send libp2p's log records through the node's logging, at WARNING and above.

    Importing libp2p detaches its "libp2p" logger (no handlers, no propagation), so
    its warnings reached stderr raw through logging's last-resort handler. A dial to
    a peer that is not up yet is an ERROR there; here it is routine (the
    keep-connected loop retries with back-off and counts failures), so the TCP
    transport's logger is raised to CRITICAL."""
    libp2p_logger = logging.getLogger("libp2p")
    libp2p_logger.propagate = True
    libp2p_logger.setLevel(logging.WARNING)
    for name, child in list(logging.root.manager.loggerDict.items()):
        # Some libp2p modules set INFO on their own loggers: hold them to WARNING as well.
        if name.startswith("libp2p.") and isinstance(child, logging.Logger) and child.level < logging.WARNING:
            child.setLevel(logging.NOTSET if child.level == logging.NOTSET else logging.WARNING)
    logging.getLogger("libp2p.transport.tcp.tcp").setLevel(logging.CRITICAL)
