"""CacheStore and PrefixStore: layered writes read and iterate like one sorted map."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm.state import CommittedValues
from vm.store.cache import CacheStore
from vm.store.kv import MemoryKV
from vm.store.prefix import PrefixStore

keys = st.binary(min_size=1, max_size=3)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), keys, st.binary(min_size=1, max_size=2)),
        st.tuples(st.just("delete"), keys, st.just(b"")),
        st.tuples(st.just("iterate"), keys, keys),
        st.tuples(st.just("flush"), st.just(b""), st.just(b"")),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(base=st.dictionaries(keys, st.binary(min_size=1, max_size=2), max_size=20), steps=ops)
def test_nested_caches_match_a_dict(base: dict[bytes, bytes], steps: list[tuple[str, bytes, bytes]]) -> None:
    """Writes, deletes, iterations and flushes in any order, through a block cache and a tx
    cache over it, read exactly like a plain dict, in key order."""
    block = CacheStore(MemoryKV(base))
    tx = CacheStore(block)
    model = dict(base)
    for op, key, other in steps:
        if op == "set":
            tx.set(key, other)
            model[key] = other
        elif op == "delete":
            tx.delete(key)
            model.pop(key, None)
        elif op == "flush":
            tx.write()
            tx = CacheStore(block)
        else:
            low, high = min(key, other), max(key, other)
            assert list(tx.iterate(low, high)) == sorted((k, v) for k, v in model.items() if low <= k < high)
        assert list(tx.iterate(b"")) == sorted(model.items())
    tx.write()
    assert list(block.iterate(b"")) == sorted(model.items())


def test_writes_during_an_iteration_do_not_disturb_it() -> None:
    cache = CacheStore(MemoryKV({b"a": b"1", b"c": b"3"}))
    cache.set(b"b", b"2")
    seen = []
    for key, value in cache.iterate(b""):
        seen.append((key, value))
        cache.set(key + b"x", b"new")
    assert seen == [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]


def test_prefix_store_confines_keys() -> None:
    root = CacheStore(MemoryKV({b"bank/x": b"1", b"bankrupt": b"2", b"auth/y": b"3"}))
    bank = PrefixStore(root, b"bank/")
    bank.set(b"z", b"4")
    assert list(bank.iterate(b"")) == [(b"x", b"1"), (b"z", b"4")]
    assert root.get(b"bank/z") == b"4"
    bank.delete(b"x")
    assert bank.get(b"x") is None and root.get(b"bankrupt") == b"2"


def test_invalid_write_through_a_read_only_view() -> None:
    view = PrefixStore(CommittedValues(MemoryKV()), b"bank/")
    with pytest.raises(TypeError, match="read-only"):
        view.set(b"k", b"v")
    with pytest.raises(ValueError, match="non-empty prefix"):
        PrefixStore(CommittedValues(MemoryKV()), b"")
