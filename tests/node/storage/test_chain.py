"""node.storage.chain: blocks, commits, results and indexes land with the
application's state in one LevelDB batch."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import plyvel
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from consensus.blocks import BlockExecutor, ChainParams
from consensus.codec import encode
from consensus.merkle import EMPTY_HASH, merkle_root
from consensus.tendermint.evidence import (
    EvidenceParams,
    InvalidEvidence,
    Offence,
    encode_evidence,
    evidence_id,
    offence_of,
)
from consensus.tendermint.messages import DuplicateVoteEvidence, duplicate_vote_evidence
from consensus.types import Block, Commit, Data, VoteType
from consensus.validators import ValidatorSet, apply_updates
from node.storage.chain import (
    RESULTS,
    RESULTS_HASH,
    ChainStore,
    event_key_prefix,
    height_key,
    results_hash,
)
from node.storage.leveldb import DatabaseFull, open_leveldb
from node.storage.records import Attribute, TxLocation
from tests.consensus import vectors
from tests.consensus.fakes import (
    FakeApp,
    FakeConsensusParams,
    FakeEvent,
    FakeMempool,
    FakeResult,
    FakeTxResult,
    FakeValidatorUpdate,
    event,
    flagged_event,
)
from tests.consensus.tendermint import support
from tests.tmpfs import fill, mounted_tmpfs

DISK_BYTES = 4 * 1024 * 1024


def tx_hash(tx: bytes) -> bytes:
    return hashlib.sha256(tx).digest()


def make_block(height: int, txs: list[bytes]) -> tuple[Block, Commit, FakeResult]:
    block = Block(
        vectors.header(height, txs), Data(txs), [], vectors.commit(height - 1) if height > 1 else None
    )
    commit = Commit(height, 0, vectors.block_id(f"{height}"), [vectors.commit_sig()])
    results = [
        FakeTxResult(
            code=0 if b"fail" not in tx else 5,
            data=b"" if b"fail" in tx else b"answer to " + tx,
            events=[event("transfer", recipient=tx.decode().split("-")[0], amount="1udepin")],
            gas_wanted=1000 + n,
            gas_used=500 + n,
        )
        for n, tx in enumerate(txs)
    ]
    return block, commit, FakeResult(results, [event("rewards", amount="3")], app_hash=bytes([height]) * 32)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chain.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[plyvel.DB]:
    db = open_leveldb(db_path)
    yield db
    db.close()


@pytest.fixture
def store(db: plyvel.DB) -> ChainStore:
    return ChainStore(db)


def commit_block(
    store: ChainStore, height: int, txs: list[bytes], state: dict[bytes, bytes | None] | None = None
) -> Block:
    block, commit, result = make_block(height, txs)
    store.stage_block(block, commit, result)
    store.state_kv.write(state or {})
    return block


def test_empty_store(store: ChainStore) -> None:
    assert (store.height(), store.base()) == (0, 0)
    assert store.load_block(1) is None
    assert store.load_commit(1) is None
    assert store.load_results(1) is None
    assert store.load_results_hash(0) == EMPTY_HASH


def test_staged_block_lands_with_the_state_write(store: ChainStore) -> None:
    block, commit, result = make_block(1, [b"bob-1", b"carol-fail"])
    store.stage_block(block, commit, result)
    store.state_kv.write({b"balance/bob": b"10"})
    assert store.height() == 1
    assert store.base() == 1
    assert store.load_block(1) == block
    assert store.load_commit(1) == commit
    assert store.height_of_hash(block.hash()) == 1
    assert store.state_kv.get(b"balance/bob") == b"10"


def test_nothing_staged_is_visible_before_the_write(store: ChainStore) -> None:
    block, commit, result = make_block(1, [b"bob-1"])
    store.stage_block(block, commit, result)
    assert store.height() == 0
    assert store.load_block(1) is None
    assert store.load_commit(1) is None
    assert store.load_results(1) is None
    assert store.height_of_hash(block.hash()) is None
    assert store.locate_tx(tx_hash(b"bob-1")) is None
    assert list(store.txs_with_attribute("transfer.recipient", "bob")) == []
    assert list(store.txs_in_heights(1, 1)) == []


def test_write_is_all_or_nothing(store: ChainStore) -> None:
    block, commit, result = make_block(1, [b"bob-1"])
    store.stage_block(block, commit, result)
    with pytest.raises(TypeError):
        store.state_kv.write({b"a": b"1", b"b": 5})  # type: ignore[dict-item]
    assert store.height() == 0
    assert store.load_block(1) is None
    assert store.state_kv.get(b"a") is None
    store.state_kv.write({b"a": b"1"})  # the stage is kept for the retry
    assert store.load_block(1) == block


def test_invalid_write_on_a_full_disk_stores_nothing_and_keeps_the_stage(tmp_path: Path) -> None:
    with mounted_tmpfs(tmp_path / "disk", DISK_BYTES) as disk:
        db = open_leveldb(disk / "chain.db")
        try:
            store = ChainStore(db)
            block, commit, result = make_block(1, [b"bob-1"])
            store.stage_block(block, commit, result)
            filler = fill(disk, 0)
            with pytest.raises(DatabaseFull, match="No space left on device"):
                store.state_kv.write({b"a": b"1"})
            assert (store.height(), store.load_block(1), store.state_kv.get(b"a")) == (0, None, None)
            filler.unlink()
            store.state_kv.write({b"a": b"1"})  # the retry carries the staged block
            assert (store.height(), store.load_block(1), store.state_kv.get(b"a")) == (1, block, b"1")
        finally:
            db.close()


def test_write_empties_the_stage(store: ChainStore) -> None:
    commit_block(store, 1, [b"bob-1"])
    store.state_kv.write({b"k": b"v2"})  # a later state write carries no block records again
    assert store.height() == 1
    assert store.load_block(1) is not None


def test_state_deletes(store: ChainStore) -> None:
    store.state_kv.write({b"a": b"1", b"b": b"2"})
    commit_block(store, 1, [], {b"a": None})
    assert store.state_kv.get(b"a") is None
    assert list(store.state_kv.iterate(b"")) == [(b"b", b"2")]


def test_state_keys_do_not_see_block_records(store: ChainStore) -> None:
    commit_block(store, 1, [b"bob-1"], {b"k": b"v"})
    assert list(store.state_kv.iterate(b"")) == [(b"k", b"v")]


def test_results(store: ChainStore) -> None:
    commit_block(store, 1, [b"bob-1", b"carol-fail"])
    results = store.load_results(1)
    assert results is not None
    assert results.height == 1
    assert results.app_hash == bytes([1]) * 32
    assert [(r.code, r.data, r.gas_wanted, r.gas_used) for r in results.txs_results] == [
        (0, b"answer to bob-1", 1000, 500),
        (5, b"", 1001, 501),
    ]
    assert results.txs_results[0].events[0].attributes[0].value == "bob"
    assert results.finalize_block_events[0].type == "rewards"


def test_results_hash(store: ChainStore) -> None:
    commit_block(store, 1, [b"bob-1", b"carol-fail"])
    expected = merkle_root([encode([0, b"answer to bob-1", 1000, 500]), encode([5, b"", 1001, 501])])
    assert store.load_results_hash(1) == expected
    assert store.load_results_hash(2) == EMPTY_HASH
    store.db.delete(RESULTS_HASH + height_key(1))  # as a block stored before the hash was
    assert store.load_results_hash(1) == expected


def test_results_hash_covers_data(store: ChainStore) -> None:
    """Nodes whose txs answered different data disagree on the next header's
    ``last_results_hash``: CometBFT hashes ``data`` with the code and gas."""
    commit_block(store, 1, [b"bob-1"])
    other_answer = results_hash([(0, b"another answer", 1000, 500)])
    assert store.load_results_hash(1) == results_hash([(0, b"answer to bob-1", 1000, 500)]) != other_answer


def test_tx_index(store: ChainStore) -> None:
    commit_block(store, 1, [b"bob-1", b"carol-1"])
    commit_block(store, 2, [b"bob-2"])
    assert store.locate_tx(tx_hash(b"carol-1")) == TxLocation(1, 1)
    assert store.locate_tx(tx_hash(b"bob-2")) == TxLocation(2, 0)
    assert store.locate_tx(tx_hash(b"nobody")) is None


def test_txs_with_attribute(store: ChainStore) -> None:
    commit_block(store, 1, [b"bob-1", b"carol-1"])
    commit_block(store, 2, [b"bob-2"])
    assert list(store.txs_with_attribute("transfer.recipient", "bob")) == [TxLocation(1, 0), TxLocation(2, 0)]
    assert list(store.txs_with_attribute("transfer.recipient", "carol")) == [TxLocation(1, 1)]
    assert list(store.txs_with_attribute("transfer.recipient", "dave")) == []
    assert list(store.txs_with_attribute("transfer.sender", "bob")) == []


def test_txs_with_attribute_matches_whole_values(store: ChainStore) -> None:
    commit_block(store, 1, [b"bo-1", b"bob-1", b"bobby-1"])
    assert list(store.txs_with_attribute("transfer.recipient", "bob")) == [TxLocation(1, 1)]
    assert list(store.txs_with_attribute("transfer.recipient", "bo")) == [TxLocation(1, 0)]


def commit_events(store: ChainStore, height: int, events_of_txs: list[list[FakeEvent]]) -> list[bytes]:
    """Commit a block of one tx per entry, emitting that entry's events; the txs are returned."""
    txs = [f"tx-{height}-{n}".encode() for n in range(len(events_of_txs))]
    block, commit, _ = make_block(height, txs)
    store.stage_block(block, commit, FakeResult([FakeTxResult(events=events) for events in events_of_txs]))
    store.state_kv.write({})
    return txs


