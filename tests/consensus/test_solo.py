"""consensus.solo: the single-validator engine, against in-memory fakes under
trio's autojump clock."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trio

from consensus import privval
from consensus.bfttime import MIN_BLOCK_INTERVAL_NS
from consensus.blocks import BlockExecutor, ChainParams, on_the_loop
from consensus.codec import encode
from consensus.engine import BlockLimits, ConsensusConfig
from consensus.merkle import EMPTY_HASH
from consensus.parts import part_set_header
from consensus.privval import FilePV
from consensus.solo import NotAValidator, SoloEngine
from consensus.tendermint.evidence import EvidenceParams
from consensus.types import ZERO_BLOCK_ID, Block, BlockIDFlag, Commit, Data, VoteType, vote_sign_bytes
from consensus.validators import ValidatorSet
from consensus.wal import BlockWAL
from tests.consensus.fakes import (
    GENESIS_APP_HASH,
    FakeApp,
    FakeBlockStore,
    FakeConsensusParams,
    FakeMempool,
    FakeResult,
    FakeValidatorUpdate,
)

CHAIN_ID = "depin-solo-1"
CONSENSUS_HASH = hashlib.sha256(b"consensus params").digest()
LIMITS = BlockLimits(max_bytes=2048, max_gas=-1)
TIMEOUT_COMMIT_S = 1.0
NOW_NS = 1_700_000_000 * 10**9
EVIDENCE = EvidenceParams(max_age_num_blocks=100, max_bytes=64 * 1024)
PARAMS = FakeConsensusParams(LIMITS, EVIDENCE, CONSENSUS_HASH)


@dataclass
class Committed:
    at: float
    block: Block
    commit: Commit
    result: FakeResult


@dataclass
class Listener:
    """The engine's on_commit: records every commit with the trio time it happened."""

    seen: list[Committed] = field(default_factory=list)

    async def __call__(self, block: Block, commit: Commit, result: Any) -> None:
        self.seen.append(Committed(trio.current_time(), block, commit, result))

    def heights(self) -> list[int]:
        return [c.block.header.height for c in self.seen]


@dataclass
class Chain:
    """One engine and the fakes around it."""

    tmp_path: Path
    app: FakeApp = field(default_factory=lambda: FakeApp(params=PARAMS))
    store: FakeBlockStore = field(default_factory=FakeBlockStore)
    mempool: FakeMempool = field(default_factory=FakeMempool)
    listener: Listener = field(default_factory=Listener)
    now_ns: int = NOW_NS  # the validator's clock, moved by hand

    def clock(self) -> int:
        return self.now_ns

    def pv(self) -> FilePV:
        key = self.tmp_path / "priv_validator_key.json"
        if not key.exists():
            privval.write_key_file(key, bytes([7]) * 32)
        return FilePV(key, self.tmp_path / "priv_validator_state.json")

    def engine(self, config: ConsensusConfig | None = None, initial_height: int = 1) -> SoloEngine:
        pv = self.pv()
        params = ChainParams(CHAIN_ID, initial_height, 0)
        validators = ValidatorSet.from_keys([(pv.pub_key, 10)])
        return SoloEngine(
            BlockExecutor(params, self.app, self.store, self.mempool, validators, on_the_loop),
            pv,
            config or ConsensusConfig(timeout_commit_s=TIMEOUT_COMMIT_S),
            self.listener,
            BlockWAL(self.tmp_path / "block_wal"),
            now=self.clock,
        )


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    return Chain(tmp_path)


async def run_for(engine: SoloEngine, seconds: float) -> None:
    async with trio.open_nursery() as nursery:
        await nursery.start(engine.run)
        await trio.sleep(seconds)
        nursery.cancel_scope.cancel()


async def test_block_every_timeout_commit(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    start = trio.current_time()
    await run_for(chain.engine(), 5.5)
    times = [c.at - start for c in chain.listener.seen]
    assert times == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0])


