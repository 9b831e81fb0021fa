"""node.storage.leveldb: opening LevelDB, and LevelDBKV against MemoryKV."""

import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.storage.leveldb import DatabaseFull, LevelDBKV, StorageError, open_leveldb
from tests.tmpfs import fill, mounted_tmpfs
from vm.store.kv import KVStore, MemoryKV
from vm.store.smt import SparseMerkleTree, compute_root_reference

DISK_BYTES = 4 * 1024 * 1024
SLACK_BYTES = 16 * 1024  # less than BIG_BATCH takes in LevelDB's log
BIG_BATCH = {hashlib.sha256(bytes([i])).digest(): bytes([i]) * 1024 for i in range(256)}  # 256 KiB

keys = st.binary(max_size=3)
batches = st.dictionaries(keys, st.one_of(st.none(), st.binary(max_size=3)), max_size=30)


@pytest.fixture
def db(tmp_path: Path) -> Any:
    db = open_leveldb(tmp_path / "db")
    yield db
    db.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", DISK_BYTES) as disk:
        yield disk


def test_open_creates_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "a" / "db"
    db = open_leveldb(path)
    LevelDBKV(db).write({b"k": b"v"})
    db.close()
    db = open_leveldb(str(path))
    assert LevelDBKV(db).get(b"k") == b"v"
    db.close()


def memory_after_writes(path: Path, write_buffer_mib: int) -> int:
    """LevelDB's own count of its memory after 3 MiB of writes: memtables and cached blocks."""
    db = open_leveldb(path, cache_mib=8, write_buffer_mib=write_buffer_mib)
    try:
        for batch in range(48):
            keys = (hashlib.sha256(b"%d:%d" % (batch, i)).digest() for i in range(64))
            LevelDBKV(db).write(dict.fromkeys(keys, bytes(1024)))
        return int(db.get_property(b"leveldb.approximate-memory-usage"))
    finally:
        db.close()


def test_write_buffer_bounds_what_is_held_in_memory(tmp_path: Path) -> None:
    """[storage] write_buffer_mib reaches LevelDB: with 1 MiB the 3 MiB written are mostly
    flushed to tables; with 64 MiB they all stay in the memtable."""
    small = memory_after_writes(tmp_path / "small", write_buffer_mib=1)
    large = memory_after_writes(tmp_path / "large", write_buffer_mib=64)
    assert large > 3 << 20
    assert small < 2 << 20


def test_invalid_open_of_a_locked_database(db: Any, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="another depind process"):
        open_leveldb(tmp_path / "db")


def test_invalid_open_of_a_corrupt_database(tmp_path: Path) -> None:
    open_leveldb(tmp_path / "db").close()
    (tmp_path / "db" / "CURRENT").write_bytes(b"garbage")
    with pytest.raises(StorageError, match="corrupt"):
        open_leveldb(tmp_path / "db")


def test_leveldb_kv_is_a_kv_store(db: Any) -> None:
    kv: KVStore = LevelDBKV(db)
    kv.write({b"a": b"1"})
    assert kv.get(b"a") == b"1"


def test_write_is_one_atomic_batch(db: Any) -> None:
    kv = LevelDBKV(db, sync=True)
    kv.write({i.to_bytes(4, "big"): bytes(100) for i in range(20_000)})
    assert sum(1 for _ in kv.iterate(b"")) == 20_000
    bad: dict[bytes, Any] = {b"first": b"1", b"second": 2, b"third": b"3"}
    with pytest.raises(TypeError):
        kv.write(bad)
    assert kv.get(b"first") is None and kv.get(b"third") is None


def test_prefix_isolation(db: Any) -> None:
    a, b, top = LevelDBKV(db, b"a/"), LevelDBKV(db, b"b/"), LevelDBKV(db, b"\xff")
    a.write({b"k": b"in a", b"\xff": b"last in a"})
    b.write({b"k": b"in b", b"": b"first in b"})
    top.write({b"k": b"in top"})
    assert a.get(b"k") == b"in a" and b.get(b"k") == b"in b"
    assert list(a.iterate(b"")) == [(b"k", b"in a"), (b"\xff", b"last in a")]
    assert list(b.iterate(b"")) == [(b"", b"first in b"), (b"k", b"in b")]
    assert list(top.iterate(b"")) == [(b"k", b"in top")]
    assert db.get(b"a/k") == b"in a"
    b.write({b"k": None})
    assert a.get(b"k") == b"in a" and b.get(b"k") is None


def test_iterate_sees_the_store_as_it_was_when_called(db: Any) -> None:
    for kv in (LevelDBKV(db), MemoryKV()):
        kv.write({b"a": b"1", b"b": b"2"})
        items = kv.iterate(b"")
        kv.write({b"a": None, b"b": b"changed", b"c": b"3"})
        assert list(items) == [(b"a", b"1"), (b"b", b"2")]


_prefixes = itertools.count()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(batches, max_size=5), keys, st.one_of(st.none(), keys))
def test_behaves_like_memory_kv(
    db: Any, history: list[dict[bytes, bytes | None]], start: bytes, end: bytes | None
) -> None:
    leveldb = LevelDBKV(db, next(_prefixes).to_bytes(4, "big"))  # a fresh store per example
    memory = MemoryKV()
    for changes in history:
        leveldb.write(changes)
        memory.write(changes)
    assert list(leveldb.iterate(start, end)) == list(memory.iterate(start, end))
    assert list(leveldb.iterate(b"")) == list(memory.iterate(b""))
    for key in {key for changes in history for key in changes}:
        assert leveldb.get(key) == memory.get(key)


def test_state_tree_on_leveldb(db: Any) -> None:
    kv = LevelDBKV(db, b"state/")
    tree = SparseMerkleTree(kv, b"n/")
    state = {i.to_bytes(4, "big"): bytes([i % 256]) * 8 for i in range(2000)}
    root, writes = tree.update(state)
    kv.write(writes)
    assert tree.root() == root == compute_root_reference(state)
    changes = {i.to_bytes(4, "big"): None for i in range(0, 2000, 2)}
    root, writes = tree.update(changes)
    kv.write(writes)
    odd = {k: v for k, v in state.items() if int.from_bytes(k, "big") % 2}
    assert tree.root() == root == compute_root_reference(odd)


def test_invalid_write_on_a_full_disk_changes_nothing(small_disk: Path) -> None:
    path = small_disk / "db"
    db = open_leveldb(path)
    kv = LevelDBKV(db, sync=True)
    kv.write({b"kept": b"1"})
    filler = fill(small_disk, SLACK_BYTES)
    with pytest.raises(DatabaseFull) as refused:
        kv.write({b"kept": b"2", **BIG_BATCH})
    assert refused.value.path == str(path)
    assert "No space left on device" in str(refused.value)
    db.close()

    filler.unlink()
    db = open_leveldb(path)
    try:
        kv = LevelDBKV(db, sync=True)
        assert kv.get(b"kept") == b"1"
        assert [key for key, _ in kv.iterate(b"")] == [b"kept"]
        kv.write({b"after": b"3"})
        assert kv.get(b"after") == b"3"
    finally:
        db.close()


def test_invalid_open_on_a_full_disk(small_disk: Path) -> None:
    path = small_disk / "db"
    db = open_leveldb(path)
    LevelDBKV(db, sync=True).write({b"k": b"v"})
    db.close()
    fill(small_disk, 0)
    with pytest.raises(DatabaseFull) as refused:
        open_leveldb(path)
    assert refused.value.path == str(path)