def test_txs_with_attribute_values_holding_nul_do_not_collide(store: ChainStore) -> None:
    commit_events(
        store,
        1,
        [[flagged_event("memo", ("text", "a\x00b", True))], [flagged_event("memo", ("text", "a", True))]],
    )
    assert list(store.txs_with_attribute("memo.text", "a")) == [TxLocation(1, 1)]
    assert list(store.txs_with_attribute("memo.text", "a\x00b")) == [TxLocation(1, 0)]
    assert list(store.txs_with_attribute("memo.text", "a\x00")) == []


def test_txs_with_attribute_keys_holding_nul_do_not_collide(store: ChainStore) -> None:
    # Joined with a bare 0x00, both pairs would read "x.y", 0x00, "z", 0x00, "v".
    commit_events(
        store, 1, [[flagged_event("x", ("y\x00z", "v", True))], [flagged_event("x", ("y", "z\x00v", True))]]
    )
    assert list(store.txs_with_attribute("x.y\x00z", "v")) == [TxLocation(1, 0)]
    assert list(store.txs_with_attribute("x.y", "z\x00v")) == [TxLocation(1, 1)]
    assert list(store.txs_with_attribute("x.y", "z")) == []


def test_only_indexed_attributes_are_in_the_tx_index(store: ChainStore) -> None:
    transfer = flagged_event("transfer", ("recipient", "bob", True), ("memo", "hi", False))
    (tx,) = commit_events(store, 1, [[transfer]])
    assert list(store.txs_with_attribute("transfer.recipient", "bob")) == [TxLocation(1, 0)]
    assert list(store.txs_with_attribute("transfer.memo", "hi")) == []
    assert store.locate_tx(tx_hash(tx)) == TxLocation(1, 0)  # tx.hash and tx.height need no attribute
    assert list(store.txs_in_heights(1, 1)) == [TxLocation(1, 0)]


