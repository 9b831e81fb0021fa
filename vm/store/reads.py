"""A key-value store that keeps the values it last read, for the reads every block repeats.

A node reads its state through a write cache per block (vm/store/cache.py) that ends with the
block, so each block reads from the database again what the last one read: the offers on the
book, their providers, parameters and totals. ``ReadCacheKV`` sits under those caches, over the
database, for as long as the node runs: it keeps the values of the ``capacity`` keys read last
(absent ones too), dropping the least recently read first, and a write updates those it keeps,
so every write must go through it. It answers exactly what the store below holds
(tests/vm/store/test_reads.py); only what a read costs changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping

from vm.store.kv import KVStore

CAPACITY = 1 << 16  # keys kept: a few times what a busy block reads, some tens of MiB
_UNKEPT = b"(not kept)"  # compared by identity: no value read from the store is this object


class ReadCacheKV:
    def __init__(self, inner: KVStore, capacity: int = CAPACITY) -> None:
        self.inner = inner
        self.capacity = capacity
        self._values: OrderedDict[bytes, bytes | None] = OrderedDict()  # oldest read first

    def get(self, key: bytes) -> bytes | None:
        values = self._values
        value = values.get(key, _UNKEPT)
        if value is not _UNKEPT:
            values.move_to_end(key)
            return value
        value = values[key] = self.inner.get(key)
        if len(values) > self.capacity:
            values.popitem(last=False)
        return value

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        return self.inner.iterate(start, end)

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        self.inner.write(changes)  # first: if it fails, nothing was written and nothing kept changes
        values = self._values
        for key, value in changes.items():
            if key in values:
                values[key] = value
