"""consensus.blocks: building, checking and applying blocks, and the validator
sets per height."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
import trio

from consensus.abci import CommitInfo, FinalizeBlockRequest, Misbehavior
from consensus.bfttime import MIN_BLOCK_INTERVAL_NS, median_time
from consensus.blocks import BlockExecutor, ChainParams, InvalidBlock
from consensus.codec import encode
from consensus.engine import BlockLimits
from consensus.merkle import EMPTY_HASH
from consensus.tendermint.evidence import EvidenceParams, encode_evidence, evidence_hash, evidence_id
from consensus.tendermint.messages import DuplicateVoteEvidence, block_id, duplicate_vote_evidence
from consensus.types import (
    APP_VERSION,
    BLOCK_PROTOCOL,
    ZERO_BLOCK_ID,
    Block,
    BlockIDFlag,
    Commit,
    CommitSig,
    Data,
    Version,
    VoteType,
)
from consensus.validators import ValidatorSet
from tests.consensus.fakes import (
    GENESIS_APP_HASH,
    FakeApp,
    FakeBlockStore,
    FakeConsensusParams,
    FakeMempool,
    FakeResult,
    FakeValidatorUpdate,
    FinalizeCall,
)
from tests.consensus.tendermint.support import (
    CHAIN_ID,
    KeySigner,
    commit_sig,
    make_block,
    signed_commit,
    signed_vote,
    signers,
    validator_set,
)

KEYS = signers(4)
NEWCOMER = signers(1, seed=5)[0]
OUTSIDER = signers(1, seed=9)[0]
GENESIS = validator_set(KEYS, [10, 10, 10, 10])
GENESIS_TIME_NS = 1_700_000_000 * 10**9
CONSENSUS_HASH = b"\x11" * 32
LIMITS = BlockLimits(1 << 20, -1)
EVIDENCE = EvidenceParams(max_age_num_blocks=100, max_bytes=64 * 1024)
PARAMS = ChainParams(CHAIN_ID, 1, GENESIS_TIME_NS)
WRONG_HASH = b"\xee" * 32
COMMITTERS = [*KEYS[:3], NEWCOMER]
"""Who precommits by default: 3 of the 4 genesis validators, and the newcomer once it joins."""


@dataclass
class Chain:
    app: FakeApp
    store: FakeBlockStore
    mempool: FakeMempool
    executor: BlockExecutor

    def build(self) -> Block:
        height = self.executor.next_height()
        return self.executor.build(height, self.executor.validators_at(height).proposer().address)

    def commit(
        self, block: Block, keys: Sequence[KeySigner] = COMMITTERS, times: Sequence[int] | None = None
    ) -> Commit:
        """``keys`` precommit ``block``, at ``times`` (by default 1 ms after the block)."""
        height = block.header.height
        return signed_commit(keys, self.executor.validators_at(height), height, 0, block, times)

    def advance(self, txs: Sequence[bytes] = ()) -> Block:
        """Build the next block, check it, and apply it with a commit."""
        self.mempool.txs.extend(txs)
        block = self.build()
        self.executor.check(block)
        self.executor.apply(block, self.commit(block))
        return block


def new_chain(
    app: FakeApp | None = None, params: ChainParams = PARAMS, genesis: ValidatorSet = GENESIS
) -> Chain:
    app = app or FakeApp()
    store, mempool = FakeBlockStore(), FakeMempool()
    return Chain(app, store, mempool, BlockExecutor(params, app, store, mempool, genesis))


def with_header(block: Block, **changes: Any) -> Block:
    return msgspec.structs.replace(block, header=msgspec.structs.replace(block.header, **changes))


def assert_invalid(chain: Chain, block: Block, problem: str) -> None:
    with pytest.raises(InvalidBlock, match=problem):
        chain.executor.check(block)
    assert not chain.executor.is_valid_proposal(block)


def equivocation(key: KeySigner, height: int) -> DuplicateVoteEvidence:
    """``key`` prevoted two blocks at ``height``, round 0."""
    first, second = (make_block(height, b"", [tx]) for tx in (b"a", b"b"))
    vote_a = signed_vote(key, GENESIS, VoteType.PREVOTE, height, 0, first).vote
    vote_b = signed_vote(key, GENESIS, VoteType.PREVOTE, height, 0, second).vote
    return duplicate_vote_evidence(vote_a, vote_b, 10, GENESIS.total_power())


@pytest.fixture
def chain() -> Chain:
    return new_chain()


@pytest.fixture
def first(chain: Chain) -> Block:
    """A good block at height 1."""
    return chain.build()


@pytest.fixture
def second(chain: Chain) -> tuple[Block, Block]:
    """Block 1, committed, and a good block at height 2."""
    committed = chain.advance([b"tx-1", b"tx-2"])
    return committed, chain.build()


# ---- building --------------------------------------------------------------------------------


def test_first_block_passes_check(chain: Chain, first: Block) -> None:
    chain.executor.check(first)
    assert chain.executor.is_valid_proposal(first)
    header = first.header
    assert header.height == 1
    assert first.last_commit is None
    assert header.last_block_id == ZERO_BLOCK_ID
    assert header.last_commit_hash == EMPTY_HASH
    assert header.validators_hash == header.next_validators_hash == GENESIS.hash()
    assert header.app_hash == GENESIS_APP_HASH
    assert header.consensus_hash == CONSENSUS_HASH
    assert header.proposer_address == GENESIS.proposer().address


def test_build_takes_the_txs_the_app_keeps() -> None:
    chain = new_chain()
    chain.mempool.txs.extend([b"a", b"drop-me", b"b"])
    block = chain.build()
    assert chain.app.prepared == [[b"a", b"drop-me", b"b"]]
    assert block.data.txs == [b"a", b"b"]
    assert block.header.data_hash == Data([b"a", b"b"]).hash()
    chain.executor.check(block)


def test_second_block_passes_check(chain: Chain, second: tuple[Block, Block]) -> None:
    committed, block = second
    chain.executor.check(block)
    assert chain.executor.is_valid_proposal(block)
    header = block.header
    assert header.height == 2
    assert header.last_block_id == block_id(committed)
    assert block.last_commit == chain.store.commits[1]
    assert header.last_commit_hash == chain.store.commits[1].hash()
    assert header.app_hash == chain.app.app_hash != GENESIS_APP_HASH
    assert header.last_results_hash == chain.store.load_results_hash(1) != EMPTY_HASH
    assert header.time_ns == median_time(chain.store.commits[1], GENESIS)


def test_blocks_follow_one_another(chain: Chain) -> None:
    blocks = [chain.advance([f"tx-{n}".encode()]) for n in range(5)]
    assert [b.header.height for b in blocks] == [1, 2, 3, 4, 5]
    assert chain.executor.next_height() == 6


# ---- checking: the first block ---------------------------------------------------------------


def test_invalid_height(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_header(first, height=2), "height 2, expected 1")


def test_invalid_chain_id(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_header(first, chain_id="another-chain"), "chain id")


@pytest.mark.parametrize(
    "version",
    [Version(BLOCK_PROTOCOL + 1, APP_VERSION), Version(BLOCK_PROTOCOL, APP_VERSION + 1)],
    ids=["block", "app"],
)
def test_invalid_version(chain: Chain, first: Block, version: Version) -> None:
    assert_invalid(chain, with_header(first, version=version), "version")


def test_invalid_last_block_id_on_the_first_block(chain: Chain, first: Block) -> None:
    parent = block_id(make_block(0, b""))
    assert_invalid(chain, with_header(first, last_block_id=parent), "last_block_id")


def test_invalid_first_block_with_a_last_commit(chain: Chain, first: Block) -> None:
    earlier = signed_commit(KEYS, GENESIS, 0, 0, make_block(0, b""))
    block = with_header(msgspec.structs.replace(first, last_commit=earlier), last_commit_hash=earlier.hash())
    assert_invalid(chain, block, "carries a last commit")


def test_invalid_last_commit_hash_on_the_first_block(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_header(first, last_commit_hash=WRONG_HASH), "last_commit_hash")


def test_invalid_data_hash(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_header(first, data_hash=Data([b"tx"]).hash()), "data_hash")


def test_invalid_txs_under_the_data_hash(chain: Chain, first: Block) -> None:
    assert_invalid(chain, msgspec.structs.replace(first, data=Data([b"tx"])), "data_hash")


def test_invalid_validators_hash(chain: Chain, first: Block) -> None:
    others = validator_set(KEYS[:3], [10, 10, 10]).hash()
    assert_invalid(chain, with_header(first, validators_hash=others), "validators_hash")


def test_invalid_next_validators_hash(chain: Chain, first: Block) -> None:
    others = validator_set(KEYS[:3], [10, 10, 10]).hash()
    assert_invalid(chain, with_header(first, next_validators_hash=others), "next_validators_hash")


def test_invalid_consensus_hash(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_header(first, consensus_hash=WRONG_HASH), "consensus_hash")


def test_invalid_app_hash(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_header(first, app_hash=WRONG_HASH), "app_hash")


def test_invalid_last_results_hash(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_header(first, last_results_hash=WRONG_HASH), "last_results_hash")


def test_invalid_evidence_hash(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_header(first, evidence_hash=WRONG_HASH), "evidence_hash")


def with_evidence(block: Block, evidence: list[bytes]) -> Block:
    """``block`` carrying ``evidence`` under a matching evidence hash."""
    return with_header(
        msgspec.structs.replace(block, evidence=evidence), evidence_hash=evidence_hash(evidence)
    )


def test_invalid_evidence_not_under_the_evidence_hash(chain: Chain, second: tuple[Block, Block]) -> None:
    evidence = [encode_evidence(equivocation(KEYS[1], 1))]
    assert_invalid(chain, msgspec.structs.replace(second[1], evidence=evidence), "evidence_hash")


def test_invalid_undecodable_evidence(chain: Chain, first: Block) -> None:
    assert_invalid(chain, with_evidence(first, [b"junk"]), "undecodable evidence")


def test_invalid_evidence_by_a_non_validator(chain: Chain, second: tuple[Block, Block]) -> None:
    evidence = [encode_evidence(equivocation(OUTSIDER, 1))]
    assert_invalid(chain, with_evidence(second[1], evidence), "not a validator at height 1")


def test_invalid_evidence_of_the_height_being_decided(chain: Chain, first: Block) -> None:
    evidence = equivocation(KEYS[1], 1)
    assert chain.executor.evidence.add(evidence)  # kept, but only for a later block
    assert chain.build().evidence == []
    assert_invalid(chain, with_evidence(first, [encode_evidence(evidence)]), "not committed yet")


def test_evidence_in_a_block_passes_check(chain: Chain, second: tuple[Block, Block]) -> None:
    chain.executor.check(with_evidence(second[1], [encode_evidence(equivocation(KEYS[1], 1))]))


def test_invalid_proposer_not_a_validator(chain: Chain, first: Block) -> None:
    assert_invalid(
        chain, with_header(first, proposer_address=OUTSIDER.address), "proposer is not a validator"
    )


def test_any_validator_may_be_the_proposer(chain: Chain, first: Block) -> None:
    for key in KEYS:
        chain.executor.check(with_header(first, proposer_address=key.address))


def test_first_block_has_the_genesis_time(first: Block) -> None:
    assert first.header.time_ns == GENESIS_TIME_NS


@pytest.mark.parametrize("after_ns", [-1, 1, MIN_BLOCK_INTERVAL_NS])
def test_invalid_first_block_time_other_than_genesis(chain: Chain, first: Block, after_ns: int) -> None:
    moved = with_header(first, time_ns=GENESIS_TIME_NS + after_ns)
    assert_invalid(chain, moved, "time is not the genesis time")


# ---- checking: a later block -----------------------------------------------------------------


def test_invalid_last_block_id(chain: Chain, second: tuple[Block, Block]) -> None:
    _, block = second
    other = block_id(make_block(1, KEYS[0].address, [b"other"]))
    assert_invalid(chain, with_header(block, last_block_id=other), "last_block_id")


def test_invalid_missing_last_commit(chain: Chain, second: tuple[Block, Block]) -> None:
    _, block = second
    assert_invalid(chain, msgspec.structs.replace(block, last_commit=None), "no last commit")


def test_invalid_last_commit_for_another_height(chain: Chain, second: tuple[Block, Block]) -> None:
    _, block = second
    assert block.last_commit is not None
    wrong = msgspec.structs.replace(block.last_commit, height=2)
    assert_invalid(chain, msgspec.structs.replace(block, last_commit=wrong), "last commit is for height 2")


def test_invalid_last_commit_hash(chain: Chain, second: tuple[Block, Block]) -> None:
    _, block = second
    assert_invalid(chain, with_header(block, last_commit_hash=WRONG_HASH), "last_commit_hash")


def test_invalid_last_commit_with_too_little_power(chain: Chain, second: tuple[Block, Block]) -> None:
    committed, block = second
    weak = chain.commit(committed, KEYS[:2])
    block = with_header(msgspec.structs.replace(block, last_commit=weak), last_commit_hash=weak.hash())
    assert_invalid(chain, block, "last commit: .* has 20 of 40 power")


def test_invalid_last_commit_for_another_block(chain: Chain, second: tuple[Block, Block]) -> None:
    _, block = second
    other = chain.commit(make_block(1, KEYS[0].address, [b"other"]))
    block = with_header(msgspec.structs.replace(block, last_commit=other), last_commit_hash=other.hash())
    assert_invalid(chain, block, "last commit: .* another block")


def test_invalid_last_commit_with_an_absent_entry_that_is_not_empty(
    chain: Chain, second: tuple[Block, Block]
) -> None:
    _, block = second
    assert block.last_commit is not None
    signatures = block.last_commit.signatures
    index = next(i for i, sig in enumerate(signatures) if sig.block_id_flag == BlockIDFlag.ABSENT)
    filled = msgspec.structs.replace(signatures[index], signature=b"junk")
    altered = msgspec.structs.replace(
        block.last_commit, signatures=[*signatures[:index], filled, *signatures[index + 1 :]]
    )
    block = with_header(msgspec.structs.replace(block, last_commit=altered), last_commit_hash=altered.hash())
    assert_invalid(chain, block, f"last commit: absent signature {index} is not empty")


def test_invalid_stale_app_hash(chain: Chain, second: tuple[Block, Block]) -> None:
    _, block = second
    assert_invalid(chain, with_header(block, app_hash=GENESIS_APP_HASH), "app_hash")


def test_invalid_last_results_hash_of_an_empty_block(chain: Chain, second: tuple[Block, Block]) -> None:
    _, block = second
    assert_invalid(chain, with_header(block, last_results_hash=EMPTY_HASH), "last_results_hash")


SECOND_NS = 10**9


def test_block_time_is_the_weighted_median_of_the_last_commit() -> None:
    """Precommits at 1, 2, 3 and 4 s after genesis by powers 40, 30, 20 and 10: 70 of 100 had
    voted by 2 s (equal powers would give 3 s)."""
    chain = new_chain(genesis=validator_set(KEYS, [40, 30, 20, 10]))
    first = chain.build()
    times = [GENESIS_TIME_NS + n * SECOND_NS for n in (1, 2, 3, 4)]
    chain.executor.apply(first, chain.commit(first, KEYS, times))
    block = chain.build()
    assert block.header.time_ns == GENESIS_TIME_NS + 2 * SECOND_NS
    chain.executor.check(block)


def test_block_time_ignores_nil_precommits(chain: Chain) -> None:
    """Precommits for the block at 1, 2 and 3 s and a nil one at 10 s: counting the nil one
    would make the median 3 s."""
    first = chain.build()
    commit = chain.commit(first, KEYS[:3], [GENESIS_TIME_NS + n * SECOND_NS for n in (1, 2, 3)])
    found = GENESIS.get(KEYS[3].address)
    assert found is not None
    signatures = list(commit.signatures)
    signatures[found[0]] = commit_sig(KEYS[3], GENESIS, 1, 0, None, GENESIS_TIME_NS + 10 * SECOND_NS)
    chain.executor.apply(first, msgspec.structs.replace(commit, signatures=signatures))
    block = chain.build()
    assert block.header.time_ns == GENESIS_TIME_NS + 2 * SECOND_NS
    chain.executor.check(block)


@pytest.mark.parametrize("moved_ns", [-1, 1, MIN_BLOCK_INTERVAL_NS, 60 * SECOND_NS])
def test_invalid_time_not_the_median_of_the_last_commit(
    chain: Chain, second: tuple[Block, Block], moved_ns: int
) -> None:
    """A proposer cannot choose the time: a block a millisecond or a minute away is refused."""
    _, block = second
    moved = with_header(block, time_ns=block.header.time_ns + moved_ns)
    assert_invalid(chain, moved, "time is not the median of the last commit")


def test_invalid_time_of_a_last_commit_signed_before_the_last_block(chain: Chain) -> None:
    """Honest precommits for a block come at least 1 ms after it, so the median of a commit
    with a faulty majority alone can fall short of that; such a block is refused."""
    first = chain.build()
    chain.executor.apply(first, chain.commit(first, KEYS[:3], [GENESIS_TIME_NS] * 3))
    block = chain.build()
    assert block.header.time_ns == GENESIS_TIME_NS
    assert_invalid(chain, block, "time does not follow the last block's")


def test_block_far_ahead_of_our_clock_is_valid(chain: Chain) -> None:
    """Our clock lags the other validators' by minutes: the time their precommits give the
    next block is minutes ahead of our clock, and the block is still valid."""
    first = chain.build()
    ahead = time.time_ns() + 5 * 60 * SECOND_NS
    chain.executor.apply(first, chain.commit(first, KEYS[:3], [ahead] * 3))
    block = chain.build()
    assert block.header.time_ns == ahead
    assert chain.executor.is_valid_proposal(block)


def test_invalid_block_for_a_height_already_committed(chain: Chain, second: tuple[Block, Block]) -> None:
    committed, _ = second
    assert_invalid(chain, committed, "height 1, expected 2")


# ---- proposals -------------------------------------------------------------------------------


def test_invalid_proposal_the_app_refuses() -> None:
    class RefusingApp(FakeApp):
        def process_proposal(self, txs: list[bytes], max_bytes: int, max_gas: int, proposer: bytes) -> bool:
            return False

    chain = new_chain(RefusingApp())
    assert not chain.executor.is_valid_proposal(chain.build())


# ---- commits ---------------------------------------------------------------------------------


def test_commit_of_three_of_four_decides_the_block(chain: Chain, first: Block) -> None:
    chain.executor.check_commit(first, chain.commit(first, KEYS[:3]))


def test_invalid_commit_for_another_height(chain: Chain, first: Block) -> None:
    commit = signed_commit(KEYS, GENESIS, 2, 0, first)
    with pytest.raises(InvalidBlock, match="commit is for height 2, expected 1"):
        chain.executor.check_commit(first, commit)


def test_invalid_commit_for_another_block(chain: Chain, first: Block) -> None:
    commit = chain.commit(with_header(first, time_ns=first.header.time_ns + 1))
    with pytest.raises(InvalidBlock, match="another block"):
        chain.executor.check_commit(first, commit)


def test_invalid_commit_with_too_little_power(chain: Chain, first: Block) -> None:
    with pytest.raises(InvalidBlock, match="needs > 2/3"):
        chain.executor.check_commit(first, chain.commit(first, KEYS[:2]))


def test_invalid_commit_by_the_wrong_validator_set(chain: Chain, first: Block) -> None:
    strangers = signers(4, seed=3)
    commit = signed_commit(strangers, validator_set(strangers, [10, 10, 10, 10]), 1, 0, first)
    with pytest.raises(InvalidBlock, match="is not by validator"):
        chain.executor.check_commit(first, commit)


def test_invalid_commit_with_a_forged_nil_entry(chain: Chain, first: Block) -> None:
    """Sync applies a peer's block on its commit alone: a nil entry must be the validator's."""
    commit = chain.commit(first, KEYS[:3])
    index = next(i for i, sig in enumerate(commit.signatures) if sig.block_id_flag == BlockIDFlag.ABSENT)
    absent = GENESIS.validators[index].address
    forged = CommitSig(BlockIDFlag.NIL, absent, 0, b"\x01" * 64)
    commit = msgspec.structs.replace(
        commit, signatures=[*commit.signatures[:index], forged, *commit.signatures[index + 1 :]]
    )
    with pytest.raises(InvalidBlock, match=f"bad signature from validator {absent.hex()}"):
        chain.executor.check_commit(first, commit)


# ---- applying --------------------------------------------------------------------------------


def test_apply_finalizes_and_stores_the_block(chain: Chain) -> None:
    chain.mempool.txs.extend([b"tx-1", b"tx-2", b"later"])
    block = with_header(chain.build(), proposer_address=KEYS[2].address)
    block = msgspec.structs.replace(block, data=Data([b"tx-1", b"tx-2"]))
    block = with_header(block, data_hash=block.data.hash())
    commit = chain.commit(block)
    chain.executor.apply(block, commit)
    assert chain.app.finalized == [
        FinalizeCall(1, block.header.time_ns, KEYS[2].address, b"", [b"tx-1", b"tx-2"])
    ]
    assert (chain.app.commits, chain.app.height) == (1, 1)
    assert chain.store.blocks == {1: block}
    assert chain.store.commits == {1: commit}
    assert chain.mempool.updates == [(1, [b"tx-1", b"tx-2"])]
    assert chain.mempool.txs == [b"later"]
    assert chain.executor.next_height() == 2


class SlowApp(FakeApp):
    """Takes a while to execute a block, as a block of many txs does (a real wait in a
    thread, not the event loop's clock)."""

    def finalize_block(self, request: FinalizeBlockRequest) -> FakeResult:
        time.sleep(0.3)
        return super().finalize_block(request)


async def test_apply_async_executes_while_the_event_loop_runs_on() -> None:
    chain = new_chain(SlowApp())
    block = chain.build()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await trio.sleep(0.01)
            ticks += 1

    async with trio.open_nursery() as nursery:
        nursery.start_soon(tick)
        await chain.executor.apply_async(block, chain.commit(block))
        nursery.cancel_scope.cancel()
    assert ticks >= 5  # inline, execution would have held the loop: no tick at all
    assert chain.store.blocks == {1: block}
    assert (chain.app.commits, chain.app.height) == (1, 1)
    assert chain.executor.next_height() == 2


def test_apply_passes_the_last_block_hash(chain: Chain, second: tuple[Block, Block]) -> None:
    committed, block = second
    chain.executor.apply(block, chain.commit(block))
    assert chain.app.finalized[-1].last_block_hash == committed.hash()


def test_apply_tells_the_app_who_signed_the_last_block(chain: Chain, second: tuple[Block, Block]) -> None:
    """CometBFT's CommitInfo: every validator of the last block's set, in set order, with its
    power and whether its precommit is in the commit (KEYS[3] did not precommit)."""
    _, block = second
    chain.executor.apply(block, chain.commit(block))
    first_request, second_request = chain.app.requests
    assert first_request.decided_last_commit == CommitInfo(0, ())
    info = second_request.decided_last_commit
    assert [vote.validator_address for vote in info.votes] == [v.address for v in GENESIS.validators]
    signed = {vote.validator_address: vote.signed for vote in info.votes}
    assert signed == {key.address: key in KEYS[:3] for key in KEYS}
    assert {vote.power for vote in info.votes} == {10}
    assert second_request.hash == block.hash()


def test_limits_and_consensus_hash_come_from_the_app() -> None:
    max_bytes = empty_first_block_size() + 100
    app = FakeApp(params=FakeConsensusParams(BlockLimits(max_bytes, -1), EVIDENCE, b"\x22" * 32))
    chain = new_chain(app)
    chain.mempool.txs.extend([b"x" * 80, b"y" * 80])
    block = chain.build()
    assert block.data.txs == [b"x" * 80]
    assert block.header.consensus_hash == b"\x22" * 32
    app.params = FakeConsensusParams(BlockLimits(1 << 20, -1), EVIDENCE, b"\x33" * 32)
    assert_invalid(chain, block, "consensus_hash")


# ---- block size: block.max_bytes bounds the whole encoded block ----------------------------------


def empty_first_block_size() -> int:
    return len(encode(new_chain().build()))


def set_max_bytes(chain: Chain, max_bytes: int) -> None:
    chain.app.params = dataclasses.replace(chain.app.params, block=BlockLimits(max_bytes, -1))


MEMPOOL = [bytes([n]) * (200 + 7 * n) for n in range(40)]
"""Txs whose encodings have 2- and 3-byte headers, more than a 1-byte list header holds."""


def test_block_of_max_bytes_passes_and_one_byte_more_fails(chain: Chain) -> None:
    chain.advance()
    chain.mempool.txs.extend(MEMPOOL[:5])
    block = chain.build()
    size = len(encode(block))
    set_max_bytes(chain, size)
    chain.executor.check(block)
    set_max_bytes(chain, size - 1)
    assert_invalid(chain, block, rf"{size} bytes, over block.max_bytes \({size - 1}\)")


@pytest.mark.parametrize("committed", [0, 1], ids=["first block", "with a last commit"])
def test_build_fills_blocks_up_to_max_bytes_exactly(committed: int) -> None:
    """The header, last commit and list headers are measured: a built block never passes
    max_bytes, and the next tx of the mempool would have."""
    chain = new_chain()
    for _ in range(committed):
        chain.advance()
    empty = len(encode(chain.build()))
    chain.mempool.txs.extend(MEMPOOL)
    for max_bytes in range(empty, empty + sum(len(encode(tx)) for tx in MEMPOOL) + 5, 97):
        set_max_bytes(chain, max_bytes)
        block = chain.build()
        assert len(encode(block)) <= max_bytes
        chain.executor.check(block)
        taken = len(block.data.txs)
        assert block.data.txs == MEMPOOL[:taken]
        if taken < len(MEMPOOL):
            more = msgspec.structs.replace(block, data=Data(MEMPOOL[: taken + 1]))
            assert len(encode(more)) > max_bytes


def test_build_leaves_out_evidence_that_does_not_fit(chain: Chain) -> None:
    chain.advance()
    evidence = [encode_evidence(equivocation(key, 1)) for key in KEYS[1:3]]
    for key in KEYS[1:3]:
        assert chain.executor.evidence.add(equivocation(key, 1))
    full = chain.build()
    assert full.evidence == evidence
    set_max_bytes(chain, len(encode(full)) - 1)
    block = chain.build()
    assert block.evidence == evidence[:1]
    assert block.header.evidence_hash == evidence_hash(evidence[:1])
    chain.executor.check(block)


def test_build_refuses_a_max_bytes_without_room_for_the_header(chain: Chain) -> None:
    set_max_bytes(chain, empty_first_block_size() - 1)
    with pytest.raises(ValueError, match="no room"):
        chain.build()


def test_apply_stages_the_validator_set_two_heights_ahead(chain: Chain) -> None:
    chain.advance()
    assert set(chain.store.validators) == {3}
    assert chain.store.validators[3].validators == GENESIS.increment_priority(2).validators
    chain.advance()
    assert set(chain.store.validators) == {3, 4}
    assert chain.store.validators[4].validators == GENESIS.increment_priority(3).validators


def test_apply_stages_an_added_validator_for_height_plus_two() -> None:
    chain = new_chain(FakeApp(updates_at={1: [FakeValidatorUpdate(NEWCOMER.pub_key, 10)]}))
    chain.advance()
    assert chain.executor.validators_at(2).hash() == GENESIS.hash()
    at_three = chain.executor.validators_at(3)
    assert at_three.hash() == validator_set([*KEYS, NEWCOMER], [10] * 5).hash()
    found = at_three.get(NEWCOMER.address)
    assert found is not None
    # joins at -(50 + 50 // 8) = -56 beside -20, -20, 20, 20; centring on floor(-56 / 5) = -12
    # gives -44, then it gains its power once: -34
    assert found[1].proposer_priority == -34
    block = chain.build()
    assert block.header.next_validators_hash == at_three.hash()
    chain.executor.check(block)


def test_apply_stages_a_removed_validator_for_height_plus_two() -> None:
    chain = new_chain(FakeApp(updates_at={1: [FakeValidatorUpdate(KEYS[3].pub_key, 0)]}))
    chain.advance()
    assert chain.executor.validators_at(3).hash() == validator_set(KEYS[:3], [10, 10, 10]).hash()


def test_chain_runs_through_validator_updates() -> None:
    updates = {
        1: [FakeValidatorUpdate(NEWCOMER.pub_key, 10)],
        3: [FakeValidatorUpdate(KEYS[0].pub_key, 0)],
    }
    chain = new_chain(FakeApp(updates_at=updates))
    blocks = [chain.advance([f"tx-{n}".encode()]) for n in range(6)]
    sizes = [len(chain.executor.validators_at(b.header.height).validators) for b in blocks]
    assert sizes == [4, 4, 5, 5, 4, 4]
    for block in blocks:
        validators = chain.executor.validators_at(block.header.height)
        assert block.header.validators_hash == validators.hash()
        assert block.header.proposer_address == validators.proposer().address


def test_apply_passes_block_evidence_as_misbehavior(chain: Chain) -> None:
    evidence = equivocation(KEYS[1], 1)
    assert chain.executor.evidence.add(evidence)
    first = chain.advance()
    block = chain.build()
    assert block.evidence == [encode_evidence(evidence)]
    chain.executor.check(block)
    chain.executor.apply(block, chain.commit(block))
    assert chain.app.misbehavior == [
        Misbehavior("duplicate_vote", KEYS[1].address, 1, first.header.time_ns, 40, 10)
    ]
    assert chain.store.evidence_committed(evidence_id(encode_evidence(evidence)))
    assert chain.executor.evidence.size() == 0
    assert chain.build().evidence == []


def test_invalid_evidence_committed_before(chain: Chain) -> None:
    evidence = equivocation(KEYS[1], 1)
    chain.executor.evidence.add(evidence)
    chain.advance()
    assert chain.advance().evidence == [encode_evidence(evidence)]
    encoded = [encode_evidence(evidence)]
    block = chain.build()
    block = with_header(
        msgspec.structs.replace(block, evidence=encoded), evidence_hash=evidence_hash(encoded)
    )
    assert_invalid(chain, block, "evidence: .* is committed")


# ---- validator sets per height ---------------------------------------------------------------


def test_validators_at_the_initial_height_are_genesis(chain: Chain) -> None:
    assert chain.executor.validators_at(1) is GENESIS


def test_validators_at_the_second_height_advance_priority_once(chain: Chain) -> None:
    first_proposer = min(key.address for key in KEYS)
    assert GENESIS.proposer().address == first_proposer
    priorities = {v.address: v.proposer_priority for v in chain.executor.validators_at(2).validators}
    # genesis is -30, 10, 10, 10; each gains 10 and the next lowest address pays 40
    ordered = sorted(key.address for key in KEYS)
    assert priorities == {ordered[0]: -20, ordered[1]: -20, ordered[2]: 20, ordered[3]: 20}
    assert chain.executor.validators_at(2).proposer().address != first_proposer


def test_validators_at_a_stored_height(chain: Chain) -> None:
    stored = validator_set(KEYS[:2], [1, 2])
    chain.store.validators[7] = stored
    assert chain.executor.validators_at(7) is stored


@pytest.mark.parametrize("height", [0, 3, 100])
def test_invalid_height_without_a_validator_set(chain: Chain, height: int) -> None:
    with pytest.raises(LookupError, match=f"height {height}"):
        chain.executor.validators_at(height)


def test_invalid_height_beyond_the_staged_set(chain: Chain) -> None:
    chain.advance()
    chain.executor.validators_at(3)
    with pytest.raises(LookupError):
        chain.executor.validators_at(4)


def test_chain_starting_at_a_later_height() -> None:
    chain = new_chain(params=dataclasses.replace(PARAMS, initial_height=10))
    assert chain.executor.next_height() == 10
    assert chain.executor.validators_at(10) is GENESIS
    assert chain.executor.validators_at(11).validators == GENESIS.increment_priority().validators
    with pytest.raises(LookupError):
        chain.executor.validators_at(9)
    first = chain.advance()
    assert first.header.height == 10
    assert first.last_commit is None
    assert chain.advance().header.height == 11