def test_results_keep_the_index_flag(store: ChainStore) -> None:
    commit_events(store, 1, [[flagged_event("transfer", ("recipient", "bob", True), ("memo", "hi", False))]])
    results = store.load_results(1)
    assert results is not None
    assert results.txs_results[0].events[0].attributes == [
        Attribute("recipient", "bob", index=True),
        Attribute("memo", "hi", index=False),
    ]


def test_results_stored_before_the_index_flag_read_as_indexed(store: ChainStore) -> None:
    # (height, txs_results, finalize_block_events, app_hash) with [key, value] attributes.
    stored = [1, [[0, "", "", 100, 50, [["transfer", [["recipient", "bob"]]]]]], [], bytes(32)]
    store.db.put(RESULTS + height_key(1), msgspec.msgpack.encode(stored))
    results = store.load_results(1)
    assert results is not None
    assert results.txs_results[0].events[0].attributes == [Attribute("recipient", "bob", index=True)]


pairs = st.tuples(st.text("a.\x00\x01", max_size=4), st.text("a.\x00\x01", max_size=4))


@given(pairs, pairs)
def test_event_key_prefixes_are_prefix_free_and_keep_order(a: tuple[str, str], b: tuple[str, str]) -> None:
    assume(a != b)
    first, second = event_key_prefix(*a), event_key_prefix(*b)
    assert not second.startswith(first)
    assert (first < second) == ((a[0].encode(), a[1].encode()) < (b[0].encode(), b[1].encode()))


