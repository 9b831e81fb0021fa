"""Restarts that a second crash must survive: an answer signed anew while replaying
the WAL is logged before it is sent, and a height the log did not mark ended (the
crash came between storing its block and the marker) is marked before the next
height logs anything; either way a second crash finds our own messages in the log."""

from __future__ import annotations

from pathlib import Path

import trio

from consensus.tendermint.messages import Proposal, ProposalMsg, block_id
from consensus.tendermint.wal import WAL, ProposalRecord, VoteRecord
from consensus.types import VoteType
from tests.consensus.tendermint.memnet import wait_until
from tests.consensus.tendermint.support import CHAIN_ID, signers
from tests.consensus.tendermint.test_engine import engine_of, network, start


async def test_a_vote_signed_during_replay_is_logged(tmp_path: Path, autojump_clock: trio.abc.Clock) -> None:
    hub, nodes, genesis = network(tmp_path, 4)
    keys = signers(4)
    proposer = genesis.proposer().address
    index = next(i for i, key in enumerate(keys) if key.address == proposer)
    follower = next(i for i in range(4) if i != index)
    block = engine_of(nodes[index]).executor.build(1, proposer)
    unsigned = Proposal(1, 0, -1, block_id(block), block.header.time_ns, proposer, b"")
    proposal = ProposalMsg(keys[index].sign_proposal(CHAIN_ID, unsigned), block)
    engine = engine_of(nodes[follower])
    engine.wal.write(ProposalRecord(proposal, own=False))  # then the crash, before our prevote
    for i, node in enumerate(nodes):
        if i != follower:
            engine_of(node).wal.close()
            hub.down.add(node.name)
    async with trio.open_nursery() as nursery:
        await nursery.start(engine.run)
        await trio.sleep(0.1)
        nursery.cancel_scope.cancel()
    with WAL(nodes[follower].wal_dir) as wal:
        own = [e.input.vote for e in wal.replay(1) if isinstance(e, VoteRecord) and e.own]
    assert [(v.type, v.round, v.block_id) for v in own] == [(VoteType.PREVOTE, 0, proposal.proposal.block_id)]


async def test_a_height_the_log_did_not_mark_ended_is_marked_before_the_next_logs(
    tmp_path: Path, autojump_clock: trio.abc.Clock
) -> None:
    """A crash after the block was stored and before the WAL marked its height ended: the
    restarted node marks it, so what it logs for the next height is found by a replay
    after a second crash."""
    hub, nodes, genesis = network(tmp_path, 4)
    async with trio.open_nursery() as nursery:
        await start(nursery, nodes)
        await wait_until(lambda: all(n.store.height() >= 3 for n in nodes), 60)
        nursery.cancel_scope.cancel()
    node, key = nodes[0], signers(4)[0]
    stored = node.store.height()
    for segment in node.wal_dir.iterdir():
        segment.unlink()
    with WAL(node.wal_dir) as wal:  # the log as the crash left it: height stored - 1 ended, no more
        wal.end_height(stored - 1)
    for other in nodes[1:]:
        hub.down.add(other.name)
    engine = node.engine(key, genesis)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(node.endpoint.pump)
        await nursery.start(engine.run)
        await trio.sleep(5)  # alone: it times out of the proposal and prevotes nil
        nursery.cancel_scope.cancel()
    with WAL(node.wal_dir) as wal:
        own = [e.input.vote for e in wal.replay(stored + 1) if isinstance(e, VoteRecord) and e.own]
    assert own and all(v.height == stored + 1 for v in own)
