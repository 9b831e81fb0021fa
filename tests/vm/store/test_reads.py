"""vm.store.reads: a ReadCacheKV answers what the store below it holds, whatever was read,
written or dropped before, and reads again from that store only what it does not keep."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vm.store.kv import MemoryKV
from vm.store.reads import ReadCacheKV

keys = st.binary(max_size=1)
operation = st.one_of(
    st.tuples(
        st.just("write"), st.dictionaries(keys, st.one_of(st.none(), st.binary(max_size=2)), max_size=4)
    ),
    st.tuples(st.just("get"), keys),
    st.tuples(st.just("iterate"), keys),
)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4), st.lists(operation, max_size=50))
def test_reads_match_the_store_below(capacity: int, operations: list[tuple[str, object]]) -> None:
    model = MemoryKV()
    kv = ReadCacheKV(MemoryKV(), capacity)
    for name, arg in operations:
        if name == "write":
            assert isinstance(arg, dict)
            model.write(arg)
            kv.write(arg)
        elif name == "get":
            assert isinstance(arg, bytes)
            assert kv.get(arg) == model.get(arg)
        else:
            assert isinstance(arg, bytes)
            assert list(kv.iterate(arg)) == list(model.iterate(arg))


class CountingKV(MemoryKV):
    gets = 0

    def get(self, key: bytes) -> bytes | None:
        self.gets += 1
        return super().get(key)


def test_keeps_the_keys_read_last() -> None:
    inner = CountingKV({b"a": b"1", b"b": b"2"})
    kv = ReadCacheKV(inner, capacity=2)
    assert [kv.get(b"a"), kv.get(b"b"), kv.get(b"a"), kv.get(b"missing")] == [b"1", b"2", b"1", None]
    assert inner.gets == 3  # b"a" read once; b"b" dropped for b"missing"
    kv.write({b"a": b"changed", b"missing": b"3"})
    assert [kv.get(b"a"), kv.get(b"missing")] == [b"changed", b"3"] and inner.gets == 3
    assert kv.get(b"b") == b"2" and inner.gets == 4
