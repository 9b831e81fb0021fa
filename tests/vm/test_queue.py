"""DueQueue against a model (a sorted set of (due, item)): pushes, pops, peeks and removes
answer as the model does, the count is the number of items, and a look at an empty queue reads
nothing of its range."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vm.queue import DueQueue
from vm.store.cache import CacheStore
from vm.store.kv import MemoryKV

QUEUE = DueQueue(b"mod/q/")

operation = st.one_of(
    st.tuples(st.just("push"), st.integers(0, 40), st.binary(min_size=1, max_size=2)),
    st.tuples(st.just("remove"), st.integers(0, 40), st.binary(min_size=1, max_size=2)),
    st.tuples(st.just("pop"), st.integers(0, 40), st.integers(0, 5)),
    st.tuples(st.just("pop_entries"), st.integers(0, 40), st.integers(0, 5)),
    st.tuples(st.just("peek"), st.integers(0, 40), st.integers(0, 5)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=60))
def test_matches_a_sorted_set(operations: list[tuple[str, int, object]]) -> None:
    store = CacheStore(MemoryKV())
    model: set[tuple[int, bytes]] = set()
    for name, due, arg in operations:
        if name == "push":
            assert isinstance(arg, bytes)
            if (due, arg) in model:
                QUEUE.push(store, due, arg)
            elif len(model) % 3 == 2:  # several new items at once
                fresh = [item for item in (arg, arg + b"+") if (due, item) not in model]
                QUEUE.push_new_items(store, due, fresh)
                model.update((due, item) for item in fresh)
            else:  # either form may queue an item not queued yet
                (QUEUE.push if len(model) % 3 else QUEUE.push_new)(store, due, arg)
            model.add((due, arg))
        elif name == "remove":
            assert isinstance(arg, bytes)
            QUEUE.remove(store, due, arg)
            model.discard((due, arg))
        else:
            assert isinstance(arg, int)
            expected = sorted(entry for entry in model if entry[0] <= due)[:arg]
            if name == "pop":
                assert QUEUE.pop_due(store, due, arg) == [item for _, item in expected]
                model -= set(expected)
            elif name == "pop_entries":
                assert QUEUE.pop_due_entries(store, due, arg) == expected
                model -= set(expected)
            else:
                assert QUEUE.peek_due(store, due, arg) == expected
        assert sorted(QUEUE.items(store)) == sorted(model)
        assert QUEUE.count(store) == len(model)


class CountingKV(MemoryKV):
    """Counts the iterations started over the queue's item range."""

    scans = 0

    def iterate(self, start: bytes, end: bytes | None = None):  # type: ignore[no-untyped-def]
        if start.startswith(QUEUE.prefix):
            self.scans += 1
        return super().iterate(start, end)


def test_an_empty_queue_is_not_scanned() -> None:
    kv = CountingKV()
    store = CacheStore(kv)
    assert QUEUE.pop_due(store, 100, 10) == [] and QUEUE.peek_due(store, 100, 10) == []
    assert kv.scans == 0
    for height in range(1, 4):
        QUEUE.push(store, height, b"x")
    QUEUE.push(store, 1, b"x")  # already there: counted once
    assert QUEUE.count(store) == 3 and QUEUE.pop_due(store, 1, 10) == [b"x"] and kv.scans == 1
    QUEUE.remove(store, 2, b"x")
    QUEUE.remove(store, 2, b"x")  # gone already: not counted twice
    QUEUE.remove(store, 3, b"x")
    assert QUEUE.count(store) == 0 and QUEUE.pop_due(store, 100, 10) == [] and kv.scans == 1


def test_an_entry_keeps_the_value_it_was_pushed_with() -> None:
    store = CacheStore(MemoryKV())
    QUEUE.push(store, 2, b"a", b"record a")
    QUEUE.push(store, 1, b"b")
    QUEUE.push(store, 2, b"a", b"record a, changed")  # the same entry: counted once
    assert list(QUEUE.values(store)) == [(1, b"b", b"\x01"), (2, b"a", b"record a, changed")]
    assert QUEUE.count(store) == 2
    assert QUEUE.pop_due_values(store, 2, 1) == [(1, b"b", b"\x01")]
    assert QUEUE.pop_due_values(store, 2, 5) == [(2, b"a", b"record a, changed")]
    assert QUEUE.count(store) == 0
