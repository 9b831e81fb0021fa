"""Per-peer channels between real P2PNodes on 127.0.0.1: order, limits, restarts, back-pressure."""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field, replace

import pytest
import trio
from libp2p.custom_types import TProtocol
from libp2p.network.stream.exceptions import StreamError
from libp2p.peer.id import ID
from libp2p.stream_muxer.exceptions import MuxedStreamError
from libp2p.stream_muxer.yamux.yamux import YamuxStream

from consensus.tasks import TaskStatus
from node.p2p import direct
from node.p2p.channel import WINDOW_TIMEOUT, waited_for_window
from node.p2p.config import PeerId
from node.p2p.direct import NETWORK_ERRORS
from node.p2p.errors import ChannelError, ChannelStalledError, P2PError
from node.p2p.host import P2PNode
from node.p2p.keys import NodeKey
from tests.node.p2p.netutil import (
    TEST_CONFIG,
    LocalNetwork,
    eventually,
    free_port,
    run_member,
    running_network,
)

pytestmark = pytest.mark.slow

CHANNEL = "/depind/test-channel/1"
LIMIT = 2 * 1024 * 1024


@dataclass
class Inbox:
    """A channel receiver that records frames; while ``gate`` is unset it holds each frame."""

    frames: list[tuple[PeerId, bytes]] = field(default_factory=list)
    gate: trio.Event | None = None

    async def receive(self, peer: PeerId, payload: bytes) -> None:
        self.frames.append((peer, payload))
        if self.gate is not None:
            await self.gate.wait()

    def payloads(self, peer: PeerId) -> list[bytes]:
        return [payload for sender, payload in self.frames if sender == peer]


def all_connected(network: LocalNetwork) -> bool:
    return all(len(node.peers()) == len(network.members) - 1 for node in network.nodes)


async def send_all(sender: P2PNode, peer: PeerId, payloads: list[bytes]) -> None:
    for payload in payloads:
        await sender.send_on_channel(peer, CHANNEL, payload)


async def tick(talker: P2PNode, listener: P2PNode, count: int) -> None:
    """``count`` frames from ``talker`` to ``listener``, one every 0.3 s."""
    for _ in range(count):
        await talker.send_on_channel(listener.peer_id, CHANNEL, b"tick")
        await trio.sleep(0.3)


async def test_frames_arrive_in_order_and_complete() -> None:
    async with running_network(2) as network:
        receiver, sender = network.nodes
        inbox = Inbox()
        receiver.set_channel(CHANNEL, inbox.receive, LIMIT)  # after run: registered at once
        payloads = [b"", b"a", bytes(range(256)) * 4096] + [f"frame {i}".encode() for i in range(200)]
        with trio.fail_after(20):
            await eventually(lambda: all_connected(network))
            await send_all(sender, receiver.peer_id, payloads)
            await eventually(lambda: len(inbox.frames) == len(payloads))
        assert inbox.payloads(sender.peer_id) == payloads
        assert sender.statistics().channel_sent == len(payloads)
        assert receiver.statistics().channel_received == len(payloads)


async def test_two_peers_send_at_once() -> None:
    async with running_network(3) as network:
        inboxes = [Inbox() for _ in network.nodes]
        for node, inbox in zip(network.nodes, inboxes, strict=True):
            node.set_channel(CHANNEL, inbox.receive, LIMIT)
        hub, left, right = network.nodes
        frames = {
            node.peer_id: [f"{node.peer_id} {i}".encode() for i in range(300)] for node in network.nodes
        }
        with trio.fail_after(30):
            await eventually(lambda: all_connected(network))
            async with trio.open_nursery() as nursery:
                for leaf in (left, right):  # both leaves send to the hub while it sends to both
                    nursery.start_soon(send_all, leaf, hub.peer_id, frames[leaf.peer_id])
                    nursery.start_soon(send_all, hub, leaf.peer_id, frames[hub.peer_id])
            await eventually(lambda: len(inboxes[0].frames) == 600)
            await eventually(lambda: len(inboxes[1].frames) == len(inboxes[2].frames) == 300)
        assert inboxes[0].payloads(left.peer_id) == frames[left.peer_id]
        assert inboxes[0].payloads(right.peer_id) == frames[right.peer_id]
        assert inboxes[1].payloads(hub.peer_id) == inboxes[2].payloads(hub.peer_id) == frames[hub.peer_id]


