"""Real P2PNodes on 127.0.0.1 in one trio process: connect, gossip, direct streams, restarts, bans."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
import trio
from libp2p.peer.id import ID

from consensus.tasks import TaskStatus
from node.p2p.config import TOPIC_CONSENSUS, TOPIC_TXS, PeerId
from node.p2p.errors import (
    DirectRequestError,
    InvalidRequestError,
    MessageTooLargeError,
    NotRunningError,
    P2PError,
    PeerBannedError,
)
from node.p2p.host import P2PNode, _Session
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

ECHO = "/depind/test-echo/1"


async def reverse(peer: PeerId, payload: bytes) -> bytes:
    if payload == b"bad":
        raise InvalidRequestError("bad request")
    return payload[::-1]


async def receive_from_each(
    channel: trio.MemoryReceiveChannel[tuple[PeerId, bytes]], count: int
) -> dict[PeerId, bytes]:
    received: dict[PeerId, bytes] = {}
    while len(received) < count:
        sender, payload = await channel.receive()
        received[sender] = payload
    return received


async def test_persistent_peers_connect_and_gossip_reaches_every_subscriber() -> None:
    async with running_network(4) as network:
        nodes = network.nodes
        channels = [await node.subscribe(TOPIC_CONSENSUS) for node in nodes]
        with trio.fail_after(15):
            await network.wait_for_mesh(TOPIC_CONSENSUS)
            assert all(len(node.peers()) == 3 for node in nodes)
            for node in nodes:
                await node.publish(TOPIC_CONSENSUS, f"hello from {node.peer_id}".encode())
            for node, channel in zip(nodes, channels, strict=True):
                received = await receive_from_each(channel, 3)
                assert received == {
                    other.peer_id: f"hello from {other.peer_id}".encode()
                    for other in nodes
                    if other is not node
                }


async def test_direct_request_and_response() -> None:
    async with running_network(2) as network:
        server, client = network.nodes
        server.set_direct_handler(ECHO, reverse)
        with trio.fail_after(15):
            assert await client.send_direct(server.peer_id, ECHO, b"abc") == b"cba"
            assert await client.send_direct(server.peer_id, ECHO, b"") == b""
            big = bytes(range(256)) * 4096  # 1 MiB: several yamux frames
            assert await client.send_direct(server.peer_id, ECHO, big) == big[::-1]
        assert server.statistics().direct_answered == 3


async def test_invalid_direct_request_is_rejected_and_counted_against_the_peer() -> None:
    async with running_network(2) as network:
        server, client = network.nodes
        server.set_direct_handler(ECHO, reverse)
        with trio.fail_after(15):
            with pytest.raises(DirectRequestError, match=r"rejected .*bad request"):
                await client.send_direct(server.peer_id, ECHO, b"bad")
            with pytest.raises(DirectRequestError, match="failed"):
                await client.send_direct(server.peer_id, "/depind/unknown/1", b"x")
        assert server.score(client.peer_id) == -TEST_CONFIG.invalid_penalty
        assert server.statistics().direct_rejected == 1


async def test_invalid_payloads_are_refused_before_sending() -> None:
    async with running_network(2) as network:
        node, other = network.nodes
        too_big = b"x" * (TEST_CONFIG.max_message_bytes + 1)
        with pytest.raises(MessageTooLargeError):
            await node.publish(TOPIC_CONSENSUS, too_big)
        with pytest.raises(MessageTooLargeError):
            await node.send_direct(other.peer_id, ECHO, too_big)
        with pytest.raises(P2PError, match="unknown topic"):
            await node.publish("no-such-topic", b"x")
        await node.subscribe(TOPIC_TXS)
        with pytest.raises(P2PError, match="already subscribed"):
            await node.subscribe(TOPIC_TXS)


async def test_invalid_use_when_not_running() -> None:
    node = P2PNode(TEST_CONFIG, NodeKey.generate())
    with pytest.raises(NotRunningError):
        await node.publish(TOPIC_CONSENSUS, b"x")
    with pytest.raises(NotRunningError):
        node.peers()


async def test_subscriptions_end_when_the_node_stops() -> None:
    async with running_network(1) as network:
        channel = await network.nodes[0].subscribe(TOPIC_CONSENSUS)
        await network.stop(0)
        with trio.fail_after(5), pytest.raises(trio.EndOfChannel):
            await channel.receive()


async def test_stopped_node_is_reconnected_with_backoff_after_restart() -> None:
    async with running_network(3) as network:
        a, b, c = network.nodes
        restarted = network.members[2]
        for node in (a, b, c):
            await node.subscribe(TOPIC_CONSENSUS)
        with trio.fail_after(15):
            await network.wait_for_mesh(TOPIC_CONSENSUS)
            await network.stop(2)
            await eventually(lambda: restarted.peer_id not in a.peers() + b.peers())
            failures_before = a.statistics().dial_failures
            await trio.sleep(1.0)  # a and b keep dialling the stopped node and back off
            assert a.statistics().dial_failures > failures_before

            # Restarted without persistent peers: only a's and b's back-off loops can reconnect it.
            c = await network.start(2, peers=[])
            channel = await c.subscribe(TOPIC_CONSENSUS)
            started = trio.current_time()
            await network.wait_for_mesh(TOPIC_CONSENSUS)
            # Within one maximum back-off (plus the dial itself) of the restart.
            assert trio.current_time() - started < TEST_CONFIG.reconnect_backoff_max_s + 2.0
            await a.publish(TOPIC_CONSENSUS, b"welcome back")
            assert await channel.receive() == (a.peer_id, b"welcome back")


async def test_peer_reported_invalid_enough_times_is_banned_then_readmitted() -> None:
    async with running_network(3) as network:
        judge, culprit, witness = network.nodes
        judge_channel = await judge.subscribe(TOPIC_CONSENSUS)
        witness_channel = await witness.subscribe(TOPIC_CONSENSUS)
        await culprit.subscribe(TOPIC_CONSENSUS)
        with trio.fail_after(20):
            await network.wait_for_mesh(TOPIC_CONSENSUS)
            for _ in range(-TEST_CONFIG.ban_threshold // TEST_CONFIG.invalid_penalty):
                judge.report_invalid(culprit.peer_id, "invalid vote")
            assert judge.is_banned(culprit.peer_id)
            assert judge.statistics().banned == (culprit.peer_id,)
            await eventually(lambda: culprit.peer_id not in judge.peers())

            # The culprit's gossip does not reach the judge, not even relayed by the witness:
            # the witness relays it before it publishes its own message, which does arrive.
            await culprit.publish(TOPIC_CONSENSUS, b"from the culprit")
            assert await witness_channel.receive() == (culprit.peer_id, b"from the culprit")
            await witness.publish(TOPIC_CONSENSUS, b"from the witness")
            assert await judge_channel.receive() == (witness.peer_id, b"from the witness")
            with pytest.raises(PeerBannedError):
                await judge.send_direct(culprit.peer_id, ECHO, b"x")

            # The culprit keeps dialling (the judge is its persistent peer) and is refused.
            await eventually(lambda: judge.statistics().refused_connections > 0)
            await eventually(lambda: culprit.peer_id not in judge.peers())
            assert judge.is_banned(culprit.peer_id)

            # When the ban ends the culprit is admitted again with a clean score, gossip included.
            await eventually(
                lambda: not judge.is_banned(culprit.peer_id) and culprit.peer_id in judge.peers()
            )
            assert judge.score(culprit.peer_id) == 0
            await judge.wait_for_mesh_peer(TOPIC_CONSENSUS, culprit.peer_id)
            await culprit.wait_for_mesh_peer(TOPIC_CONSENSUS, judge.peer_id)
            await culprit.publish(TOPIC_CONSENSUS, b"reformed")
            # Its message from during the ban may come first: the culprit replays its recent
            # messages to a peer that (re)joins, and the judge had refused, not recorded, it.
            assert await judge_channel.receive() in {
                (culprit.peer_id, b"reformed"),
                (culprit.peer_id, b"from the culprit"),
            }


async def test_handler_exception_stops_the_node_with_the_unwrapped_error() -> None:
    async def broken(peer: PeerId, payload: bytes) -> bytes:
        raise RuntimeError("handler bug")

    async with running_network(1) as network:
        client = network.nodes[0]
        config = replace(
            TEST_CONFIG,
            listen_addr=f"/ip4/127.0.0.1/tcp/{free_port()}",
            persistent_peers=(network.members[0].addr,),  # the server dials the client
        )
        server = P2PNode(config, NodeKey.generate())
        server.set_direct_handler(ECHO, broken)
        failures: list[BaseException] = []

        async def run_server(task_status: TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
            try:
                await server.run(task_status=task_status)
            except RuntimeError as exc:  # not an ExceptionGroup: run() unwraps libp2p's nesting
                failures.append(exc)

        with trio.fail_after(15):
            async with trio.open_nursery() as nursery:
                await nursery.start(run_server)
                await eventually(lambda: server.peer_id in client.peers())
                with pytest.raises(DirectRequestError):
                    await client.send_direct(server.peer_id, ECHO, b"x")
        assert [str(exc) for exc in failures] == ["handler bug"]


async def test_invalid_listen_address_in_use() -> None:
    with trio.socket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        node = P2PNode(replace(TEST_CONFIG, listen_addr=f"/ip4/127.0.0.1/tcp/{port}"), NodeKey.generate())
        with trio.fail_after(10), pytest.raises(P2PError, match="cannot listen"):
            await node.run()


async def test_peers_beyond_max_peers_are_refused_but_persistent_peers_are_kept() -> None:
    async with trio.open_nursery() as nursery:
        network = LocalNetwork(nursery, 4, TEST_CONFIG)
        hub = network.members[0]
        # The hub lists node 1 as persistent; nodes 2 and 3 dial the hub on their own.
        hub.node = P2PNode(replace(network.config_for(0, peers=[1]), max_peers=1), hub.key)
        await nursery.start(run_member, hub)
        for index in (1, 2, 3):
            await network.start(index, peers=[0])
        with trio.fail_after(15):
            await eventually(lambda: hub.running.statistics().refused_connections > 0)
            await eventually(lambda: network.members[1].peer_id in hub.running.peers())
        nursery.cancel_scope.cancel()


async def test_stopping_while_a_peer_keeps_sending_requests_is_clean() -> None:
    """Stops with many requests in flight end cleanly (a stop that failed would raise here)."""
    for _ in range(3):
        async with running_network(2) as network:
            server, client = network.nodes
            server.set_direct_handler(ECHO, reverse)
            answered: list[bytes] = []
            async with trio.open_nursery() as requests:
                for _ in range(16):
                    requests.start_soon(keep_asking, client, server.peer_id, answered)
                with trio.fail_after(15):
                    await eventually(lambda: len(answered) >= 50)  # noqa: B023  # read at once
                    await network.stop(0)
                requests.cancel_scope.cancel()


async def keep_asking(client: P2PNode, server: PeerId, answered: list[bytes]) -> None:
    for _ in range(100_000):
        try:
            answered.append(await client.send_direct(server, ECHO, b"abc"))
        except DirectRequestError:
            await trio.sleep(0.001)


@dataclass
class FakeStream:
    """Just enough of a libp2p stream for the node to see who opened it and to reset it."""

    peer: ID = field(default_factory=lambda: ID.from_base58(NodeKey.generate().peer_id))
    was_reset: bool = False

    @property
    def muxed_conn(self) -> FakeStream:
        return self

    @property
    def peer_id(self) -> ID:
        return self.peer

    async def reset(self) -> None:
        self.was_reset = True


async def test_a_request_arriving_after_the_nursery_closed_is_reset() -> None:
    """Between the node's task nursery closing and its session ending, libp2p may still hand
    it a stream: serving it from the closed nursery would crash the node at shutdown."""
    async with trio.open_nursery() as closed:
        pass
    node = P2PNode(TEST_CONFIG, NodeKey.generate())
    node._session = _Session(None, None, None, None, closed, None)  # type: ignore[arg-type]
    stream = FakeStream()
    await node._serve_stream(ECHO, stream)  # type: ignore[arg-type]
    assert stream.was_reset
