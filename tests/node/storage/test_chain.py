"""node.storage.chain: blocks, commits, results and indexes land with the
application's state in one LevelDB batch."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import plyvel
import pytest

from consensus.codec import encode
from consensus.merkle import EMPTY_HASH, merkle_root
from consensus.types import Block, Commit, Data
from node.storage.chain import ChainStore
from node.storage.leveldb import open_leveldb
from node.storage.records import TxLocation
from tests.consensus import vectors
from tests.consensus.fakes import FakeResult, FakeTxResult, event


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
    assert [(r.code, r.gas_wanted, r.gas_used) for r in results.txs_results] == [
        (0, 1000, 500),
        (5, 1001, 501),
    ]
    assert results.txs_results[0].events[0].attributes[0].value == "bob"
    assert results.finalize_block_events[0].type == "rewards"


def test_results_hash(store: ChainStore) -> None:
    commit_block(store, 1, [b"bob-1", b"carol-fail"])
    expected = merkle_root([encode([0, 1000, 500]), encode([5, 1001, 501])])
    assert store.load_results_hash(1) == expected
    assert store.load_results_hash(2) == EMPTY_HASH


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
