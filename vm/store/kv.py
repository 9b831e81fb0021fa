"""The key-value store interface the vm sees, and an in-memory implementation.

The vm never touches a database directly: it reads and iterates through `KVStore`
and hands every block's changes to one atomic `write`.
"""

import weakref
from bisect import bisect_left, insort
from collections.abc import Iterator, Mapping
from typing import Protocol

# Above this many added or removed keys in one write, re-sorting the whole key list
# on the next iteration is cheaper than inserting keys one at a time.
_MAX_INCREMENTAL_KEY_CHANGES = 64


class StorageFailure(Exception):
    """The store behind the vm failed (I/O error, corruption): the node's fault, never a tx's."""


class KVStore(Protocol):
    def get(self, key: bytes) -> bytes | None:
        """Return the value stored under `key`, or None if there is none."""
        ...

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Yield the pairs with start <= key < end (no upper bound if end is None),
        in ascending key order, as they were when iterate() was called."""
        ...

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        """Apply all changes atomically; a None value deletes its key."""
        ...


def prefix_end(prefix: bytes) -> bytes | None:
    """Return the smallest key greater than every key starting with `prefix`,
    or None if there is none (prefix empty or all 0xff)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


class MemoryKV:
    """In-memory `KVStore` for tests and tools.

    Values live in a dict; a sorted key list serves ordered iteration. Small writes
    keep the list sorted in place, large ones mark it stale so it is rebuilt once,
    on the next iteration, instead of once per key.
    """

    def __init__(self, items: Mapping[bytes, bytes] | None = None) -> None:
        self._data: dict[bytes, bytes] = dict(items or {})
        self._keys: list[bytes] = sorted(self._data)
        self._keys_stale = False
        self._open: weakref.WeakSet[_Snapshot] = weakref.WeakSet()  # iterations not yet done

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        keys = self._sorted_keys()
        lo = bisect_left(keys, start)
        hi = len(keys) if end is None else max(lo, bisect_left(keys, end))
        snapshot = _Snapshot(self._data, keys, lo, hi)
        self._open.add(snapshot)
        return snapshot

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        for snapshot in list(self._open):  # they must not see this write
            snapshot.detach()
        self._open.clear()
        added: list[bytes] = []
        removed: list[bytes] = []
        for key, value in changes.items():
            if value is None:
                if self._data.pop(key, None) is not None:
                    removed.append(key)
            else:
                if key not in self._data:
                    added.append(key)
                self._data[key] = bytes(value)
        self._update_sorted_keys(added, removed)

    def _update_sorted_keys(self, added: list[bytes], removed: list[bytes]) -> None:
        if self._keys_stale:
            return
        if len(added) + len(removed) > _MAX_INCREMENTAL_KEY_CHANGES:
            self._keys_stale = True
            return
        for key in removed:
            del self._keys[bisect_left(self._keys, key)]
        for key in added:
            insort(self._keys, key)

    def _sorted_keys(self) -> list[bytes]:
        if self._keys_stale:
            self._keys = sorted(self._data)
            self._keys_stale = False
        return self._keys


class _Snapshot:
    """An iteration over a MemoryKV's items in ``keys[lo:hi]`` as they were when it began. It
    reads the store as it goes (costing what it reads, not the whole range); a write to the
    store first makes it copy what it has not read yet."""

    __slots__ = ("__weakref__", "_data", "_hi", "_index", "_keys", "_rest")

    def __init__(self, data: dict[bytes, bytes], keys: list[bytes], lo: int, hi: int) -> None:
        self._data = data
        self._keys = keys
        self._index = lo
        self._hi = hi
        self._rest: Iterator[tuple[bytes, bytes]] | None = None

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        return self

    def __next__(self) -> tuple[bytes, bytes]:
        if self._rest is not None:
            return next(self._rest)
        index = self._index
        if index >= self._hi:
            raise StopIteration
        self._index = index + 1
        key = self._keys[index]
        return key, self._data[key]

    def detach(self) -> None:
        """Copy the items not yet read: the store is about to change."""
        if self._rest is None:
            keys = self._keys[self._index : self._hi]
            self._rest = iter(list(zip(keys, map(self._data.__getitem__, keys), strict=True)))
