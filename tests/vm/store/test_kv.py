"""vm.store.kv: prefix_end and the in-memory KVStore."""

from hypothesis import given, settings
from hypothesis import strategies as st

from vm.store.kv import KVStore, MemoryKV, prefix_end

keys = st.binary(max_size=3)
changes = st.dictionaries(keys, st.one_of(st.none(), st.binary(max_size=3)), max_size=80)


def test_prefix_end() -> None:
    assert prefix_end(b"a") == b"b"
    assert prefix_end(b"a/") == b"a0"
    assert prefix_end(b"a\xfe") == b"a\xff"
    assert prefix_end(b"a\xff\xff") == b"b"


def test_prefix_end_without_bound() -> None:
    assert prefix_end(b"") is None
    assert prefix_end(b"\xff\xff") is None


@given(st.binary(min_size=1, max_size=4), st.binary(max_size=4))
def test_prefix_end_bounds_exactly_the_prefixed_keys(prefix: bytes, suffix: bytes) -> None:
    end = prefix_end(prefix)
    assert end is None or prefix + suffix < end
    assert end is None or not end.startswith(prefix)


def test_memory_kv_is_a_kv_store() -> None:
    kv: KVStore = MemoryKV()
    kv.write({b"a": b"1"})
    assert kv.get(b"a") == b"1"


def test_write_puts_and_deletes() -> None:
    kv = MemoryKV({b"a": b"1", b"b": b"2"})
    kv.write({b"a": None, b"c": b"3", b"missing": None})
    assert kv.get(b"a") is None
    assert kv.get(b"b") == b"2"
    assert kv.get(b"c") == b"3"
    assert len(kv) == 2


def test_iterate_is_ordered_and_half_open() -> None:
    kv = MemoryKV({bytes([i]): bytes([i]) for i in range(10, 0, -1)})
    assert [k for k, _ in kv.iterate(b"\x03", b"\x06")] == [b"\x03", b"\x04", b"\x05"]
    assert [k for k, _ in kv.iterate(b"\x08")] == [b"\x08", b"\x09", b"\x0a"]
    assert list(kv.iterate(b"\x06", b"\x03")) == []


def test_iterate_sees_the_store_as_it_was_when_called() -> None:
    kv = MemoryKV({b"a": b"1", b"b": b"2"})
    items = kv.iterate(b"")
    kv.write({b"a": None, b"b": b"changed", b"c": b"3"})
    assert list(items) == [(b"a", b"1"), (b"b", b"2")]


@settings(max_examples=60)
@given(st.lists(changes, max_size=6), keys, st.one_of(st.none(), keys))
def test_memory_kv_matches_a_sorted_dict(
    batches: list[dict[bytes, bytes | None]], start: bytes, end: bytes | None
) -> None:
    kv = MemoryKV()
    model: dict[bytes, bytes] = {}
    for batch in batches:
        kv.write(batch)
        for key, value in batch.items():
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
        assert list(kv.iterate(b"")) == sorted(model.items())
    expected = sorted((k, v) for k, v in model.items() if k >= start and (end is None or k < end))
    assert list(kv.iterate(start, end)) == expected
    assert all(kv.get(key) == value for key, value in model.items())


def test_an_iteration_half_read_keeps_its_snapshot_through_writes() -> None:
    kv = MemoryKV({b"a": b"1", b"b": b"2", b"c": b"3"})
    items = kv.iterate(b"")
    assert next(items) == (b"a", b"1")
    kv.write({b"b": None, b"bb": b"new", b"c": b"changed"})
    later = kv.iterate(b"")
    kv.write({b"a": b"again"})
    assert list(items) == [(b"b", b"2"), (b"c", b"3")]
    assert list(later) == [(b"a", b"1"), (b"bb", b"new"), (b"c", b"changed")]
