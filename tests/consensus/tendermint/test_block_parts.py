"""Blocks travel in 64 KiB parts: four engines in memory decide blocks of many parts
whose parts arrive last first, with a gossip limit far below the block size; a part
that does not belong to its proposal's block costs its sender, and the block is
still decided from the honest parts."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import msgspec
import pytest
import trio

from consensus.codec import encode
from consensus.engine import BlockLimits
from consensus.parts import PART_SIZE, split
from consensus.tendermint.engine import EngineConfig, TendermintEngine
from consensus.tendermint.messages import Message, ProposalMsg
from consensus.tendermint.wire import ProposalPart, decode_channel
from consensus.types import BlockID
from tests.consensus.fakes import FakeApp, FakeBlockStore, FakeConsensusParams, FakeMempool
from tests.consensus.tendermint.memnet import TIMEOUTS, Endpoint, Hub, MemoryNode, wait_until
from tests.consensus.tendermint.support import CHAIN_ID, signers, validator_set
from tests.consensus.tendermint.test_engine import assert_one_chain, engine_of, network, start

BLOCK_BYTES = 1 << 20  # block.max_bytes
GOSSIP_BYTES = 128 * 1024  # the gossip limit: a part fits, a block does not
TX_BYTES = 40_000
TXS = 20  # 800 KB: blocks of about 13 parts


class PartsLastFirst(Endpoint):
    """Sends each peer a proposal's parts in reverse order, and counts them."""

    def __init__(self, hub: Hub, name: str) -> None:
        super().__init__(hub, name)
        self.held: dict[str, list[bytes]] = defaultdict(list)
        self.parts = 0

    async def send(self, peer: str, payload: bytes) -> None:
        assert len(payload) <= GOSSIP_BYTES
        message = decode_channel(payload, GOSSIP_BYTES)
        if not isinstance(message, ProposalPart):
            await super().send(peer, payload)
            return
        held = self.held[peer]
        held.append(payload)
        self.parts += 1
        if len(held) == message.proposal.block_id.part_set_header.total:
            for part in reversed(held):
                await super().send(peer, part)
            held.clear()


class Corrupting(PartsLastFirst):
    """Also sends, before the real ones, a copy of each part with its bytes altered."""

    async def send(self, peer: str, payload: bytes) -> None:
        message = decode_channel(payload, GOSSIP_BYTES)
        if isinstance(message, ProposalPart):
            bad = bytes([message.part.bytes[0] ^ 1]) + message.part.bytes[1:]
            forged = msgspec.structs.replace(message, part=msgspec.structs.replace(message.part, bytes=bad))
            await Endpoint.send(self, peer, encode(forged))
        await super().send(peer, payload)


def big_block_network(tmp_path: Path, endpoint: type[PartsLastFirst]) -> tuple[Hub, list[MemoryNode]]:
    hub = Hub()
    keys = signers(4)
    genesis = validator_set(keys, [10] * 4)
    app_params = FakeConsensusParams(block=BlockLimits(BLOCK_BYTES, -1))
    config = EngineConfig(timeouts=TIMEOUTS, max_message_bytes=GOSSIP_BYTES)
    nodes = []
    for i, key in enumerate(keys):
        name = f"v{i}"
        app, store, mempool = FakeApp(params=app_params), FakeBlockStore(), FakeMempool()
        node = MemoryNode(name, endpoint(hub, name), app, store, mempool, tmp_path / name)
        for n in range(TXS):
            node.mempool.add(bytes([i, n]) * (TX_BYTES // 2))
        node.engine(key, genesis, config=config)
        nodes.append(node)
    return hub, nodes


async def test_blocks_of_many_parts_arriving_last_first_are_decided(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    hub, nodes = big_block_network(tmp_path, PartsLastFirst)
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 4 for n in nodes), 60)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes, 4)
    sizes = [len(encode(nodes[0].store.blocks[h])) for h in range(1, 5)]
    assert all(size > 10 * PART_SIZE for size in sizes[:2]), sizes  # the first blocks carry the txs
    assert sum(node.endpoint.parts for node in nodes if isinstance(node.endpoint, PartsLastFirst)) > 20
    assert not hub.reports


async def test_a_forged_part_costs_its_sender_and_the_block_is_still_decided(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    hub, nodes = big_block_network(tmp_path, Corrupting)
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 3 for n in nodes), 60)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes, 3)
    assert hub.reports
    assert all("proof does not lead to the part set hash" in reason for _, _, reason in hub.reports)


class GarbageProposer(TendermintEngine):
    """Signs proposals whose parts are proved against their part set but make no block."""

    def _gossip(self, message: Message) -> None:
        if not isinstance(message, ProposalMsg):
            super()._gossip(message)
            return
        garbage = split(b"\xff" * (3 * PART_SIZE))
        named = BlockID(b"\x01" * 32, garbage.header)
        unsigned = msgspec.structs.replace(message.proposal, block_id=named, signature=b"")
        assert self.signer is not None
        signed = self.signer.sign_proposal(CHAIN_ID, unsigned)
        for part in garbage.parts:
            self.reactor.hold(ProposalPart(signed, part), own=True)


async def test_parts_that_make_no_block_are_the_proposers_fault_not_the_relays(
    tmp_path: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """v3 is cut off from the garbage proposer v0, so it gets v0's parts only from the
    honest relays v1 and v2: it refuses the proposal without blaming them, and the others
    decide in the rounds after."""
    hub, nodes, _ = network(tmp_path, 4)
    honest = engine_of(nodes[0])
    nodes[0].endpoint.engine = GarbageProposer(
        honest.executor, honest.signer, honest.wal, honest.network, honest.on_commit, honest.config
    )
    hub.cut.add(frozenset(("v0", "v3")))
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 6 for n in nodes[1:]), 120)
        nursery.cancel_scope.cancel()
    assert_one_chain(nodes[1:], 6)
    assert not hub.reports
    assert "make no block" in caplog.text