async def test_invalid_oversized_frame_costs_the_sender_and_the_channel_recovers() -> None:
    async with running_network(2) as network:
        receiver, sender = network.nodes
        inbox = Inbox()
        receiver.set_channel(CHANNEL, inbox.receive, 1024)  # the sender has no limit of its own here
        with trio.fail_after(20):
            await eventually(lambda: all_connected(network))
            await sender.send_on_channel(receiver.peer_id, CHANNEL, b"before")
            await sender.send_on_channel(receiver.peer_id, CHANNEL, b"x" * 1025)
            await eventually(lambda: receiver.score(sender.peer_id) == -TEST_CONFIG.invalid_penalty)
            assert receiver.statistics().channel_receive_failures == 1

            # Frames written before the sender sees the reset are lost; the first write after it
            # fails, and the next send opens a new stream.
            failures = 0
            for attempt in range(100):
                try:
                    await sender.send_on_channel(receiver.peer_id, CHANNEL, f"after {attempt}".encode())
                except ChannelError:
                    failures += 1
                if len(inbox.frames) > 1:
                    break
                await trio.sleep(0.05)
            await eventually(lambda: len(inbox.frames) > 1)
        assert failures >= 1
        assert sender.statistics().channel_send_failures == failures
        assert inbox.payloads(sender.peer_id)[0] == b"before"
        assert inbox.payloads(sender.peer_id)[1].startswith(b"after ")
        assert receiver.score(sender.peer_id) == -TEST_CONFIG.invalid_penalty  # charged once