def test_txs_in_heights(store: ChainStore) -> None:
    commit_block(store, 1, [b"a-1", b"b-1"])
    commit_block(store, 2, [])
    commit_block(store, 3, [b"c-3"])
    assert list(store.txs_in_heights(1, 3)) == [TxLocation(1, 0), TxLocation(1, 1), TxLocation(3, 0)]
    assert list(store.txs_in_heights(2, 3)) == [TxLocation(3, 0)]
    assert list(store.txs_in_heights(2, 2)) == []
    assert list(store.txs_in_heights(4, 9)) == []


def test_base_stays_at_the_first_block(store: ChainStore) -> None:
    for height in (1, 2, 3):
        commit_block(store, height, [])
    assert (store.base(), store.height()) == (1, 3)


def test_reopen_reads_everything_back(db_path: Path) -> None:
    db = open_leveldb(db_path)
    store = ChainStore(db)
    first = commit_block(store, 1, [b"bob-1"], {b"k": b"v"})
    second = commit_block(store, 2, [b"carol-2"])
    db.close()

    db = open_leveldb(db_path)
    try:
        reopened = ChainStore(db)
        assert (reopened.base(), reopened.height()) == (1, 2)
        assert reopened.load_block(1) == first
        assert reopened.load_block(2) == second
        assert reopened.load_commit(2) == make_block(2, [b"carol-2"])[1]
        assert reopened.height_of_hash(second.hash()) == 2
        assert reopened.locate_tx(tx_hash(b"carol-2")) == TxLocation(2, 0)
        assert list(reopened.txs_with_attribute("transfer.recipient", "bob")) == [TxLocation(1, 0)]
        assert reopened.state_kv.get(b"k") == b"v"
    finally:
        db.close()


def test_unwritten_stage_is_lost_on_restart(db_path: Path) -> None:
    db = open_leveldb(db_path)
    store = ChainStore(db)
    commit_block(store, 1, [])
    block, commit, result = make_block(2, [b"bob-2"])
    store.stage_block(block, commit, result)  # the process dies before the app commits
    db.close()

    db = open_leveldb(db_path)
    try:
        reopened = ChainStore(db)
        assert reopened.height() == 1
        assert reopened.load_block(2) is None
        assert reopened.locate_tx(tx_hash(b"bob-2")) is None
    finally:
        db.close()


def validators(*powers: int) -> ValidatorSet:
    return ValidatorSet.from_keys([(bytes([n]) * 32, power) for n, power in enumerate(powers, start=1)])


