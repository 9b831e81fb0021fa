"""A timer that comes due while the engine's owner task handles an input does not cut
that handling short.

One validator, at height 1 and waiting for its proposal (the propose timeout runs),
asks a scripted peer for what it lacks; the peer answers with block 1, which the
other three validators committed. Executing a block takes longer than the propose
timeout (the mock clock jumps, as a busy application's wall clock would), so the
timeout comes due while the block is applied. The engine must still start height 2:
the height's stragglers (its proposal and votes), which reach the validator by gossip
as they do when the others decided a moment before, are then for a decided height.
Were height 1 left running, its proposal's block would be checked against a chain
that already holds it ("rejecting proposed block 1: height 1, expected 2"), or, if
found valid before the block came by sync, decided and executed a second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trio
import trio.testing

from consensus.abci import FinalizeBlockRequest
from consensus.blocks import BlockExecutor, ChainParams
from consensus.codec import encode
from consensus.tendermint.wire import (
    CommittedBlock,
    SyncResponse,
    decode_request,
    encode_gossip,
    gossip_payloads,
)
from consensus.types import Block, VoteType
from consensus.validators import ValidatorSet
from tests.consensus.fakes import FakeApp, FakeBlockStore, FakeMempool, FakeResult
from tests.consensus.tendermint.memnet import TIMEOUTS, Endpoint, Hub, MemoryNode, wait_until
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    KeySigner,
    signed_commit,
    signed_proposal,
    signed_vote,
    signers,
    validator_set,
)
from tests.consensus.tendermint.test_engine import engine_of, start

EXECUTE_S = 2 * TIMEOUTS.propose_s  # executing a block outlasts the propose timeout


@dataclass
class SlowApp(FakeApp):
    """Executing a block takes ``EXECUTE_S`` of the mock clock."""

    clock: trio.testing.MockClock = field(kw_only=True)

    def finalize_block(self, request: FinalizeBlockRequest) -> FakeResult:
        self.clock.jump(EXECUTE_S)
        return super().finalize_block(request)


@dataclass(frozen=True)
class Decided:
    """Height 1 as three of the four validators decided it without the fourth."""

    genesis: ValidatorSet
    proposer: KeySigner
    deciders: list[KeySigner]  # the proposer among them
    absent: KeySigner
    block: Block


def decided_height_1() -> Decided:
    keys = signers(4)
    genesis = validator_set(keys, [10] * 4)
    proposer = next(key for key in keys if key.address == genesis.proposer().address)
    absent = next(key for key in keys if key is not proposer)  # it waits for the proposal: a timer runs
    builder = BlockExecutor(ChainParams(CHAIN_ID, 1, 0), FakeApp(), FakeBlockStore(), FakeMempool(), genesis)
    deciders = [key for key in keys if key is not absent]
    return Decided(genesis, proposer, deciders, absent, builder.build(1, proposer.address))


def ahead_peer(hub: Hub, decided: Decided) -> Endpoint:
    """A peer that has committed height 1: it answers a request for it with the block and
    its commit, and any later request with nothing."""
    commit = signed_commit(decided.deciders, decided.genesis, 1, 0, decided.block)

    def answer(payload: bytes) -> bytes:
        wanted = decode_request(payload, 1 << 20).height
        return encode(SyncResponse(1, [CommittedBlock(decided.block, commit)] if wanted == 1 else [], []))

    hub.liars["peer"] = answer
    return Endpoint(hub, "peer")


def proposal_gossip(decided: Decided) -> list[bytes]:
    return gossip_payloads(signed_proposal(decided.proposer, 1, 0, decided.block))


def vote_gossip(decided: Decided) -> list[bytes]:
    """The deciders' prevotes and precommits for the block."""
    return [
        encode_gossip(signed_vote(key, decided.genesis, vote_type, 1, 0, decided.block))
        for vote_type in (VoteType.PREVOTE, VoteType.PRECOMMIT)
        for key in decided.deciders
    ]


@pytest.mark.parametrize("proposal_first", [False, True], ids=["proposal-after-sync", "proposal-before-sync"])
async def test_a_synced_block_outlasting_a_timeout_starts_the_next_height(
    tmp_path: Path,
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    proposal_first: bool,
) -> None:
    caplog.set_level(logging.WARNING, logger="depind.consensus")
    hub, decided = Hub(), decided_height_1()
    peer = ahead_peer(hub, decided)
    app = SlowApp(clock=autojump_clock)
    node = MemoryNode("v", Endpoint(hub, "v"), app, FakeBlockStore(), FakeMempool(), tmp_path / "wal")
    node.engine(decided.absent, decided.genesis)
    late = vote_gossip(decided) if proposal_first else proposal_gossip(decided) + vote_gossip(decided)
    async with trio.open_nursery() as nursery:
        await start(nursery, [node])
        if proposal_first:  # found valid and prevoted before the sync answer comes
            for payload in proposal_gossip(decided):
                peer.gossip(payload, evidence=False)
        await wait_until(lambda: node.store.height() == 1, 10)
        for payload in late:
            peer.gossip(payload, evidence=False)
        await trio.sleep(2 * EXECUTE_S)  # the gossip lands; height 1's timeouts come due
        nursery.cancel_scope.cancel()
    assert "rejecting proposed block" not in caplog.text
    assert [call.height for call in app.finalized] == [1]
    assert node.commits == [(1, decided.block.hash())]
    assert engine_of(node).machine.state.height == 2