async def test_invalid_sends_raise_channel_error() -> None:
    async with running_network(2) as network:
        judge, culprit = network.nodes
        judge.set_channel(CHANNEL, Inbox().receive, 16)
        with trio.fail_after(20):
            await eventually(lambda: all_connected(network))
            with pytest.raises(ChannelError, match="not connected"):
                await judge.send_on_channel(NodeKey.generate().peer_id, CHANNEL, b"x")
            with pytest.raises(ChannelError, match="exceeds the limit of 16"):
                await judge.send_on_channel(culprit.peer_id, CHANNEL, b"x" * 17)
            for _ in range(-TEST_CONFIG.ban_threshold // TEST_CONFIG.invalid_penalty):
                judge.report_invalid(culprit.peer_id, "invalid vote")
            with pytest.raises(ChannelError, match="banned"):
                await judge.send_on_channel(culprit.peer_id, CHANNEL, b"x")
        assert judge.statistics().channel_send_failures == 3
        assert judge.statistics().channel_sent == 0
        with pytest.raises(P2PError, match="already used"):
            judge.set_direct_handler(CHANNEL, direct_echo)


async def direct_echo(peer: PeerId, payload: bytes) -> bytes:
    return payload


async def test_sends_work_again_after_the_peer_restarts() -> None:
    inboxes = [Inbox(), Inbox(), Inbox()]
    async with trio.open_nursery() as nursery:
        network = LocalNetwork(nursery, 2, TEST_CONFIG)
        sender = await network.start(0)

        async def start_receiver(inbox: Inbox) -> P2PNode:
            # Restarted without persistent peers, so one connection only: the sender's redial.
            member = network.members[1]
            member.node = P2PNode(network.config_for(1, peers=[]), member.key)
            member.node.set_channel(CHANNEL, inbox.receive, LIMIT)  # before run
            member.scope, member.stopped = trio.CancelScope(), trio.Event()
            await nursery.start(run_member, member)
            return member.node

        receiver = await start_receiver(inboxes[0])
        with trio.fail_after(20):
            await eventually(lambda: receiver.peer_id in sender.peers())
            await sender.send_on_channel(receiver.peer_id, CHANNEL, b"before")
            await eventually(lambda: inboxes[0].frames == [(sender.peer_id, b"before")])

            await network.stop(1)
            await eventually(lambda: receiver.peer_id not in sender.peers())
            with pytest.raises(ChannelError, match="not connected"):
                await sender.send_on_channel(receiver.peer_id, CHANNEL, b"while down")

            receiver = await start_receiver(inboxes[1])
            await eventually(lambda: receiver.peer_id in sender.peers())
            # The stream to the stopped node was forgotten: the first send opens a new one.
            await sender.send_on_channel(receiver.peer_id, CHANNEL, b"after")
            await eventually(lambda: inboxes[1].frames == [(sender.peer_id, b"after")])

            await network.stop(1)
            await eventually(lambda: receiver.peer_id not in sender.peers())
            receiver = await start_receiver(inboxes[2])
            await eventually(lambda: receiver.peer_id in sender.peers())
            # No send failed while it was gone: the first one after tells the sender.
            with pytest.raises(ChannelError, match="was lost"):
                await sender.send_on_channel(receiver.peer_id, CHANNEL, b"unsure")
            await sender.send_on_channel(receiver.peer_id, CHANNEL, b"again")
            await eventually(lambda: inboxes[2].frames == [(sender.peer_id, b"again")])
        nursery.cancel_scope.cancel()


async def test_a_slow_receiver_holds_back_its_sender() -> None:
    async with running_network(2) as network:
        receiver, sender = network.nodes
        inbox = Inbox(gate=trio.Event())
        receiver.set_channel(CHANNEL, inbox.receive, LIMIT)
        # yamux lets a stream's receive window grow to 16 MiB: 24 frames of 1 MiB cannot all
        # be in flight while the receiver holds the first.
        payloads = [bytes([i]) * 1024 * 1024 for i in range(24)]
        sent: list[bytes] = []

        async def send_counted() -> None:
            for payload in payloads:
                await sender.send_on_channel(receiver.peer_id, CHANNEL, payload)
                sent.append(payload)

        with trio.fail_after(60):
            await eventually(lambda: all_connected(network))
            async with trio.open_nursery() as nursery:
                nursery.start_soon(send_counted)
                await eventually(lambda: len(inbox.frames) == 1 and len(sent) >= 4)
                # Time to run into the window, well within libp2p's 5 s limit on a write that
                # waits for it (and request_timeout_s).
                await trio.sleep(0.5)
                assert len(sent) < len(payloads)
                assert len(inbox.frames) == 1
                assert inbox.gate is not None
                inbox.gate.set()
            await eventually(lambda: len(inbox.frames) == len(payloads))
        assert inbox.payloads(sender.peer_id) == payloads
        assert sender.statistics().channel_send_failures == 0


async def test_a_receiver_that_reads_nothing_is_disconnected_and_the_link_comes_back() -> None:
    async with running_network(2) as network:
        receiver, sender = network.nodes
        inbox = Inbox(gate=trio.Event())  # holds the first frame until the gate opens
        receiver.set_channel(CHANNEL, inbox.receive, LIMIT)
        payloads = [bytes([i]) * 1024 * 1024 for i in range(24)]
        with trio.fail_after(60):
            await eventually(lambda: all_connected(network))
            swarm = sender._require_session().swarm
            [stalled] = swarm.get_connections(ID.from_base58(receiver.peer_id))
            # The window fills, and a write waits for it past yamux's 5 s or request_timeout_s.
            with pytest.raises(ChannelStalledError):
                await send_all(sender, receiver.peer_id, payloads)

            def reconnected() -> bool:
                links = swarm.get_connections(ID.from_base58(receiver.peer_id))
                return stalled.is_closed and bool(links) and stalled not in links and all_connected(network)

            await eventually(reconnected)
            assert inbox.gate is not None
            inbox.gate.set()
            await sender.send_on_channel(receiver.peer_id, CHANNEL, b"again")
            await eventually(lambda: inbox.payloads(sender.peer_id)[-1:] == [b"again"])
        assert sender.statistics().stalled_disconnects == 1
        assert receiver.score(sender.peer_id) == 0 and sender.score(receiver.peer_id) == 0


async def test_a_peer_silent_for_the_channels_limit_is_disconnected() -> None:
    async with running_network(2) as network:
        listener, talker = network.nodes
        with trio.fail_after(30):
            await eventually(lambda: all_connected(network))
            listener.set_channel(CHANNEL, Inbox().receive, LIMIT, silence_s=1.0)
            [link] = listener._require_session().swarm.get_connections(ID.from_base58(talker.peer_id))
            await tick(talker, listener, 8)  # a frame every 0.3 s keeps the connection
            assert not link.is_closed and listener.statistics().stalled_disconnects == 0
            await eventually(lambda: link.is_closed)  # then a second or two of silence ends it
        assert listener.statistics().stalled_disconnects >= 1
        assert talker.score(listener.peer_id) == 0 and listener.score(talker.peer_id) == 0


async def test_our_own_stall_blames_no_peer() -> None:
    async with running_network(2) as network:
        listener, talker = network.nodes
        with trio.fail_after(30):
            await eventually(lambda: all_connected(network))
            inbox = Inbox()
            listener.set_channel(CHANNEL, inbox.receive, LIMIT, silence_s=3.0)
            await talker.send_on_channel(listener.peer_id, CHANNEL, b"tick")
            await eventually(lambda: len(inbox.frames) == 1)
            time.sleep(4.0)  # noqa: ASYNC251  # the whole loop stalls, as in a starved process
            await tick(talker, listener, 6)
        assert listener.statistics().stalled_disconnects == 0


async def test_a_new_inbound_stream_replaces_the_older() -> None:
    async with running_network(2) as network:
        receiver, sender = network.nodes
        inbox = Inbox()
        receiver.set_channel(CHANNEL, inbox.receive, LIMIT)
        host = sender._require_session().host
        with trio.fail_after(20):
            await eventually(lambda: all_connected(network))
            first = await host.new_stream(ID.from_base58(receiver.peer_id), [TProtocol(CHANNEL)])
            await direct.write_frame(first, b"one")
            await eventually(lambda: inbox.payloads(sender.peer_id) == [b"one"])
            second = await host.new_stream(ID.from_base58(receiver.peer_id), [TProtocol(CHANNEL)])
            await direct.write_frame(second, b"two")
            await eventually(lambda: inbox.payloads(sender.peer_id) == [b"one", b"two"])
            with pytest.raises(NETWORK_ERRORS):
                await first.read(1)  # reset by the receiver
        assert receiver.score(sender.peer_id) == 0


async def test_receiver_exception_stops_the_node_with_the_unwrapped_error() -> None:
    async def broken(peer: PeerId, payload: bytes) -> None:
        raise RuntimeError("receiver bug")

    async with running_network(1) as network:
        sender = network.nodes[0]
        config = replace(
            TEST_CONFIG,
            listen_addr=f"/ip4/127.0.0.1/tcp/{free_port()}",
            persistent_peers=(network.members[0].addr,),
        )
        receiver = P2PNode(config, NodeKey.generate())
        receiver.set_channel(CHANNEL, broken, LIMIT)
        failures: list[BaseException] = []

        async def run_receiver(task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            try:
                await receiver.run(task_status=task_status)
            except RuntimeError as exc:
                failures.append(exc)

        with trio.fail_after(15):
            async with trio.open_nursery() as nursery:
                await nursery.start(run_receiver)
                await eventually(lambda: receiver.peer_id in sender.peers())
                await sender.send_on_channel(receiver.peer_id, CHANNEL, b"x")
        assert [str(exc) for exc in failures] == ["receiver bug"]


def test_a_write_that_waited_out_the_window_is_a_stall() -> None:
    # libp2p's NetStream wraps the muxer's error, with its text, and raises it from it.
    try:
        try:
            raise MuxedStreamError(f"{WINDOW_TIMEOUT} after 5 seconds.")
        except MuxedStreamError as inner:
            raise StreamError(f"Write operation failed: {inner}") from inner
    except StreamError as wrapped:
        assert waited_for_window(wrapped)
    assert not waited_for_window(StreamError("Write operation failed: stream reset"))


def test_yamux_still_says_so_in_those_words() -> None:
    # The stall is told from the text of yamux's error: an update that rewords it fails here.
    assert WINDOW_TIMEOUT in inspect.getsource(YamuxStream.write)