def test_staged_validators_land_with_the_state_write(store: ChainStore) -> None:
    staged = validators(10, 20, 30).increment_priority(2)
    store.stage_validators(3, staged)
    assert store.load_validators(3) is None
    store.state_kv.write({})
    loaded = store.load_validators(3)
    assert loaded is not None
    assert loaded.validators == staged.validators
    assert loaded.hash() == staged.hash()
    assert loaded.proposer() == staged.proposer()


def test_validators_keep_negative_priorities(store: ChainStore) -> None:
    staged = apply_updates(validators(10, 20), [(bytes([9]) * 32, 5)])
    assert min(v.proposer_priority for v in staged.validators) < 0
    store.stage_validators(4, staged)
    commit_block(store, 1, [])
    loaded = store.load_validators(4)
    assert loaded is not None
    assert loaded.validators == staged.validators


def test_validators_of_each_height_are_kept_apart(store: ChainStore) -> None:
    store.stage_validators(3, validators(10))
    commit_block(store, 1, [])
    store.stage_validators(4, validators(10, 20))
    commit_block(store, 2, [])
    three, four = store.load_validators(3), store.load_validators(4)
    assert three is not None and four is not None
    assert (three.hash(), four.hash()) == (validators(10).hash(), validators(10, 20).hash())
    assert store.load_validators(2) is None
    assert store.load_validators(5) is None


def test_validators_are_read_back_after_reopening(db_path: Path) -> None:
    staged = validators(7, 3).increment_priority()
    db = open_leveldb(db_path)
    store = ChainStore(db)
    store.stage_validators(3, staged)
    commit_block(store, 1, [])
    db.close()

    db = open_leveldb(db_path)
    try:
        loaded = ChainStore(db).load_validators(3)
        assert loaded is not None
        assert loaded.validators == staged.validators
    finally:
        db.close()


def test_validators_are_not_state_keys(store: ChainStore) -> None:
    store.stage_validators(3, validators(10))
    store.state_kv.write({b"k": b"v"})
    assert list(store.state_kv.iterate(b"")) == [(b"k", b"v")]


def test_evidence_committed_only_once_its_block_lands(store: ChainStore) -> None:
    evidence = [b"evidence-1", b"evidence-2"]
    block, commit, result = make_block(1, [b"bob-1"])
    block = msgspec.structs.replace(block, evidence=evidence)
    assert not store.evidence_committed(hashlib.sha256(evidence[0]).digest())
    store.stage_block(block, commit, result)
    assert not store.evidence_committed(hashlib.sha256(evidence[0]).digest())
    store.state_kv.write({})
    assert store.evidence_committed(hashlib.sha256(evidence[0]).digest())
    assert store.evidence_committed(hashlib.sha256(evidence[1]).digest())
    assert not store.evidence_committed(hashlib.sha256(b"evidence-3").digest())
    assert not store.evidence_committed(evidence[0])  # the id is the hash, not the bytes


def test_evidence_is_not_committed_by_a_block_without_it(store: ChainStore) -> None:
    commit_block(store, 1, [b"bob-1"])
    assert not store.evidence_committed(hashlib.sha256(b"evidence-1").digest())


def test_evidence_of_an_unwritten_block_is_lost_on_restart(db_path: Path) -> None:
    db = open_leveldb(db_path)
    store = ChainStore(db)
    block, commit, result = make_block(1, [])
    store.stage_block(msgspec.structs.replace(block, evidence=[b"evidence-1"]), commit, result)
    db.close()

    db = open_leveldb(db_path)
    try:
        assert not ChainStore(db).evidence_committed(hashlib.sha256(b"evidence-1").digest())
    finally:
        db.close()


@dataclass
class StoringApp(FakeApp):
    """Writes the staged block records with its (empty) state changes when it commits."""

    store: ChainStore | None = None

    def commit(self) -> int:
        retain = super().commit()
        assert self.store is not None
        self.store.state_kv.write({})
        return retain


