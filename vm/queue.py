"""Queues of per-block work, drained under a deterministic budget.

A hook that has work to do at some height (release collateral, settle a lease,
close a voting period) does not loop over everything that is due: it puts each
item in a ``DueQueue`` keyed by (due height, item key) when the item is
created, and each block pops at most ``budget`` due items in key order. Work
beyond the budget stays queued and is taken first in the next block, so the
cost of a block's hooks is bounded by the budgets (chain parameters, equal on
every node), whatever users have created. See docs/architecture.md.

An entry's value is ``0x01``, or what its owner pushed with it: a queue whose
items name records may hold each record with its item, so that popping the due
items reads them too (the market's match queue holds its orders).

Each queue also keeps how many items it holds, so that a block's look at an
empty queue reads one key and no range. That matters on LevelDB: a removed item
stays a tombstone until compaction, and an iterator steps over every tombstone
from where it starts to the next live key, past the end of the queue's range
when the queue is empty, into the ranges of the queues after it. (The node's
store seeks past what a queue popped at its head: vm/store/gaps.py.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from vm.store.cache import ReadStore, Store
from vm.store.prefix import PrefixStore, PrefixView

HEIGHT_BYTES = 8
PRESENT = b"\x01"  # state never holds empty values: an empty answer always means absent
COUNT = b"#count"


@dataclass(frozen=True)
class DueQueue:
    """Items under ``prefix`` (inside a module's store, ending in ``/``), ordered by due
    height then key; their count is at the sibling key ``prefix[:-1] + b"#count"``, outside
    the items' range."""

    prefix: bytes
    _view: PrefixView = field(init=False, repr=False, compare=False)
    _count_key: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.prefix.endswith(b"/"):
            raise ValueError(f"a queue prefix ends with '/': {self.prefix!r}")
        object.__setattr__(self, "_view", PrefixView(self.prefix))
        object.__setattr__(self, "_count_key", self.prefix[:-1] + COUNT)

    def _kv(self, store: ReadStore) -> PrefixStore:
        return self._view.of(store)

    def key(self, due: int, item: bytes) -> bytes:
        """The entry's key in the store the queue was made for (for proofs)."""
        return self.prefix + _due(due) + item

    def push(self, store: Store, due: int, item: bytes, value: bytes = PRESENT) -> None:
        """Queue ``item`` at ``due`` with ``value`` (not empty), or set the value it has there."""
        kv, key = self._kv(store), _due(due) + item
        if kv.get(key) is None:
            self._set_count(store, self.count(store) + 1)
        kv.set(key, value)

    def push_new(self, store: Store, due: int, item: bytes) -> None:
        """``push`` for an item that cannot be queued yet (one named by a new id): counted
        without reading its key, which a store may only find absent at a cost (LevelDB)."""
        self._set_count(store, self.count(store) + 1)
        self._kv(store).set(_due(due) + item, PRESENT)

    def push_new_items(self, store: Store, due: int, items: Sequence[bytes]) -> None:
        """``push_new`` for several new items due at once: their count written once."""
        if items:
            self._set_count(store, self.count(store) + len(items))
            kv, due_bytes = self._kv(store), _due(due)
            for item in items:
                kv.set(due_bytes + item, PRESENT)

    def get(self, store: ReadStore, due: int, item: bytes) -> bytes | None:
        """The value ``item`` is queued with at ``due``; None if it is not queued there."""
        return self._kv(store).get(_due(due) + item)

    def remove(self, store: Store, due: int, item: bytes) -> None:
        kv, key = self._kv(store), _due(due) + item
        if kv.get(key) is not None:
            kv.delete(key)
            self._set_count(store, self.count(store) - 1)

    def pop_due(self, store: Store, height: int, budget: int) -> list[bytes]:
        """At most ``budget`` items due at or before ``height``, oldest first, removed."""
        return [item for _, item in self.pop_due_entries(store, height, budget)]

    def pop_due_entries(self, store: Store, height: int, budget: int) -> list[tuple[int, bytes]]:
        """``pop_due``, each item with its due height."""
        return [(due, item) for due, item, _ in self.pop_due_values(store, height, budget)]

    def pop_due_values(self, store: Store, height: int, budget: int) -> list[tuple[int, bytes, bytes]]:
        """``pop_due_entries``, each item with its value."""
        if budget <= 0:
            return []
        due = self._due_pairs(store, height, budget)
        kv = self._kv(store)
        for key, _ in due:
            kv.delete(key)
        if due:
            self._set_count(store, self.count(store) - len(due))
        return [(_due_of(key), key[HEIGHT_BYTES:], value) for key, value in due]

    def peek_due(self, store: ReadStore, height: int, budget: int) -> list[tuple[int, bytes]]:
        """(due, item) of at most ``budget`` items due at or before ``height``, oldest first,
        left in place (``remove`` pops each)."""
        if budget <= 0:
            return []
        due = self._due_pairs(store, height, budget)
        return [(_due_of(key), key[HEIGHT_BYTES:]) for key, _ in due]

    def items(self, store: ReadStore) -> Iterator[tuple[int, bytes]]:
        for due, item, _ in self.values(store):
            yield due, item

    def values(self, store: ReadStore) -> Iterator[tuple[int, bytes, bytes]]:
        """(due, item, value) of every entry, in order."""
        for key, value in self._kv(store).iterate(b""):
            yield _due_of(key), key[HEIGHT_BYTES:], value

    def count(self, store: ReadStore) -> int:
        return _number(store.get(self._count_key))

    def _due_pairs(self, store: ReadStore, height: int, budget: int) -> list[tuple[bytes, bytes]]:
        if self.count(store) == 0:
            return []  # read nothing: an empty queue's range may be all tombstones
        return list(_take(self._kv(store).iterate(b"", _due(height + 1)), budget))

    def _set_count(self, store: Store, count: int) -> None:
        _set_number(store, self._count_key, count)


def _due(due: int) -> bytes:
    return due.to_bytes(HEIGHT_BYTES, "big")


def _due_of(key: bytes) -> int:
    return int.from_bytes(key[:HEIGHT_BYTES], "big")


def _number(raw: bytes | None) -> int:
    return 0 if raw is None else int.from_bytes(raw, "big")


def _set_number(store: Store, key: bytes, value: int) -> None:
    if value:
        store.set(key, value.to_bytes(HEIGHT_BYTES, "big"))
    else:
        store.delete(key)  # state holds no zero values: absent reads as 0


def _take(pairs: Iterator[tuple[bytes, bytes]], count: int) -> Iterator[tuple[bytes, bytes]]:
    for _, pair in zip(range(count), pairs, strict=False):
        yield pair
