"""The key-value store interface the vm sees, and an in-memory implementation.

The vm never touches a database directly: it reads and iterates through `KVStore`
and hands every block's changes to one atomic `write`.
"""

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

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        keys = self._sorted_keys()
        lo = bisect_left(keys, start)
        hi = len(keys) if end is None else max(lo, bisect_left(keys, end))
        # Copy the range now so that writes during iteration do not disturb it.
        return iter([(key, self._data[key]) for key in keys[lo:hi]])

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
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