def test_block_executor_keeps_sets_and_evidence_in_the_store(db_path: Path) -> None:
    keys, newcomer = support.signers(4), support.signers(1, seed=5)[0]
    genesis = support.validator_set(keys, [10, 10, 10, 10])
    params = ChainParams(support.CHAIN_ID, 1, 0)
    first, second = (support.make_block(1, b"", [tx]) for tx in (b"a", b"b"))
    evidence = duplicate_vote_evidence(
        support.signed_vote(keys[1], genesis, VoteType.PREVOTE, 1, 0, first).vote,
        support.signed_vote(keys[1], genesis, VoteType.PREVOTE, 1, 0, second).vote,
        10,
        40,
    )
    db = open_leveldb(db_path)
    store = ChainStore(db)
    app = StoringApp(updates_at={1: [FakeValidatorUpdate(newcomer.pub_key, 10)]}, store=store)
    executor = BlockExecutor(params, app, store, FakeMempool(), genesis)
    executor.evidence.add(evidence)
    for height in (1, 2, 3):
        validators = executor.validators_at(height)
        block = executor.build(height, validators.proposer().address)
        executor.check(block)
        executor.apply(block, support.signed_commit([*keys, newcomer], validators, height, 0, block))
    staged = {height: executor.validators_at(height).validators for height in (3, 4, 5)}
    committed = store.load_block(2)  # the first block after the evidence's height
    assert committed is not None
    assert committed.evidence == [encode_evidence(evidence)]
    db.close()

    db = open_leveldb(db_path)
    try:
        store = ChainStore(db)
        reopened = BlockExecutor(params, FakeApp(), store, FakeMempool(), genesis)
        assert reopened.next_height() == 4
        assert {h: reopened.validators_at(h).validators for h in (3, 4, 5)} == staged
        assert len(staged[3]) == 5
        assert store.evidence_committed(evidence_id(encode_evidence(evidence)))
        assert not reopened.evidence.add(evidence)  # committed before the restart
        with pytest.raises(InvalidEvidence, match="committed"):
            reopened.evidence.check_block([encode_evidence(evidence)])
    finally:
        db.close()


def offence(height: int, round_: int = 0, validator: bytes = b"\x01" * 20) -> Offence:
    return (validator, height, round_, int(VoteType.PREVOTE))


def test_offences_land_with_their_block(db_path: Path) -> None:
    db = open_leveldb(db_path)
    store = ChainStore(db)
    block, commit, result = make_block(2, [])
    store.stage_block(block, commit, result)
    store.stage_offences(2, [offence(1), offence(1, round_=1)])
    assert not store.offence_committed(offence(1))
    store.state_kv.write({})
    db.close()

    db = open_leveldb(db_path)
    try:
        store = ChainStore(db)
        assert store.offence_committed(offence(1))
        assert store.offence_committed(offence(1, round_=1))
        assert not store.offence_committed(offence(1, round_=2))
        assert not store.offence_committed(offence(2))
        assert not store.offence_committed(offence(1, validator=b"\x02" * 20))
    finally:
        db.close()


def test_offence_expiry_removes_the_oldest_until_a_live_one(store: ChainStore) -> None:
    commit_block(store, 1, [])
    store.stage_offences(1, [offence(1), offence(1, round_=3), offence(2), offence(5), offence(9)])
    commit_block(store, 2, [])
    asked: list[int] = []

    def expired_before_5(height: int) -> bool:
        asked.append(height)
        return height < 5

    store.stage_offence_expiry(expired_before_5)
    assert store.offence_committed(offence(1))  # removed only with the next block
    commit_block(store, 3, [])
    assert asked == [1, 2, 5]  # once a height, and none past the first live one
    assert [store.offence_committed(offence(h)) for h in (1, 2, 5, 9)] == [False, False, True, True]
    assert not store.offence_committed(offence(1, round_=3))


