"""vm.store.gaps: a GapKV yields exactly what the store below it holds, whatever was written,
iterated or left half-read before, and seeks past the ranges it has seen empty."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from vm.store.gaps import GapKV
from vm.store.kv import MemoryKV

keys = st.binary(max_size=2)
bounds = st.one_of(st.none(), keys)
operation = st.one_of(
    st.tuples(st.just("write"), st.dictionaries(keys, st.one_of(st.none(), st.just(b"v")), max_size=6)),
    st.tuples(st.just("iterate"), st.tuples(keys, bounds, st.integers(0, 4))),
    st.tuples(st.just("open"), st.tuples(keys, bounds)),  # read later, after other operations
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, st.just(b"v"), max_size=12), st.lists(operation, max_size=40))
def test_iterations_match_the_store_below(
    initial: dict[bytes, bytes], operations: list[tuple[str, object]]
) -> None:
    model = MemoryKV(initial)
    kv = GapKV(MemoryKV(initial))
    pending: list[tuple[Iterator[tuple[bytes, bytes]], Iterator[tuple[bytes, bytes]]]] = []
    for name, arg in operations:
        if name == "write":
            assert isinstance(arg, dict)
            model.write(arg)
            kv.write(arg)
        elif name == "iterate":
            assert isinstance(arg, tuple)
            start, end, read = arg
            ours, theirs = kv.iterate(start, end), model.iterate(start, end)
            assert [next(ours, None) for _ in range(read)] == [next(theirs, None) for _ in range(read)]
            pending.append((ours, theirs))  # finished after later writes, as snapshots
        else:
            assert isinstance(arg, tuple)
            pending.append((kv.iterate(*arg), model.iterate(*arg)))
    for ours, theirs in pending:
        assert list(ours) == list(theirs)
    for start in (b"", b"\x00", b"\x01", b"\x01\x00", b"\xff"):
        assert list(kv.iterate(start)) == list(model.iterate(start))
        assert list(kv.iterate(b"", start)) == list(model.iterate(b"", start))


class SeekLog(MemoryKV):
    """Records where each iteration starts and how many pairs it hands out."""

    def __init__(self, items: Mapping[bytes, bytes]) -> None:
        super().__init__(items)
        self.seeks: list[bytes] = []
        self.read = 0

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        self.seeks.append(start)
        for pair in super().iterate(start, end):
            self.read += 1
            yield pair


def test_a_range_seen_empty_is_sought_past_until_a_key_is_put_in_it() -> None:
    inner = SeekLog({b"q/" + bytes([i]): b"v" for i in range(10)})
    kv = GapKV(inner)
    kv.write({b"q/" + bytes([i]): None for i in range(4)})  # popped from the head
    assert next(kv.iterate(b"q/", b"q0")) == (b"q/\x04", b"v")
    kv.write({b"q/\x04": None})
    assert next(kv.iterate(b"q/", b"q0")) == (b"q/\x05", b"v")
    assert inner.seeks == [b"q/", b"q/\x04"]  # the second seeks past the range seen empty
    kv.write({b"q/\x01": b"v"})  # a key put in the range: it is skipped only up to that key
    assert next(kv.iterate(b"q/", b"q0")) == (b"q/\x01", b"v")
    assert inner.seeks[-1] == b"q/\x01"


def test_an_iteration_stops_at_a_range_seen_empty_up_to_its_end() -> None:
    inner = SeekLog({b"a": b"v", b"b": b"v", b"z": b"v"})
    kv = GapKV(inner)
    assert list(kv.iterate(b"a", b"m")) == [(b"a", b"v"), (b"b", b"v")]
    inner.read = 0
    assert list(kv.iterate(b"a", b"m")) == [(b"a", b"v"), (b"b", b"v")]
    assert inner.read == 2  # not asked for the pair after b"b", which lies past the range
    assert list(kv.iterate(b"c", b"m")) == [] and inner.seeks[-1] == b"a"  # not asked at all


def test_a_range_with_room_for_one_key_between_ranges_seen_empty_is_read_with_a_get() -> None:
    inner = SeekLog({b"d/a1": b"v", b"e": b"v"})
    kv = GapKV(inner)
    assert list(kv.iterate(b"d/a", b"d/b")) == [(b"d/a1", b"v")]  # learns the gaps around d/a1
    seeks = len(inner.seeks)
    assert list(kv.iterate(b"d/a", b"d/b")) == [(b"d/a1", b"v")]
    kv.write({b"d/a1": None})
    assert list(kv.iterate(b"d/a", b"d/b")) == []
    assert len(inner.seeks) == seeks  # neither asked for an iteration
    kv.write({b"d/a2": b"v"})  # a key put in a gap: iterated again
    assert list(kv.iterate(b"d/a", b"d/b")) == [(b"d/a2", b"v")]
    assert len(inner.seeks) == seeks + 1
