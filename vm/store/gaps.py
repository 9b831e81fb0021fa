"""A key-value store that remembers the key ranges it has found empty and seeks past them.

An LSM store (LevelDB) keeps a deleted key as a tombstone until a compaction reaches it,
and an iteration steps over every tombstone between where it starts and the next live key;
at the end of its range too, since LevelDB iterators have no upper bound: the step that finds
the range exhausted goes on to the next live key past it. Queues and order books delete at
their head and are read from their head every block, so each read would step over all that
was deleted there since the last compaction, ever more as a node runs.

``GapKV`` notes, for each iteration it serves, the empty range before the first key found
and, once the iteration runs out, the one after the last key; a later iteration that starts
in such a range seeks past it, one that reaches such a range stops without asking the store
below for more, and one left with room for a single key between them reads that key instead
(a delegator's one delegation, read every block). A range stays known empty until a write
puts a key in it, so every write must go through this store. The pairs an iteration yields
are exactly those of the store below (tests/vm/store/test_gaps.py): nothing computed from
them depends on what this remembers, only what reaching them costs.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping

from vm.store.kv import KVStore

MAX_GAPS = 4_096  # ranges remembered; past this they are all forgotten and learned again


class GapKV:
    get: Callable[[bytes], bytes | None]  # the store below's own: reads of one key skip no range

    def __init__(self, inner: KVStore) -> None:
        self.inner = inner
        self.get = inner.get
        # Disjoint ranges [start, end) known to hold no key, sorted.
        self._starts: list[bytes] = []
        self._ends: list[bytes] = []
        self._writes = 0  # a range seen empty by an iteration begun before a write is not kept

    def iterate(self, start: bytes, end: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        seek = self._after_gap(start)
        tail = self._gap_before(end)
        upper = end if tail is None else tail  # no key lies in [upper, end)
        if upper is not None and seek >= upper:
            return iter(())
        if upper == seek + b"\x00":  # gaps all round but ``seek``: a read of it, not an iteration
            value = self.inner.get(seek)
            return iter(()) if value is None else iter(((seek, value),))
        # Asked here, not when the first pair is read: the pairs are the store's as of this call.
        return self._scan(self.inner.iterate(seek, upper), start, upper, self._writes)

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        self._writes += 1
        if self._starts:
            low, high = self._starts[0], self._ends[-1]  # keys outside need no search
            for key, value in changes.items():
                if value is not None and low <= key < high:
                    self._forget(key)
        self.inner.write(changes)

    def _scan(
        self, items: Iterator[tuple[bytes, bytes]], start: bytes, upper: bytes | None, writes: int
    ) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``items``, the pairs in [start, upper) (the store's when ``writes`` writes had
        been made); note the empty range before the first and, once they run out, the one after
        the last, unless a write has come since."""
        empty_from = start  # the least key that may follow those yielded
        for key, value in items:
            if empty_from == start and writes == self._writes:
                self._add(start, key)  # the range before the first key
            yield key, value
            empty_from = key + b"\x00"  # the least key after ``key``
            if empty_from == upper:
                return  # nothing can follow: asking the store would step past ``upper``
        if upper is not None and writes == self._writes:
            self._add(empty_from, upper)

    def _after_gap(self, key: bytes) -> bytes:
        """Where the first key at or after ``key`` may be: past a known gap holding ``key``."""
        index = bisect_right(self._starts, key) - 1
        if index >= 0 and key < self._ends[index]:
            return self._ends[index]
        return key

    def _gap_before(self, end: bytes | None) -> bytes | None:
        """The start of a known gap that reaches ``end``: no key lies from there to ``end``."""
        if end is None:
            return None
        index = bisect_left(self._ends, end)
        if index < len(self._ends) and self._starts[index] < end:
            return self._starts[index]
        return None

    def _add(self, start: bytes, end: bytes) -> None:
        """Note that no key lies in [start, end), merging the gaps it touches."""
        if start >= end:
            return
        starts, ends = self._starts, self._ends
        first = bisect_left(ends, start)  # the first gap that ends at or after ``start``
        last = bisect_right(starts, end)  # past the last gap that starts at or before ``end``
        if first < last:
            start, end = min(start, starts[first]), max(end, ends[last - 1])
        starts[first:last] = [start]
        ends[first:last] = [end]
        if len(starts) > MAX_GAPS:
            starts.clear()
            ends.clear()

    def _forget(self, key: bytes) -> None:
        """A write put ``key``: the gap holding it, if any, is split around it."""
        index = bisect_right(self._starts, key) - 1
        if index < 0 or key >= self._ends[index]:
            return
        start, end = self._starts[index], self._ends[index]
        after = key + b"\x00"
        kept = [(a, b) for a, b in ((start, key), (after, end)) if a < b]
        self._starts[index : index + 1] = [a for a, _ in kept]
        self._ends[index : index + 1] = [b for _, b in kept]
