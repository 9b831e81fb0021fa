"""Layered write caches over the committed state (Cosmos cachekv).

A block writes into a ``CacheStore`` over the committed key-value store;
each tx writes into its own ``CacheStore`` over the block's, which is
flushed on success and dropped on failure, so a failed tx leaves no trace.
``GasStore`` charges a tx's gas meter for every access.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
from typing import Protocol

from vm import gas as gascost
from vm.gas import GasMeter


class ReadStore(Protocol):
    def get(self, key: bytes) -> bytes | None: ...

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]: ...


class Store(ReadStore, Protocol):
    def set(self, key: bytes, value: bytes) -> None: ...

    def delete(self, key: bytes) -> None: ...


class CacheStore:
    """Buffers writes over ``parent``; reads see the buffer first."""

    def __init__(self, parent: ReadStore) -> None:
        self.parent = parent
        self._changes: dict[bytes, bytes | None] = {}
        # Changed keys in order, plus the keys added since the last iteration: an
        # iteration sorts only those and merges them in, so order books and queues
        # iterated every block cost O(new keys), not a sort of every pending write.
        self._sorted: list[bytes] = []
        self._unsorted: list[bytes] = []

    def get(self, key: bytes) -> bytes | None:
        changes = self._changes
        if key in changes:
            return changes[key]
        return self.parent.get(key)

    # set and delete are the hottest calls of a block: each records its change itself.
    def set(self, key: bytes, value: bytes) -> None:
        changes = self._changes
        if key not in changes:
            self._unsorted.append(key)
        changes[key] = value

    def delete(self, key: bytes) -> None:
        changes = self._changes
        if key not in changes:
            self._unsorted.append(key)
        changes[key] = None

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Ascending merge of the parent's items and this buffer's, in [start, end), as they
        are at this call; with no change in the range, the parent's own iteration."""
        keys = self._sorted_keys()
        lo = bisect_left(keys, start)
        hi = len(keys) if end is None else max(lo, bisect_left(keys, end))
        theirs = self.parent.iterate(start, end)
        if lo == hi:
            return theirs
        return _merge(keys[lo:hi], self._changes, theirs)  # a copy: later writes do not disturb it

    def _sorted_keys(self) -> list[bytes]:
        if self._unsorted:
            # Timsort merges the sorted list with the sorted new keys as two runs, in C (an
            # iteration copies its slice of the list, so changing it in place is safe).
            self._sorted += self._unsorted
            self._sorted.sort()
            self._unsorted = []
        return self._sorted

    def changes(self) -> Mapping[bytes, bytes | None]:
        return self._changes

    def apply(self, changes: Mapping[bytes, bytes | None]) -> None:
        mine = self._changes
        self._unsorted.extend([key for key in changes if key not in mine])
        mine.update(changes)

    def write(self) -> None:
        """Flush the buffer into a parent that is itself a CacheStore."""
        if not isinstance(self.parent, CacheStore):
            raise TypeError("only a nested cache can be flushed with write()")
        self.parent.apply(self._changes)
        self._changes = {}
        self._sorted = []
        self._unsorted = []


def _merge(
    mine: list[bytes], changes: Mapping[bytes, bytes | None], theirs: Iterator[tuple[bytes, bytes]]
) -> Iterator[tuple[bytes, bytes]]:
    """The parent's pairs (``theirs``) with this buffer's changes to the range (``mine``: the
    changed keys, sorted) put over them, in key order."""
    index, count = 0, len(mine)
    for key, value in theirs:
        while index < count and mine[index] < key:
            own = changes[mine[index]]
            if own is not None:
                yield mine[index], own
            index += 1
        if index < count and mine[index] == key:
            own = changes[key]
            if own is not None:
                yield key, own
            index += 1
        else:
            yield key, value
        if index == count:
            yield from theirs  # no change is left in the range: the rest are the parent's
            return
    for key in mine[index:]:
        own = changes[key]
        if own is not None:
            yield key, own


class GasStore:
    """Charges ``meter`` for each access to ``inner`` (Cosmos KVGasConfig)."""

    def __init__(self, inner: Store, meter: GasMeter) -> None:
        self.inner = inner
        self.meter = meter

    def get(self, key: bytes) -> bytes | None:
        value = self.inner.get(key)
        size = len(key) + (len(value) if value is not None else 0)
        self.meter.consume(gascost.READ_COST_FLAT + gascost.READ_COST_PER_BYTE * size, "read")
        return value

    def set(self, key: bytes, value: bytes) -> None:
        self.meter.consume(
            gascost.WRITE_COST_FLAT + gascost.WRITE_COST_PER_BYTE * (len(key) + len(value)), "write"
        )
        self.inner.set(key, value)

    def delete(self, key: bytes) -> None:
        self.meter.consume(gascost.DELETE_COST, "delete")
        self.inner.delete(key)

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        for key, value in self.inner.iterate(start, end):
            size = len(key) + len(value)
            self.meter.consume(gascost.ITER_NEXT_COST_FLAT + gascost.READ_COST_PER_BYTE * size, "iterate")
            yield key, value
