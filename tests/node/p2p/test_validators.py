"""Junk on the gossip layer, against real P2PNodes: a message the topic's validator
refuses is neither delivered nor relayed, so junk stops at the first node that
screens it; an RPC that does not even parse costs its sender, not the node."""

from __future__ import annotations

import trio
from libp2p.custom_types import TProtocol
from libp2p.peer.id import ID
from libp2p.utils.varint import encode_uvarint

from node.p2p.config import TOPIC_CONSENSUS, PeerId
from tests.node.p2p.netutil import TEST_CONFIG, LocalNetwork, eventually


async def test_a_refused_message_is_not_delivered_or_relayed() -> None:
    # A line a - b - c: c hears a only through b's relay.
    async with trio.open_nursery() as nursery:
        network = LocalNetwork(nursery, 3, TEST_CONFIG)
        a_index, b_index, c_index = 0, 1, 2
        await network.start(a_index, peers=[b_index])
        await network.start(b_index, peers=[a_index, c_index])
        await network.start(c_index, peers=[b_index])
        a, b, c = network.nodes
        screened: list[tuple[PeerId, bytes]] = []

        def only_good(origin: PeerId, payload: bytes) -> bool:
            screened.append((origin, payload))
            return payload.startswith(b"good")

        received_b = await b.subscribe(TOPIC_CONSENSUS)
        received_c = await c.subscribe(TOPIC_CONSENSUS)
        await a.subscribe(TOPIC_CONSENSUS)
        b.set_validator(TOPIC_CONSENSUS, only_good)
        with trio.fail_after(20):
            await network.wait_for_mesh(TOPIC_CONSENSUS, [a_index, b_index])
            await network.wait_for_mesh(TOPIC_CONSENSUS, [b_index, c_index])
            await a.publish(TOPIC_CONSENSUS, b"junk 1")
            await a.publish(TOPIC_CONSENSUS, b"good 1")
            assert await received_b.receive() == (a.peer_id, b"good 1")
            assert await received_c.receive() == (a.peer_id, b"good 1")
            await b.publish(TOPIC_CONSENSUS, b"junk from b itself")  # our own messages are not screened
            assert await received_c.receive() == (b.peer_id, b"junk from b itself")
            await eventually(lambda: len(set(screened)) >= 2)
        assert set(screened) == {(a.peer_id, b"junk 1"), (a.peer_id, b"good 1")}  # any order: a task each
        assert received_b.statistics().current_buffer_used == 0
        assert received_c.statistics().current_buffer_used == 0
        nursery.cancel_scope.cancel()


async def test_an_rpc_that_does_not_parse_costs_the_peer_not_the_node() -> None:
    async with trio.open_nursery() as nursery:
        network = LocalNetwork(nursery, 3, TEST_CONFIG)
        for index in range(3):
            await network.start(index)
        sender, victim, bystander = network.nodes
        received = await victim.subscribe(TOPIC_CONSENSUS)
        await bystander.subscribe(TOPIC_CONSENSUS)
        with trio.fail_after(20):
            await network.wait_for_mesh(TOPIC_CONSENSUS, [1, 2])
            session = sender._session
            assert session is not None
            stream = await session.host.new_stream(
                ID.from_base58(victim.peer_id), [TProtocol("/meshsub/1.1.0")]
            )
            junk = b"\xff" * 32  # a field tag with no valid wire type: protobuf refuses it
            await stream.write(encode_uvarint(len(junk)) + junk)
            await eventually(lambda: victim.score(sender.peer_id) < 0)
            await bystander.publish(TOPIC_CONSENSUS, b"still here")  # the victim's host runs on
            assert await received.receive() == (bystander.peer_id, b"still here")
        nursery.cancel_scope.cancel()