def double_prevote(
    keys: list[support.KeySigner], genesis: ValidatorSet, txs: tuple[bytes, bytes]
) -> DuplicateVoteEvidence:
    """keys[1]'s two prevotes at height 1 round 0, for blocks holding ``txs``."""
    blocks = [support.make_block(1, b"", [tx]) for tx in txs]
    votes = [support.signed_vote(keys[1], genesis, VoteType.PREVOTE, 1, 0, block).vote for block in blocks]
    return duplicate_vote_evidence(votes[0], votes[1], 10, 40)


def commit_heights(executor: BlockExecutor, keys: list[support.KeySigner], heights: range) -> None:
    for height in heights:
        validators = executor.validators_at(height)
        block = executor.build(height, validators.proposer().address)
        executor.check(block)
        executor.apply(block, support.signed_commit(keys, validators, height, 0, block))


OFFENCE_KEYS = support.signers(4)
OFFENCE_GENESIS = support.validator_set(OFFENCE_KEYS, [10, 10, 10, 10])
OFFENCE_PARAMS = ChainParams(support.CHAIN_ID, 1, 0)


def two_pairs_for_one_offence() -> tuple[DuplicateVoteEvidence, DuplicateVoteEvidence]:
    """Two different vote pairs proving the same offence (keys[1] at height 1, round 0)."""
    evidence = double_prevote(OFFENCE_KEYS, OFFENCE_GENESIS, (b"a", b"b"))
    return evidence, double_prevote(OFFENCE_KEYS, OFFENCE_GENESIS, (b"a", b"c"))


SHORT_EVIDENCE_AGE = FakeConsensusParams(
    evidence=EvidenceParams(max_age_num_blocks=2, max_bytes=64 * 1024, max_age_duration_ns=0)
)


def test_restarted_pool_refuses_another_pair_for_a_committed_offence(db_path: Path) -> None:
    keys, genesis, params = OFFENCE_KEYS, OFFENCE_GENESIS, OFFENCE_PARAMS
    evidence, other_pair = two_pairs_for_one_offence()
    assert offence_of(other_pair) == offence_of(evidence) and other_pair != evidence
    db = open_leveldb(db_path)
    store = ChainStore(db)
    executor = BlockExecutor(params, StoringApp(store=store), store, FakeMempool(), genesis)
    executor.evidence.add(evidence)
    commit_heights(executor, keys, range(1, 3))
    assert not executor.evidence.add(other_pair)
    db.close()

    db = open_leveldb(db_path)
    try:
        reopened = BlockExecutor(params, FakeApp(), ChainStore(db), FakeMempool(), genesis)
        assert reopened.evidence.is_committed(other_pair)
        assert reopened.evidence.is_known(other_pair)
        assert not reopened.evidence.add(other_pair)
        assert reopened.evidence.size() == 0
    finally:
        db.close()


def test_committed_offence_leaves_the_store_when_it_expires(db_path: Path) -> None:
    keys, genesis, params = OFFENCE_KEYS, OFFENCE_GENESIS, OFFENCE_PARAMS
    evidence, other_pair = two_pairs_for_one_offence()
    db = open_leveldb(db_path)
    store = ChainStore(db)
    app = StoringApp(params=SHORT_EVIDENCE_AGE, store=store)
    executor = BlockExecutor(params, app, store, FakeMempool(), genesis)
    executor.evidence.add(evidence)
    commit_heights(executor, keys, range(1, 4))  # height 1 is live up to the chain at 3
    assert store.offence_committed(offence_of(evidence))
    db.close()

    db = open_leveldb(db_path)
    try:
        store = ChainStore(db)
        app = StoringApp(params=SHORT_EVIDENCE_AGE, store=store)
        app.height, app.app_hash = executor.app.info()
        reopened = BlockExecutor(params, app, store, FakeMempool(), genesis)
        assert reopened.evidence.is_committed(other_pair)
        commit_heights(reopened, keys, range(4, 6))
        assert reopened.evidence.is_expired(1)
        assert not store.offence_committed(offence_of(evidence))
        assert not reopened.evidence.is_committed(other_pair)
        with pytest.raises(InvalidEvidence, match="expired"):
            reopened.evidence.add(other_pair)
    finally:
        db.close()
