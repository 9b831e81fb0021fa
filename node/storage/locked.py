"""A state store that two threads may use at once.

A decided block executes in a worker thread (``BlockExecutor.apply_async``) while
the event loop goes on serving CheckTx and queries from the committed state. Both
read through the node's caches (vm/store/reads.py, vm/store/gaps.py), whose
bookkeeping takes several steps per read (an LRU's look-up, move and eviction; a
gap list's two parallel lists), so one thread could see the other's half-done
step. ``LockedKV`` makes each read, each write and each step of an iteration one
step under a lock. vm/ stays free of threads: the lock is the node's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

from vm.store.kv import KVStore


class LockedKV:
    def __init__(self, inner: KVStore) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def get(self, key: bytes) -> bytes | None:
        with self._lock:
            return self._inner.get(key)

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        with self._lock:
            pairs = self._inner.iterate(start, end)
        return self._locked_steps(pairs)

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        with self._lock:
            self._inner.write(changes)

    def _locked_steps(self, pairs: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[bytes, bytes]]:
        while True:
            with self._lock:
                pair = next(pairs, None)
            if pair is None:
                return
            yield pair