async def test_heights_increase_from_one(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    await run_for(chain.engine(), 4.5)
    assert chain.listener.heights() == [1, 2, 3, 4]
    assert chain.store.height() == 4
    assert chain.app.commits == 4


async def test_first_block_starts_the_chain(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    await run_for(chain.engine(), 1.5)
    first = chain.listener.seen[0].block
    assert first.header.last_block_id == ZERO_BLOCK_ID
    assert first.last_commit is None
    assert first.header.last_commit_hash == EMPTY_HASH
    assert first.header.last_results_hash == EMPTY_HASH
    assert first.header.app_hash == GENESIS_APP_HASH


async def test_blocks_chain_to_the_previous_commit(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    await run_for(chain.engine(), 5.5)
    seen = chain.listener.seen
    for previous, current in itertools.pairwise(seen):
        header = current.block.header
        assert header.last_block_id == previous.commit.block_id
        assert header.last_block_id.hash == previous.block.hash()
        assert current.block.last_commit == previous.commit
        assert header.last_commit_hash == previous.commit.hash()
        assert header.last_results_hash == chain.store.load_results_hash(previous.block.header.height)
        assert header.time_ns > previous.block.header.time_ns


async def test_app_hash_is_previous_finalize_result(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    await run_for(chain.engine(), 5.5)
    seen = chain.listener.seen
    for previous, current in itertools.pairwise(seen):
        assert current.block.header.app_hash == previous.result.app_hash
    assert chain.app.info() == (5, seen[-1].result.app_hash)


async def test_header_fields(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    engine = chain.engine()
    await run_for(engine, 2.5)
    for committed in chain.listener.seen:
        header = committed.block.header
        assert header.chain_id == CHAIN_ID
        assert header.proposer_address == engine.pv.address
        assert (
            header.validators_hash == header.next_validators_hash == engine.executor.validators_at(1).hash()
        )
        assert header.consensus_hash == CONSENSUS_HASH
        assert header.data_hash == Data(committed.block.data.txs).hash()
        assert header.evidence_hash == EMPTY_HASH
        assert committed.block.evidence == []


async def test_commit_signature_verifies(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    engine = chain.engine()
    await run_for(engine, 3.5)
    for committed in chain.listener.seen:
        block, commit = committed.block, committed.commit
        height = block.header.height
        assert (commit.height, commit.round) == (height, 0)
        assert commit.block_id.hash == block.hash()
        assert commit.block_id.part_set_header == part_set_header(encode(block))
        (sig,) = commit.signatures
        assert sig.block_id_flag == BlockIDFlag.COMMIT
        assert sig.validator_address == engine.pv.address
        assert sig.timestamp_ns == max(NOW_NS, block.header.time_ns + MIN_BLOCK_INTERVAL_NS)
        sign_bytes = vote_sign_bytes(
            CHAIN_ID, VoteType.PRECOMMIT, height, 0, commit.block_id, sig.timestamp_ns
        )
        assert privval.verify(engine.pv.pub_key, sign_bytes, sig.signature)


async def test_block_time_is_the_last_precommits_time(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    """BFT time with one validator: the first block has the genesis time, each later one the
    time of the one precommit in its last commit."""
    engine = chain.engine()
    await run_for(engine, 3.5)
    seen = chain.listener.seen
    assert seen[0].block.header.time_ns == 0
    for previous, current in itertools.pairwise(seen):
        assert current.block.header.time_ns == previous.commit.signatures[0].timestamp_ns
    assert [c.block.header.time_ns for c in seen[1:]] == [NOW_NS, NOW_NS + MIN_BLOCK_INTERVAL_NS]


async def test_blocks_pass_the_checks_of_a_node_that_syncs_them(
    chain: Chain, autojump_clock: trio.abc.Clock
) -> None:
    await run_for(chain.engine(), 4.5)
    validators = chain.engine().executor.validators_at(1)
    follower = BlockExecutor(
        ChainParams(CHAIN_ID, 1, 0), FakeApp(params=PARAMS), FakeBlockStore(), FakeMempool(), validators
    )
    for committed in chain.listener.seen:
        follower.check(committed.block)
        follower.check_commit(committed.block, committed.commit)
        follower.apply(committed.block, committed.commit)
    assert follower.next_height() == 5


async def test_finalize_gets_the_block(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    engine = chain.engine()
    await run_for(engine, 2.5)
    for call, committed in zip(chain.app.finalized, chain.listener.seen, strict=True):
        header = committed.block.header
        assert call.height == header.height
        assert call.time_ns == header.time_ns
        assert call.proposer == engine.pv.address
        assert call.last_block_hash == header.last_block_id.hash
        assert call.txs == committed.block.data.txs


async def test_stages_what_it_commits(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    await run_for(chain.engine(), 2.5)
    for committed in chain.listener.seen:
        height = committed.block.header.height
        assert chain.store.load_block(height) == committed.block
        assert chain.store.load_commit(height) == committed.commit
        assert chain.store.results[height] is committed.result


async def test_includes_mempool_txs_the_app_keeps(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    for tx in (b"tx-1", b"drop-me", b"tx-2"):
        chain.mempool.add(tx)
    await run_for(chain.engine(), 2.5)
    first, second = chain.listener.seen
    assert chain.app.prepared[0] == [b"tx-1", b"drop-me", b"tx-2"]
    assert first.block.data.txs == [b"tx-1", b"tx-2"]
    assert chain.mempool.updates == [(1, [b"tx-1", b"tx-2"]), (2, [])]
    assert second.block.data.txs == []


async def test_reaps_within_block_bytes(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    big = b"x" * 900  # one fits in LIMITS.max_bytes beside the header and last commit; two do not
    chain.mempool.add(big + b"1")
    chain.mempool.add(big + b"2")
    await run_for(chain.engine(), 2.5)
    assert [c.block.data.txs for c in chain.listener.seen] == [[big + b"1"], [big + b"2"]]


async def test_no_empty_blocks_until_a_tx(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    engine = chain.engine(ConsensusConfig(TIMEOUT_COMMIT_S, create_empty_blocks=False))
    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        await nursery.start(engine.run)
        await trio.sleep(30)
        assert chain.listener.seen == []
        chain.mempool.add(b"wake up")
        await trio.sleep(30)
        nursery.cancel_scope.cancel()
    (only,) = chain.listener.seen
    assert only.block.data.txs == [b"wake up"]
    assert only.at - start == pytest.approx(30)


async def test_no_empty_blocks_with_pending_txs(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    chain.mempool.add(b"already here")
    engine = chain.engine(ConsensusConfig(TIMEOUT_COMMIT_S, create_empty_blocks=False))
    start = trio.current_time()
    await run_for(engine, 10)
    (only,) = chain.listener.seen
    assert only.at - start == pytest.approx(TIMEOUT_COMMIT_S)


async def test_empty_block_interval(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    config = ConsensusConfig(TIMEOUT_COMMIT_S, create_empty_blocks=False, create_empty_blocks_interval_s=5)
    start = trio.current_time()
    await run_for(chain.engine(config), 13)
    assert [c.at - start for c in chain.listener.seen] == pytest.approx([6.0, 12.0])


async def test_initial_height(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    await run_for(chain.engine(initial_height=10), 2.5)
    assert chain.listener.heights() == [10, 11]


async def test_restart_continues_the_chain(chain: Chain, autojump_clock: trio.abc.Clock) -> None:
    await run_for(chain.engine(), 2.5)
    await run_for(chain.engine(), 2.5)
    assert chain.listener.heights() == [1, 2, 3, 4]
    assert chain.listener.seen[2].block.header.last_block_id == chain.listener.seen[1].commit.block_id


class CrashingApp(FakeApp):
    """Crashes once, after the block is signed and before it is executed."""

    crashed: bool = False

    def finalize_block(self, *args: Any, **kwargs: Any) -> FakeResult:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("power cut")
        return super().finalize_block(*args, **kwargs)


async def test_restart_after_crash_re_signs_the_same_block(chain: Chain) -> None:
    chain.app = CrashingApp(params=PARAMS)
    chain.mempool.add(b"tx")
    with pytest.raises(RuntimeError, match="power cut"):
        await chain.engine().produce_block()
    signed = json.loads((chain.tmp_path / "priv_validator_state.json").read_text())
    chain.mempool.txs.clear()  # the mempool does not survive the restart
    chain.now_ns += 60 * 10**9  # the restart took a minute

    block = await chain.engine().produce_block()
    (committed,) = chain.listener.seen
    assert block.data.txs == [b"tx"]
    assert committed.commit.signatures[0].signature.hex() == signed["signature_hex"]


def solo_with(chain: Chain, pv: FilePV, validators: ValidatorSet) -> SoloEngine:
    params = ChainParams(CHAIN_ID, 1, 0)
    executor = BlockExecutor(params, chain.app, chain.store, chain.mempool, validators, on_the_loop)
    return SoloEngine(executor, pv, ConsensusConfig(), chain.listener, BlockWAL(chain.tmp_path / "block_wal"))


def test_invalid_key_not_in_validator_set(chain: Chain) -> None:
    others = ValidatorSet.from_keys([(privval.public_key(bytes(32)), 10)])
    with pytest.raises(NotAValidator):
        solo_with(chain, chain.pv(), others)


def test_invalid_more_than_one_validator(chain: Chain) -> None:
    pv = chain.pv()
    both = ValidatorSet.from_keys([(pv.pub_key, 10), (privval.public_key(bytes(32)), 10)])
    with pytest.raises(NotAValidator):
        solo_with(chain, pv, both)


NEWCOMER = bytes([9]) * 32  # another validator's ed25519 public key


async def test_a_small_newcomer_is_absent_from_the_commits(
    chain: Chain, autojump_clock: trio.abc.Clock
) -> None:
    """Staking adds a validator with less than a third of the power at height 1, in the set
    from height 3: the node still decides alone, and the commits name the newcomer absent."""
    chain.app = FakeApp(params=PARAMS, updates_at={1: [FakeValidatorUpdate(NEWCOMER, 4)]})
    await run_for(chain.engine(), 4.5)
    assert chain.listener.heights() == [1, 2, 3, 4]
    flags = [[sig.block_id_flag for sig in c.commit.signatures] for c in chain.listener.seen]
    assert [len(f) for f in flags] == [1, 1, 2, 2]
    assert all(f.count(BlockIDFlag.COMMIT) == 1 and BlockIDFlag.ABSENT in f for f in flags[2:])


async def test_invalid_deciding_alone_once_others_hold_a_third(
    chain: Chain, autojump_clock: trio.abc.Clock
) -> None:
    """With 5 of 15 power elsewhere from height 3 on, the node stops after height 2 and waits."""
    chain.app = FakeApp(params=PARAMS, updates_at={1: [FakeValidatorUpdate(NEWCOMER, 5)]})
    engine = chain.engine()
    await run_for(engine, 5.5)
    assert chain.listener.heights() == [1, 2]
    assert not engine.can_decide()
