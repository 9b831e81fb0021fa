"""Blocks travel in 64 KiB parts: four engines in memory decide blocks of many parts
whose parts arrive last first, with a gossip limit far below the block size; a part
that does not belong to its proposal's block costs its sender, and the block is
still decided from the honest parts."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import msgspec
import trio

from consensus.codec import encode
from consensus.engine import BlockLimits
from consensus.parts import PART_SIZE
from consensus.tendermint.engine import EngineConfig
from consensus.tendermint.wire import ProposalPart, decode_channel
from tests.consensus.fakes import FakeApp, FakeBlockStore, FakeConsensusParams, FakeMempool
from tests.consensus.tendermint.memnet import TIMEOUTS, Endpoint, Hub, MemoryNode, wait_until
from tests.consensus.tendermint.support import signers, validator_set
from tests.consensus.tendermint.test_engine import assert_one_chain, start

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
